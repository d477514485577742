/**
 * The explanation report: one self-contained HTML file per run (pictures inlined as PNG data
 * URIs, CSS inline, no scripts), opening offline. Per image: the input as the model saw it, the
 * top-k prediction, then the class-independent maps and, per explained class, the class-specific
 * ones side by side, each with its colour bar and value range; the per-layer x per-head
 * attention grid; the settings, timings and the adapter the numbers came from.
 *
 * Browser-safe: the caller passes the PNG encoder (encode-node.ts in Node, a canvas-based one in
 * browsers), so the page can be built wherever the maps were computed.
 */
import { colormap, cssGradient } from '../render/colormap.js';
import type { RawImage } from '../io/image.js';
import type { MapPicture } from '../render/picture.js';
import type { Prediction } from '../model/predict.js';
import { escapeHtml as esc, pngDataUri } from './html.js';

export interface ReportPanel {
  method: string;
  title: string;
  description?: string;
  picture: MapPicture;
  signed: boolean;
}

/** One line of panels: the class-independent maps, or the maps of one explained class. */
export interface ReportRow {
  label: string;
  detail?: string;
  panels: ReportPanel[];
}

export interface ReportImage {
  name: string;
  /** The input as the model saw it (after resize and crop), at display size. */
  input: RawImage;
  predictions: Prediction[];
  rows: ReportRow[];
  /** tiles[l][h]: CLS attention of block l, head h; the last column is the mean over heads. */
  attention?: RawImage[][];
}

export interface ExplainReport {
  title?: string;
  model: string;
  adapter: string;
  /** ISO date-time of the run. */
  created: string;
  settings: [string, string][];
  /** What took how long, in milliseconds. */
  timings: [string, number][];
  images: ReportImage[];
}

export type PngEncoder = (img: RawImage) => Uint8Array;

const fmt = (v: number) => {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e4 || a < 1e-3) return v.toExponential(2);
  return v.toPrecision(3);
};

const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`);

function colorBar(p: MapPicture, signed: boolean): string {
  const [lo, hi] = p.range;
  const mid = signed ? '<span>0</span>' : '';
  return `<div class="bar" style="background:${cssGradient(colormap(p.colormap))}"></div><div class="ticks"><span>${fmt(lo)}</span>${mid}<span>${fmt(hi)}</span></div>`;
}

function panel(p: ReportPanel, img: (i: RawImage) => string): string {
  const tip = p.description ? ` title="${esc(p.description)}"` : '';
  return `<figure class="panel"${tip}><img src="${img(p.picture.image)}" alt="${esc(p.title)}" width="${p.picture.image.width}" height="${p.picture.image.height}"><figcaption><b>${esc(p.title)}</b>${p.signed ? ' <i>signed</i>' : ''}${colorBar(p.picture, p.signed)}</figcaption></figure>`;
}

function predictions(preds: Prediction[]): string {
  const rows = preds
    .map((p, i) => `<tr${i === 0 ? ' class="top"' : ''}><td>${esc(p.label)}</td><td class="num">${p.classId}</td><td class="prob"><span style="width:${(100 * p.prob).toFixed(1)}%"></span>${(100 * p.prob).toFixed(1)} %</td></tr>`)
    .join('');
  return `<table class="preds"><thead><tr><th>prediction</th><th>class</th><th>probability</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function attentionGrid(tiles: RawImage[][], img: (i: RawImage) => string): string {
  const heads = tiles[0].length - 1;
  const head = `<tr><th></th>${Array.from({ length: heads }, (_, h) => `<th>head ${h}</th>`).join('')}<th>mean</th></tr>`;
  const body = tiles.map((row, l) => `<tr><th>block ${l}</th>${row.map((t) => `<td><img src="${img(t)}" width="${t.width}" height="${t.height}" alt=""></td>`).join('')}</tr>`).join('');
  return `<details><summary>CLS attention per block and head (each tile scaled on its own)</summary><table class="attn">${head}${body}</table></details>`;
}

