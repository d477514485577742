/**
 * The explanation report: one HTML file per run (CSS inline, no scripts), opening offline. At
 * the top the legend, the settings and an overview (image x method thumbnails, each a link to
 * the image's section or, for images without one, to its PNG); then per image: the input as the
 * model saw it, the top-k prediction, the class-independent maps, the concept maps and, per
 * explained class, the class-specific ones side by side, each with its colour bar and value
 * range (or why it is empty); the per-layer x per-head attention grid; the timings.
 *
 * Bounded as the image count grows: each image is turned into HTML as soon as it is added (its
 * pixels can then be freed), detail sections stop after `detailLimit` images, and pictures are
 * inlined as PNG data URIs only until `inlineBudget` bytes are spent; after that the page links
 * the PNG files the CLI writes next to it (`file` of panels and images). A small run gives one
 * self-contained file; a large one a page that needs its folder.
 *
 * Browser-safe: the caller passes the PNG encoder (io/encode-node.ts in Node, a canvas-based one
 * in browsers), so the page can be built wherever the maps were computed.
 */
import { colormap, cssGradient, type ColormapName } from '../render/colormap.js';
import type { RawImage } from '../io/image.js';
import { formatValue as fmt } from '../render/map-status.js';
import { nearestIndex, type MapPicture } from '../render/picture.js';
import type { Prediction } from '../model/predict.js';
import { escapeHtml as esc, pngDataUri } from './html.js';

export interface ReportPanel {
  method: string;
  title: string;
  description?: string;
  picture: MapPicture;
  signed: boolean;
  /** The picture's PNG, relative to the report: linked instead of inlined past the budget. */
  file?: string;
}

/** One line of panels: the class-independent maps, a concept's maps, or those of one explained class. */
export interface ReportRow {
  label: string;
  detail?: string;
  /** The overview's column-group header (default: label), the same for every image. */
  group?: string;
  panels: ReportPanel[];
}

export interface ReportImage {
  name: string;
  /** The input as the model saw it (after resize and crop), at display size. */
  input: RawImage;
  /** input.png relative to the report. */
  inputFile?: string;
  predictions: Prediction[];
  rows: ReportRow[];
  /** tiles[l][h]: CLS attention of block l, head h; the last column is the mean over heads. */
  attention?: RawImage[][];
  /** The attention grid as one PNG relative to the report (shown past the budget). */
  attentionFile?: string;
}

export interface ReportMeta {
  title?: string;
  model: string;
  adapter: string;
  /** ISO date-time of the run. */
  created: string;
  settings: [string, string][];
  /** What took how long, in milliseconds. */
  timings: [string, number][];
  /** The colour maps unsigned and signed maps were drawn with (legend; default turbo, rdbu). */
  colormaps?: { unsigned: ColormapName; signed: ColormapName };
}

export interface ExplainReport extends ReportMeta {
  images: ReportImage[];
}

export interface ReportLimits {
  /** Images with a full section (default: all). The overview lists every image. */
  detailLimit?: number;
  /** Bytes of PNG inlined as data URIs before pictures are linked as files (default 24 MB). */
  inlineBudget?: number;
  /** Longer side of overview thumbnails in pixels (default 56). */
  thumbnail?: number;
}

export type PngEncoder = (img: RawImage) => Uint8Array;

export const DEFAULT_INLINE_BUDGET = 24 * 2 ** 20;

const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`);

function colorBar(p: MapPicture, signed: boolean): string {
  const { status } = p;
  if (status.empty) return `<div class="empty">${esc(status.note)}</div>`;
  const [lo, hi] = p.range;
  const mid = signed ? '<span>0</span>' : '';
  const nonFinite = status.nonFinite ? `<div class="empty">${status.nonFinite} value${status.nonFinite === 1 ? '' : 's'} not finite</div>` : '';
  return `<div class="bar" style="background:${cssGradient(colormap(p.colormap))}"></div><div class="ticks"><span>${fmt(lo)}</span>${mid}<span>${fmt(hi)}</span></div>${nonFinite}`;
}

function predictions(preds: Prediction[]): string {
  const rows = preds
    .map((p, i) => `<tr${i === 0 ? ' class="top"' : ''}><td>${esc(p.label)}</td><td class="num">${p.classId}</td><td class="prob"><span style="width:${(100 * p.prob).toFixed(1)}%"></span>${(100 * p.prob).toFixed(1)} %</td></tr>`)
    .join('');
  return `<table class="preds"><thead><tr><th>prediction</th><th>class</th><th>probability</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** A smaller copy with the same nearest-neighbour rule as every picture. */
