/**
 * The evaluation report (explain/evaluate) as one self-contained HTML page: summary, tables and
 * inline-SVG plots — box plots of the per-image correlations with the reference maps, the
 * method-by-method agreement matrix, mean deletion / insertion curves, FGSM steps inside vs
 * outside, and the sanity-check curves. No scripts, no external CSS or fonts: it opens offline.
 */
import type { StatsSummary } from '../explain/evaluate/metrics.js';
import { topCount } from '../explain/evaluate/metrics.js';
import { methodTitle, RANDOM_METHOD, type EvaluationReport } from '../explain/evaluate/run.js';
import { localisationSection } from './eval-localisation.js';
import { barPlot, boxPlot, heatmap, linePlot } from './eval-plots.js';
import { escapeHtml as esc } from './html.js';

export interface EvaluationPageOptions {
  title?: string;
  /** The command line that produced the report (shown verbatim). */
  command?: string;
  /** Images available in the source, to flag a subset. */
  available?: number;
}

const num = (v: number | null | undefined, d = 2) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
const pm = (s: StatsSummary | undefined, d = 2) => (!s || !s.count ? '—' : `${num(s.mean, d)} ± ${num(s.std, d)}`);
const pct = (v: number) => `${(100 * v).toFixed(0)}%`;

/**
 * The works the experiments follow, named as readers know them (the shared source folder numbers
 * them; those numbers mean nothing to a reader).
 */
export const SOURCES = {
  lopes: { cite: 'Lopes et al. 2024', full: 'N. Lopes, M. Thiaw, Z. Oumzil, F. Reynal: “Explainability for Vision Transformers”, MAP583 project presentation, École Polytechnique, 2024' },
  chalom: { cite: 'Chalom 2023', full: 'J. Chalom: “GradCAM: Explaining Transformer Models (From a Vision Perspective)”, MSc talk, 2023' },
  brocki: { cite: 'Brocki & Chung', full: 'L. Brocki, N. C. Chung: “Class-Discriminative Attention Maps for Vision Transformers”' },
} as const;

const cite = (k: keyof typeof SOURCES) => `<a href="#sources">${esc(SOURCES[k].cite)}</a>`;

/**
 * Splits off the columns (after the first) whose cells are the same in every row: they say
 * nothing about the methods. Returns the table without them and the dropped (header, value) pairs.
 */
export function dropConstantColumns(headers: string[], rows: string[][]): { headers: string[]; rows: string[][]; constant: [string, string][] } {
  const keep = headers.map((_, c) => c === 0 || rows.length < 2 || rows.some((r) => r[c] !== rows[0][c]));
  return {
    headers: headers.filter((_, c) => keep[c]),
    rows: rows.map((r) => r.filter((_, c) => keep[c])),
    constant: headers.flatMap((h, c) => (keep[c] ? [] : [[h, rows[0]?.[c] ?? ''] as [string, string]])),
  };
}

/** The settings as readable rows (what each is, not the JSON key). */
export function settingsRows(r: EvaluationReport): [string, string][] {
  const s = r.settings;
  const f = s.fgsm;
  const known: [string, string][] = [
    ['Methods', s.methods.join(', ')],
    ['Metrics', s.metrics.join(', ')],
    ['Agreement references', s.references.join(', ')],
    ['Explained class', s.explainedClass],
    ['Deletion / insertion', `${s.deletionImages} images, ${s.deletionSteps ?? 'one per patch'} steps, ${s.deletionBaseline} baseline`],
    ['FGSM', `${s.fgsmImages} images, top ${pct(f.q)} of patches, step ${num(f.eps * 255, 1)}/255, at most ${f.maxSteps} steps, target ${f.target}`],
    ['Sanity checks', `${s.sanityImages} images`],
    ['Seed', `${s.seed} (random control and re-initialised weights)`],
  ];
  const shown = new Set(['methods', 'metrics', 'references', 'explainedClass', 'deletionImages', 'deletionSteps', 'deletionBaseline', 'fgsmImages', 'fgsm', 'sanityImages', 'seed']);
  const rest = Object.entries(s).filter(([k]) => !shown.has(k)).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)] as [string, string]);
  return [...known, ...rest];
}