const CSS = `
:root{--fg:#1d2330;--muted:#5b6474;--line:#e3e6ec;--bg:#f6f7f9;--card:#fff;--accent:#2f6fdb}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:20px 32px;background:var(--card);border-bottom:1px solid var(--line)}h1{margin:0 0 4px;font-size:22px}
.meta{color:var(--muted)}main{padding:16px 32px 40px}
section.image{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 20px;margin:16px 0}
section.image h2{margin:0 0 12px;font-size:17px}.lead{display:flex;gap:20px;align-items:flex-start;flex-wrap:wrap}
.lead img{border-radius:6px;image-rendering:auto}
table{border-collapse:collapse}.preds td,.preds th{padding:3px 10px 3px 0;text-align:left;white-space:nowrap}.preds th{color:var(--muted);font-weight:600;font-size:12px}
.preds tr.top td{font-weight:600}.num{font-variant-numeric:tabular-nums;color:var(--muted)}
.prob{position:relative;min-width:170px}.prob span{display:inline-block;height:8px;background:var(--accent);border-radius:4px;margin-right:6px;vertical-align:middle;max-width:110px}
.row{margin-top:14px}.row h3{margin:0 0 6px;font-size:14px}.row h3 small{color:var(--muted);font-weight:400;margin-left:6px}
.panels{display:flex;flex-wrap:wrap;gap:12px}
figure.panel{margin:0;width:min-content}figure.panel img{display:block;border-radius:4px}
figcaption{font-size:12px;margin-top:4px}figcaption i{color:var(--muted);font-style:normal;font-size:11px;border:1px solid var(--line);border-radius:3px;padding:0 3px}
.bar{height:7px;border-radius:2px;margin-top:4px}.ticks{display:flex;justify-content:space-between;color:var(--muted);font-size:10.5px;font-variant-numeric:tabular-nums}
details{margin-top:14px}summary{cursor:pointer;color:var(--accent)}
.attn th{font-size:11px;color:var(--muted);font-weight:500;padding:2px 6px}.attn td{padding:2px}.attn img{display:block;border-radius:3px}
.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:16px}
.facts section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 18px}
.facts h2{font-size:15px;margin:0 0 8px}.facts td{padding:2px 14px 2px 0;vertical-align:top}.facts td:first-child{color:var(--muted);white-space:nowrap}
footer{color:var(--muted);font-size:12px;padding:0 32px 24px}
`;

/** The whole report as one HTML string. */
export function renderExplainReport(r: ExplainReport, encodePng: PngEncoder): string {
  const img = (i: RawImage) => pngDataUri(encodePng(i));
  const images = r.images
    .map((im) => {
      const rows = im.rows
        .filter((row) => row.panels.length)
        .map((row) => `<div class="row"><h3>${esc(row.label)}${row.detail ? `<small>${esc(row.detail)}</small>` : ''}</h3><div class="panels">${row.panels.map((p) => panel(p, img)).join('')}</div></div>`)
        .join('');
      return `<section class="image"><h2>${esc(im.name)}</h2><div class="lead"><img src="${img(im.input)}" width="${im.input.width}" height="${im.input.height}" alt="input">${im.predictions.length ? predictions(im.predictions) : ''}</div>${rows}${im.attention ? attentionGrid(im.attention, img) : ''}</section>`;
    })
    .join('\n');
  const table = (pairs: [string, string][]) => `<table>${pairs.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</table>`;
  const title = r.title ?? `vitlens: what ${r.model} looks at`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><header><h1>${esc(title)}</h1><div class="meta">${esc(r.model)} · ${r.images.length} image${r.images.length === 1 ? '' : 's'} · ${esc(r.adapter)} · ${esc(r.created)}</div></header>
<main>${images}
<div class="facts"><section><h2>Settings</h2>${table(r.settings)}</section><section><h2>Timings</h2>${table(r.timings.map(([k, ms]) => [k, fmtMs(ms)]))}</section></div>
</main><footer>Maps are computed at the patch grid and upsampled bilinearly. Unsigned maps are scaled from their minimum to their maximum; signed maps symmetrically around zero (red raises the explained class's score, blue lowers it). Generated by vitlens.</footer></body></html>
`;
}