function thumbnail(img: RawImage, side: number): RawImage {
  const s = side / Math.max(img.width, img.height);
  if (s >= 1) return img;
  const w = Math.max(1, Math.round(img.width * s));
  const h = Math.max(1, Math.round(img.height * s));
  const c = img.channels;
  const out = new Uint8Array(w * h * c);
  for (let y = 0; y < h; y++) {
    const sy = nearestIndex(y, h, img.height);
    for (let x = 0; x < w; x++) {
      const o = (sy * img.width + nearestIndex(x, w, img.width)) * c;
      out.set(img.data.subarray(o, o + c), (y * w + x) * c);
    }
  }
  return { data: out, width: w, height: h, channels: c };
}

/** A URL-safe relative path (file names come from image names). */
const href = (file: string) => file.split('/').map(encodeURIComponent).join('/');

/** Builds the report one image at a time; `html()` gives the page. */
export class ExplainReportBuilder {
  private readonly sections: string[] = [];
  private readonly overviewRows: string[] = [];
  private overviewHead = '';
  private inlined = 0;
  private linked = 0;
  private count = 0;
  private readonly detailLimit: number;
  private readonly budget: number;
  private readonly thumb: number;

  constructor(
    private readonly encodePng: PngEncoder,
    limits: ReportLimits = {},
  ) {
    this.detailLimit = limits.detailLimit ?? Infinity;
    this.budget = limits.inlineBudget ?? DEFAULT_INLINE_BUDGET;
    this.thumb = limits.thumbnail ?? 56;
  }

  /** An <img> source: a data URI while the budget lasts, else the file (a data URI when there is none). */
  private src(img: RawImage, file?: string): string {
    const png = this.encodePng(img);
    if (file && this.inlined + png.length > this.budget) {
      this.linked++;
      return href(file);
    }
    this.inlined += png.length;
    return pngDataUri(png);
  }

  private imgTag(img: RawImage, file: string | undefined, alt: string, cls = ''): string {
    return `<img${cls ? ` class="${cls}"` : ''} src="${this.src(img, file)}" width="${img.width}" height="${img.height}" alt="${esc(alt)}">`;
  }

  private panel(p: ReportPanel): string {
    const tip = p.description ? ` title="${esc(p.description)}"` : '';
    return `<figure class="panel"${tip}>${this.imgTag(p.picture.image, p.file, p.title, 'px')}<figcaption><b>${esc(p.title)}</b>${p.signed ? ' <i>signed</i>' : ''}${colorBar(p.picture, p.signed)}</figcaption></figure>`;
  }

  private attentionGrid(im: ReportImage): string {
    const summary = '<summary>CLS attention per block and head (each tile scaled on its own)</summary>';
    const tiles = im.attention!;
    if (im.attentionFile && this.inlined >= this.budget) return `<details>${summary}<img class="px" src="${href(im.attentionFile)}" alt="attention grid"></details>`;
    const heads = tiles[0].length - 1;
    const head = `<tr><th></th>${Array.from({ length: heads }, (_, h) => `<th>head ${h}</th>`).join('')}<th>mean</th></tr>`;
    const body = tiles.map((row, l) => `<tr><th>block ${l}</th>${row.map((t) => `<td>${this.imgTag(t, undefined, '', 'px')}</td>`).join('')}</tr>`).join('');
    return `<details>${summary}<table class="attn">${head}${body}</table></details>`;
  }