function htmlTable(headers: string[], rows: string[][]): string {
  return `<table><thead><tr>${headers.map((h, i) => `<th${i ? ' class="n"' : ''}>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => `<td${i ? ' class="n"' : ''}>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const CSS = `
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1d1d1f; background: #fafafa; margin: 0; line-height: 1.55; font-size: 16px; }
main { max-width: 1080px; margin: 0 auto; padding: 28px 24px 64px; background: #fff; }
h1 { font-size: 1.7rem; margin: 0 0 6px; }
h2 { font-size: 1.3rem; margin: 40px 0 8px; padding-top: 12px; border-top: 1px solid #e4e4e4; }
h3 { font-size: 1.05rem; margin: 24px 0 6px; }
p, li { max-width: 75ch; }
.muted { color: #5f5f66; }
.subset { background: #fff4d6; border: 1px solid #e8c35a; padding: 8px 12px; border-radius: 6px; max-width: 75ch; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.88em; }
pre { background: #f4f4f6; padding: 10px 12px; border-radius: 6px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
table { border-collapse: collapse; margin: 10px 0 18px; font-size: 0.9rem; }
th, td { padding: 5px 10px; border-bottom: 1px solid #e6e6e6; text-align: left; }
th { background: #f3f4f7; font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) { background: #fafbfc; }
.scroll { overflow-x: auto; }
figure { margin: 14px 0 22px; }
figcaption { color: #5f5f66; font-size: 0.9rem; max-width: 75ch; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; }
dt { color: #5f5f66; }
dd { margin: 0; }
`;

/** A chart with its caption (plain text, or `{ html }` for a caption with links). */
function figure(svg: string, caption: string | { html: string }): string {
  return `<figure><div class="scroll">${svg}</div><figcaption>${typeof caption === 'string' ? esc(caption) : caption.html}</figcaption></figure>`;
}

export function evaluationPage(r: EvaluationReport, opts: EvaluationPageOptions = {}): string {
  const title = opts.title ?? `Explanation evaluation — ${r.model}`;
  const t = (m: string) => methodTitle(r, m);
  const P = r.grid[0] * r.grid[1];
  const s = r.settings;
  const body: string[] = [];
  body.push(`<h1>${esc(title)}</h1>`);
  body.push(`<p class="muted">${esc(`${r.images} images, ${r.methods.length} methods, ${s.metrics.join(', ')}; ${r.device}`)}</p>`);
  if (opts.available !== undefined && opts.available > r.images) {
    body.push(`<p class="subset">${esc(`A subset: ${r.images} of the ${opts.available} images of the data set were evaluated.`)}</p>`);
  }
  const dl: [string, string][] = [
    ['Model', `${r.model} (${r.grid[0]}×${r.grid[1]} patches)`],
    ['Device', r.device],
    ['Images', `${r.images}${opts.available !== undefined ? ` of ${opts.available}` : ''}`],
    ...(r.accuracy !== undefined ? [['Top-1 accuracy', `${(100 * r.accuracy).toFixed(1)}%`] as [string, string]] : []),
    ['Explained class', s.explainedClass],
    ['Wall time', `${r.seconds.toFixed(1)} s (${Object.entries(r.stageSeconds).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')})`],
    ['Methods', r.methods.map((m) => m.name).join(', ')],
    ['Seed', String(s.seed)],
  ];
  body.push(`<dl>${dl.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`);
  if (opts.command) body.push(`<pre>${esc(opts.command)}</pre>`);
  body.push(`<h3>Methods</h3><ul>${r.methods.map((m) => `<li><b>${esc(m.title)}</b> (<code>${esc(m.name)}</code>): ${esc(m.description)}</li>`).join('')}</ul>`);

  if (r.agreement) {
    const a = r.agreement;
    const k = topCount(P, 0.1);
    body.push('<h2>Agreement with the reference maps</h2>');
    body.push(`<p>Per image, the Spearman rank correlation (ties as average ranks) between a method's patch scores and a reference map, and the share of the reference's top-10% patches (${k} of ${P}) that are also among the method's. <b>Blank-out</b> (as in ${cite('lopes')}): drop of the predicted class's probability when a patch is set to black. <b>Token ablation</b> (${cite('brocki')}): drop of its logit when the patch token is removed. Chance level: Spearman 0, top-10% ≈ ${num(k / P)}.</p>`);
    const headers = ['Method'];
    for (const ref of a.references) headers.push(`Spearman vs ${a.referenceTitles[ref]}`, `top-10% vs ${a.referenceTitles[ref]}`, `Pearson vs ${a.referenceTitles[ref]}`);
    body.push(`<div class="scroll">${htmlTable(headers, Object.entries(a.methods).map(([m, pr]) => [t(m), ...a.references.flatMap((ref) => [pm(pr[ref].spearman), pm(pr[ref].top10), pm(pr[ref].pearson)])]))}</div>`);
    for (const ref of a.references) {
      const boxes = Object.entries(a.methods).map(([m, pr]) => ({ name: t(m), q: pr[ref].spearman.quantiles, mean: pr[ref].spearman.mean, count: pr[ref].spearman.count, reference: m === RANDOM_METHOD.name }));
      body.push(figure(boxPlot({ title: `Spearman with ${a.referenceTitles[ref]}, per image`, xLabel: 'Spearman rank correlation', boxes, xRange: [-1, 1], xRef: 0 }), `Distribution over images of each method's Spearman correlation with the ${a.referenceTitles[ref]} map. Dashed line: chance (0)${a.methods[RANDOM_METHOD.name] ? '; in black: the random control' : ''}.`));
    }
    const names = a.pairwise.names.map(t);
    body.push('<h3>Agreement between methods</h3>');
    body.push(figure(heatmap({ title: 'Mean Spearman between methods', names, values: a.pairwise.mean }), { html: `Mean over images of the Spearman correlation between the maps of two methods (${cite('lopes')} report rollout vs gradient rollout 0.47, flow vs rollout 0.23 on ImageNet). Red: agree, blue: opposite rankings.` }));
  }

  if (r.deletion) {
    const d = r.deletion;
    const names = Object.keys(d.methods);
    const n = d.methods[names[0]]?.images ?? 0;
    body.push('<h2>Deletion and insertion</h2>');
    body.push(`<p>Patches are removed (deletion: replaced by the <b>${esc(d.baseline)}</b> baseline) or restored onto the baseline (insertion) most relevant first; the curves show the mean probability of the predicted class over ${n} images, the AUC is the mean over the fraction. A faithful map makes deletion fall fast (low AUC) and insertion rise fast (high AUC).</p>`);
    body.push(htmlTable(['Method', 'deletion AUC ↓', 'insertion AUC ↑', 'insertion − deletion'], names.map((m) => [t(m), pm(d.methods[m].deletionAuc, 3), pm(d.methods[m].insertionAuc, 3), num(d.methods[m].insertionAuc.mean - d.methods[m].deletionAuc.mean, 3)])));
    for (const kind of ['deletion', 'insertion'] as const) {
      body.push(figure(linePlot({
        title: `Mean ${kind} curve`,
        xLabel: kind === 'deletion' ? 'fraction of patches removed (most relevant first)' : 'fraction of patches restored (most relevant first)',
        yLabel: 'probability of the predicted class',
        x: d.fractions,
        series: names.map((m) => ({ name: t(m), y: kind === 'deletion' ? d.methods[m].meanDeletion : d.methods[m].meanInsertion, reference: m === RANDOM_METHOD.name })),
        yRange: [0, 1],
      }), `Mean over ${n} images; ${d.fractions.length - 1} steps.${d.methods[RANDOM_METHOD.name] ? ` Black, thick, dashed: the random control (${kind === 'deletion' ? 'removing' : 'restoring'} patches in random order).` : ''}`));
    }
  }

  if (r.fgsm) {
    const f = r.fgsm;
    const names = Object.keys(f.methods);
    const n = f.methods[names[0]]?.images ?? 0;
    const random = f.methods[RANDOM_METHOD.name];
    body.push('<h2>FGSM inside vs outside the explanation</h2>');
    body.push(`<p>As in ${cite('lopes')}: targeted FGSM towards the second most likely class with steps of ${num(f.eps * 255, 1)}/255, restricted to a method's top ${pct(f.q)} patches (inside) or to the other ${pct(1 - f.q)} (outside), until the prediction flips or ${f.maxSteps} steps pass (a run that never flips counts ${f.maxSteps + 1}). The outside region is ${num((1 - f.q) / f.q, 0)}× larger and the same for every method up to which patches it leaves out, so what tells methods apart is the inside: a map that finds the patches the decision rests on needs fewer steps inside than the random control's region of the same size. ${n} images.</p>`);
    const headers = ['Method', 'steps inside', ...(random ? ['inside − random inside'] : []), 'flipped inside', 'steps outside', 'flipped outside', 'inside faster than outside', 'outside faster than inside'];
    const rows = names.map((m) => {
      const v = f.methods[m];
      const diff = num(v.inside.mean - random?.inside.mean!, 1).replace(/^-/, '−');
      const vsRandom = random ? [m === RANDOM_METHOD.name ? '(control)' : /^[−0.]+$/.test(diff) ? '0.0' : diff.startsWith('−') ? diff : `+${diff}`] : [];
      return [t(m), pm(v.inside, 1), ...vsRandom, pct(v.flippedInside), pm(v.outside, 1), pct(v.flippedOutside), pct(v.insideFaster), pct(v.outsideFaster)];
    });
    const table = dropConstantColumns(headers, rows);
    body.push(htmlTable(table.headers, table.rows));
    if (table.constant.length) body.push(`<p class="muted">${esc(`The same for every method, so not in the table: ${table.constant.map(([h, v]) => `${h} ${v}`).join('; ')}.`)}</p>`);
    const outsideDiffers = table.headers.includes('steps outside');
    body.push(figure(barPlot({
      title: 'FGSM steps until the prediction flips',
      xLabel: `steps (mean ± std; budget ${f.maxSteps})`,
      seriesNames: [`inside the top ${pct(f.q)}`, ...(outsideDiffers ? ['outside'] : [])],
      groups: names.map((m) => ({ name: t(m), reference: m === RANDOM_METHOD.name, values: [{ v: f.methods[m].inside.mean, err: f.methods[m].inside.std }, ...(outsideDiffers ? [{ v: f.methods[m].outside.mean, err: f.methods[m].outside.std }] : [])] })),
      xRange: [0, f.maxSteps + 1],
      xRef: random ? random.inside.mean : undefined,
    }), random ? "Black dashed line and black bar: the random control's inside. Bars left of the line: the map's region matters more to the model than a random one of the same size." : 'Fewer steps inside = the region matters more to the model (no random control in this run to compare with).'));
  }

  if (r.sanity) {
    body.push(`<h2>Sanity checks: parameter randomisation</h2><p>As in ${cite('chalom')}.</p>`);
    body.push(`<p>Weights re-initialised with timm's initialisation (seed ${s.seed}) — cascading from the classifier down through the blocks to the embedding, or one part at a time — and each method's map recomputed for the same class on ${r.sanity.images} images. Spearman between the map before and after (mean over images); a method that explains the trained model should fall well below 1 once the weights it depends on are random.</p>`);
    for (const mode of ['cascading', 'independent'] as const) {
      const c = r.sanity[mode];
      body.push(`<h3>${mode === 'cascading' ? 'Cascading' : 'Independent'} randomisation</h3>`);
      body.push(`<div class="scroll">${htmlTable(['Method', ...c.levels], Object.entries(c.methods).map(([m, v]) => [t(m), ...v.spearman.map((x, i) => `${num(x.mean)} / ${num(v.spearmanAbs[i].mean)}`)]))}</div>`);
      body.push('<p class="muted">Cells: Spearman of the signed maps / of their absolute values.</p>');
      for (const abs of [false, true]) {
        body.push(figure(linePlot({
          title: `${mode === 'cascading' ? 'Cascading' : 'Independent'} randomisation${abs ? ' (absolute values)' : ''}`,
          xLabel: mode === 'cascading' ? 'randomised from the top down to' : 'randomised part',
          yLabel: 'Spearman with the original map',
          x: c.levels,
          series: Object.entries(c.methods).map(([m, v]) => ({ name: t(m), y: (abs ? v.spearmanAbs : v.spearman).map((x) => (x.count ? x.mean : null)), reference: m === RANDOM_METHOD.name })),
          yRange: [-1, 1],
          yRef: 0,
        }), `Mean Spearman over ${r.sanity.images} images${abs ? ', of the absolute values of the maps' : ''}.`));
      }
    }
  }

  body.push(localisationSection(r, htmlTable, figure));

  body.push('<h2>Time per image</h2>');
  body.push(htmlTable(['Method', 'ms / image'], Object.entries(r.msPerImage).sort((x, y) => y[1] - x[1]).map(([m, v]) => [t(m), num(v, 1)])));
  body.push('<h2>Settings</h2>');
  body.push(htmlTable(['Setting', 'Value'], settingsRows(r)).replace(/ class="n"/g, ''));
  body.push(`<h2 id="sources">Sources</h2><ul>${Object.values(SOURCES).map((x) => `<li>${esc(x.full)}</li>`).join('')}</ul>`);
  body.push('<p class="muted">Generated by vitlens eval.</p>');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body.join('\n')}
</main>
</body>
</html>
`;
}