  /** Adds one image: its overview row always, its section while under the detail limit. */
  add(im: ReportImage): void {
    const index = this.count++;
    const id = `img-${index}`;
    const detailed = index < this.detailLimit;
    const rows = im.rows.filter((row) => row.panels.length);
    if (!this.overviewHead) {
      const groups = rows.map((row) => `<th colspan="${row.panels.length}" class="group">${esc(row.group ?? row.label)}</th>`).join('');
      const titles = rows.flatMap((row) => row.panels.map((p) => `<th title="${esc(p.description ?? '')}">${esc(p.title)}</th>`)).join('');
      this.overviewHead = `<thead><tr><th></th><th></th>${groups}</tr><tr><th>image</th><th>input</th>${titles}</tr></thead>`;
    }
    const target = (file?: string) => (detailed ? `#${id}` : file ? href(file) : '');
    const link = (html: string, file?: string) => (target(file) ? `<a href="${target(file)}">${html}</a>` : html);
    const top = im.predictions[0];
    const cells = rows.flatMap((row) =>
      row.panels.map((p) => {
        const tip = `${row.label}: ${p.title}${p.picture.status.empty ? ` (${p.picture.status.note})` : ''}`;
        return `<td title="${esc(tip)}">${link(this.imgTag(thumbnail(p.picture.image, this.thumb), p.file, tip, 'px'), p.file)}</td>`;
      }),
    );
    this.overviewRows.push(
      `<tr><th>${link(esc(im.name), im.inputFile)}${top ? `<small>${esc(top.label)} ${(100 * top.prob).toFixed(0)} %</small>` : ''}</th><td>${link(this.imgTag(thumbnail(im.input, this.thumb), im.inputFile, 'input', 'px'), im.inputFile)}</td>${cells.join('')}</tr>`,
    );
    if (!detailed) return;
    const body = rows
      .map((row) => `<div class="row"><h3>${esc(row.label)}${row.detail ? `<small>${esc(row.detail)}</small>` : ''}</h3><div class="panels">${row.panels.map((p) => this.panel(p)).join('')}</div></div>`)
      .join('');
    this.sections.push(
      `<section class="image" id="${id}"><h2>${esc(im.name)} <a class="up" href="#overview">overview ↑</a></h2><div class="lead">${this.imgTag(im.input, im.inputFile, 'input', 'px')}${im.predictions.length ? predictions(im.predictions) : ''}</div>${body}${im.attention ? this.attentionGrid(im) : ''}</section>`,
    );
  }

  /** The whole page. */
  html(meta: ReportMeta): string {
    const table = (pairs: [string, string][]) => `<table>${pairs.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</table>`;
    const title = meta.title ?? `vitlens: what ${meta.model} looks at`;
    const n = this.count;
    const shown = Math.min(n, this.detailLimit);
    const notes = [
      shown < n ? `Sections for the first ${shown} of ${n} images; the others are in the overview, linked to their PNG files.` : '',
      this.linked ? `Pictures past the first ${(this.budget / 2 ** 20).toFixed(0)} MB are linked from the PNG files next to this page: keep the folder together.` : '',
    ].filter(Boolean);
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><header><h1>${esc(title)}</h1><div class="meta">${esc(meta.model)} · ${n} image${n === 1 ? '' : 's'} · ${esc(meta.adapter)} · ${esc(meta.created)}</div></header>
<main><div class="facts">${legend(meta.colormaps ?? { unsigned: 'turbo', signed: 'rdbu' })}<section><h2>Settings</h2>${table(meta.settings)}</section></div>
<section class="overview" id="overview"><h2>Overview</h2>${notes.map((t) => `<p class="note">${esc(t)}</p>`).join('')}<div class="scroll"><table class="ov">${this.overviewHead}<tbody>${this.overviewRows.join('')}</tbody></table></div></section>
${this.sections.join('\n')}
<div class="facts"><section><h2>Timings</h2>${table(meta.timings.map(([k, ms]) => [k, fmtMs(ms)]))}</section></div>
</main><footer>Generated by vitlens.</footer></body></html>
`;
  }
}

function legend(maps: { unsigned: ColormapName; signed: ColormapName }): string {
  const bar = (name: ColormapName, lo: string, mid: string, hi: string) =>
    `<div class="bar" style="background:${cssGradient(colormap(name))}"></div><div class="ticks"><span>${lo}</span><span>${mid}</span><span>${hi}</span></div>`;
  return `<section><h2>Legend</h2>
<p><b>Unsigned maps</b> (${esc(maps.unsigned)}): each scaled from its own minimum to its maximum.</p>${bar(maps.unsigned, 'min', '', 'max')}
<p><b>Signed maps</b> (${esc(maps.signed)}): each scaled symmetrically around zero; red raises the explained class's score (or the similarity to the concept), blue lowers it, white is no effect.</p>${bar(maps.signed, '−max |value|', '0', '+max |value|')}
<p>Maps are blended at one constant opacity over a grey copy of the input as the model saw it (after resize and crop), both enlarged nearest-neighbour: each patch is one flat block, nothing is smoothed. A hatched grey tile with text is an empty map (constant or not finite): it says why instead of showing a flat colour.</p></section>`;
}

const CSS = `
:root{--fg:#1d2330;--muted:#5b6474;--line:#e3e6ec;--bg:#f6f7f9;--card:#fff;--accent:#2f6fdb}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:20px 32px;background:var(--card);border-bottom:1px solid var(--line)}h1{margin:0 0 4px;font-size:22px}
.meta{color:var(--muted)}main{padding:16px 32px 40px}
section.image{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 20px;margin:16px 0}
section.image h2{margin:0 0 12px;font-size:17px}.lead{display:flex;gap:20px;align-items:flex-start;flex-wrap:wrap}
.lead img{border-radius:6px}
table{border-collapse:collapse}.preds td,.preds th{padding:3px 10px 3px 0;text-align:left;white-space:nowrap}.preds th{color:var(--muted);font-weight:600;font-size:12px}
.preds tr.top td{font-weight:600}.num{font-variant-numeric:tabular-nums;color:var(--muted)}
.prob{position:relative;min-width:170px}.prob span{display:inline-block;height:8px;background:var(--accent);border-radius:4px;margin-right:6px;vertical-align:middle;max-width:110px}
.row{margin-top:14px}.row h3{margin:0 0 6px;font-size:14px}.row h3 small{color:var(--muted);font-weight:400;margin-left:6px}
.panels{display:flex;flex-wrap:wrap;gap:12px}
figure.panel{margin:0;width:min-content}figure.panel img{display:block;border-radius:4px}
figcaption{font-size:12px;margin-top:4px}figcaption i{color:var(--muted);font-style:normal;font-size:11px;border:1px solid var(--line);border-radius:3px;padding:0 3px}
.bar{height:7px;border-radius:2px;margin-top:4px}.ticks{display:flex;justify-content:space-between;color:var(--muted);font-size:10.5px;font-variant-numeric:tabular-nums}
details{margin-top:14px}summary{cursor:pointer;color:var(--accent)}
.attn th{font-size:11px;color:var(--muted);font-weight:500;padding:2px 6px}.attn td{padding:2px}.attn img{display:block;border-radius:3px;image-rendering:pixelated}
.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:16px}
.facts section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 18px}
.facts h2{font-size:15px;margin:0 0 8px}.facts td{padding:2px 14px 2px 0;vertical-align:top}.facts td:first-child{color:var(--muted);white-space:nowrap}
footer{color:var(--muted);font-size:12px;padding:0 32px 24px}
.px{image-rendering:pixelated;outline:1px solid var(--line)}.empty{color:#8a3b00;font-size:11.5px;max-width:224px}
.overview{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 18px;margin:16px 0}.overview h2{font-size:15px;margin:0 0 8px}
.scroll{overflow-x:auto}.ov th,.ov td{padding:1px 2px;font-size:11px;font-weight:500;text-align:left;vertical-align:bottom}.ov thead th{color:var(--muted);max-width:64px}
.ov th.group{border-bottom:1px solid var(--line);text-align:center}.ov tbody th{white-space:nowrap;padding-right:8px}.ov tbody th small{display:block;color:var(--muted);font-weight:400}
.ov img{display:block}.note{color:var(--muted);margin:4px 0}a.up{font-size:12px;font-weight:400;margin-left:8px;color:var(--accent);text-decoration:none}
.facts p{margin:6px 0 2px;font-size:13px}
`;

/** The whole report as one HTML string (every image detailed; see ExplainReportBuilder for limits). */
export function renderExplainReport(r: ExplainReport, encodePng: PngEncoder, limits: ReportLimits = {}): string {
  const b = new ExplainReportBuilder(encodePng, limits);
  for (const im of r.images) b.add(im);
  return b.html(r);
}
