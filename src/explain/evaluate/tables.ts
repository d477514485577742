/**
 * The evaluation report as tables: padded pipe tables that read as plain text in a terminal and
 * render as Markdown (with `markdown: true`, sections get `###` headings and notes become
 * paragraphs — what docs/evaluation.md embeds).
 */
import type { StatsSummary } from './metrics.js';
import { topCount } from './metrics.js';
import { methodTitle, type EvaluationReport } from './run.js';

export interface TableOptions {
  markdown?: boolean;
  /** Images available in the source (to say when the run used a subset). */
  available?: number;
  /** Extra lines for the header (e.g. the command that produced the report). */
  header?: string[];
}

export function table(headers: string[], rows: string[][], align?: ('l' | 'r')[]): string {
  const cells = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(3, ...cells.map((r) => (r[i] ?? '').length)));
  const a = align ?? headers.map((_, i) => (i === 0 ? 'l' : 'r'));
  const pad = (s: string, i: number) => (a[i] === 'r' ? s.padStart(widths[i]) : s.padEnd(widths[i]));
  const line = (r: string[]) => `| ${r.map((c, i) => pad(c ?? '', i)).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (a[i] === 'r' ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

export const num = (v: number | null | undefined, digits = 2) => (v === null || v === undefined || Number.isNaN(v) ? '—' : v.toFixed(digits));
/** mean ± std of a summary, e.g. "0.11 ± 0.24". */
export const pm = (s: StatsSummary | undefined, digits = 2) => (!s || !s.count ? '—' : `${num(s.mean, digits)} ± ${num(s.std, digits)}`);
const pct = (v: number) => `${(100 * v).toFixed(0)}%`;

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds - 60 * m);
  return m < 60 ? `${m} min ${s} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatReport(r: EvaluationReport, opts: TableOptions = {}): string {
  const md = opts.markdown ?? false;
  const out: string[] = [];
  const heading = (t: string) => out.push(md ? `### ${t}\n` : `${t}\n${'='.repeat(t.length)}\n`);
  const note = (t: string) => out.push(`${t}\n`);
  const title = (m: string) => methodTitle(r, m);
  const P = r.grid[0] * r.grid[1];
  const subset = opts.available !== undefined && opts.available > r.images;

  const s = r.settings;
  const lines = [
    ...(opts.header ?? []),
    `Model ${r.model} (${r.grid[0]}x${r.grid[1]} patches) on ${r.device}.`,
    `Images: ${r.images}${opts.available !== undefined ? ` of ${opts.available}` : ''}${subset ? ' — a SUBSET of the data set' : ''}${r.accuracy !== undefined ? `; top-1 accuracy ${(100 * r.accuracy).toFixed(1)}%` : ''}.`,
    `Explained class: the ${s.explainedClass}. Wall time ${duration(r.seconds)} (${Object.entries(r.stageSeconds).map(([k, v]) => `${k} ${duration(v)}`).join(', ')}).`,
  ];
  out.push(md ? `${lines.join('  \n')}\n` : `${lines.join('\n')}\n`);

  if (r.agreement) {
    const a = r.agreement;
    heading('Agreement with the reference maps');
    const k = topCount(P, 0.1);
    note(
      `Per image: Spearman rank correlation (ties as average ranks) between a method's patch scores and the reference map, and the share of the reference's top-10% patches (${k} of ${P}) among the method's; mean ± std over ${a.methods[Object.keys(a.methods)[0]]?.[a.references[0]]?.spearman.count ?? 0} images. ` +
        `Blank-out: drop of the predicted class's probability when a patch is set to black (Lopes et al. 2024). Token ablation: drop of its logit when the patch token is removed (Brocki & Chung). Chance level: Spearman 0, top-10% ${num(k / P)}.`,
    );
    const headers = ['Method'];
    for (const ref of a.references) headers.push(`Spearman vs ${a.referenceTitles[ref]}`, `top-10% vs ${a.referenceTitles[ref]}`);
    const rows = Object.entries(a.methods).map(([m, perRef]) => [title(m), ...a.references.flatMap((ref) => [pm(perRef[ref].spearman), pm(perRef[ref].top10)])]);
    out.push(`${table(headers, rows)}\n`);
    const skipped = Object.entries(a.methods).flatMap(([m, perRef]) => a.references.filter((ref) => perRef[ref].spearman.skipped > 0).map((ref) => `${title(m)} vs ${a.referenceTitles[ref]}: ${perRef[ref].spearman.skipped}`));
    if (skipped.length) note(`Images left out because a map was constant (no ranking): ${skipped.join('; ')}.`);

    heading('Agreement between methods');
    note('Mean Spearman over images between every pair of maps (Lopes et al. 2024 compare rollout, gradient rollout and flow this way).');
    const names = a.pairwise.names;
    const short = names.map((n) => (n.startsWith('(') ? methodTitle(r, n) : n));
    out.push(`${table(['', ...short], names.map((_, i) => [short[i], ...names.map((_, j) => (i === j ? '1' : num(a.pairwise.mean[i][j])))]))}\n`);
  }

  if (r.deletion) {
    const d = r.deletion;
    heading('Deletion and insertion');
    const first = Object.values(d.methods)[0];
    note(
      `Patches removed (deletion: replaced by the ${d.baseline} baseline) or restored onto the baseline (insertion), most relevant first, in ${d.fractions.length - 1} steps; the curve is the predicted class's probability, the AUC its mean over the fraction removed. ` +
        `Deletion: lower is better; insertion: higher is better. ${first?.images ?? 0} images.`,
    );
    const rows = Object.entries(d.methods).map(([m, v]) => [title(m), pm(v.deletionAuc, 3), pm(v.insertionAuc, 3), num(v.insertionAuc.mean - v.deletionAuc.mean, 3)]);
    out.push(`${table(['Method', 'deletion AUC ↓', 'insertion AUC ↑', 'insertion − deletion'], rows)}\n`);
  }

  if (r.fgsm) {
    const f = r.fgsm;
    heading('FGSM inside vs outside the explanation');
    const first = Object.values(f.methods)[0];
    note(
      `Targeted FGSM towards the second most likely class, steps of ${num(f.eps * 255, 1)}/255 restricted to a method's top ${pct(f.q)} patches (inside) or to the other ${pct(1 - f.q)} (outside), until the prediction is the target or ${f.maxSteps} steps (a run that never flips counts ${f.maxSteps + 1}). ` +
        `Steps mean ± std over ${first?.images ?? 0} images. The outside region is ${num((1 - f.q) / f.q, 0)}x larger, so compare "inside" with the random control's.`,
    );
    const rows = Object.entries(f.methods).map(([m, v]) => [title(m), pm(v.inside, 1), pm(v.outside, 1), pct(v.flippedInside), pct(v.flippedOutside), pct(v.insideFaster), pct(v.outsideFaster)]);
    out.push(`${table(['Method', 'steps inside', 'steps outside', 'flipped inside', 'flipped outside', 'inside faster', 'outside faster'], rows)}\n`);
  }

  if (r.sanity) {
    for (const mode of ['cascading', 'independent'] as const) {
      const c = r.sanity[mode];
      heading(`Sanity check: ${mode} randomisation`);
      note(
        mode === 'cascading'
          ? `Parameters re-initialised (timm's init, seed ${s.seed}) from the top down: the classifier, then each block, then the embedding. Cell: mean Spearman between the map before and after, plain / of absolute values, over ${r.sanity.images} images. Near 1 = the map does not depend on those weights.`
          : `One part re-initialised at a time. Cell: mean Spearman before/after, plain / of absolute values, over ${r.sanity.images} images.`,
      );
      const rows = Object.entries(c.methods).map(([m, v]) => [title(m), ...v.spearman.map((x, i) => `${num(x.mean)} / ${num(v.spearmanAbs[i].mean)}`)]);
      out.push(`${table(['Method', ...c.levels], rows)}\n`);
    }
  }

  if (r.localisation) {
    heading('Localisation against ground-truth masks');
    out.push(`${localisationNotes(r)}\n`);
    const l = r.localisation;
    const rows = Object.entries(l.methods).map(([m, v]) => [title(m), pm(v.classMean), pm(v.energy), pm(v.mass), pm(v.rank)]);
    out.push(`${table(['Method', 'class mean (Chalom 2023) ↑', 'energy pointing game ↑', 'mass accuracy ↑', 'rank accuracy ↑'], rows)}\n`);
    const ids = Object.keys(Object.values(l.methods)[0]?.perClass ?? {});
    note('Chalom (2023)\'s table: per mask class, the mean over images of the map\'s (max-normalised) mean over that class\'s pixels.');
    out.push(`${table(['Method', ...ids.map((id) => l.classNames[Number(id)] ?? `class ${id}`)], Object.entries(l.methods).map(([m, v]) => [title(m), ...ids.map((id) => num(v.perClass[id].mean))]))}\n`);
  }

  heading('Time per image');
  note('Milliseconds per image to compute each method\'s maps (blank-out and token ablation include the reference maps).');
  const times = Object.entries(r.msPerImage).sort((x, y) => y[1] - x[1]);
  out.push(`${table(['Method', 'ms / image'], times.map(([m, v]) => [title(m), num(v, 1)]))}\n`);
  return out.join('\n');
}

/** What the localisation scores mean and their chance level (shared by the tables and the page). */
export function localisationNotes(r: EvaluationReport): string {
  const l = r.localisation!;
  const first = Object.values(l.methods)[0];
  const n = first ? first.energy.count + first.energy.skipped : 0;
  const skipped = first ? first.rank.skipped : 0;
  const region = l.region === 'class' ? 'the pixels of the explained (predicted) class in the mask (mask id = class + 1)' : 'every non-zero pixel of the mask';
  return (
    `Region: ${region}. The patch map is read at pixel level (each pixel takes its patch's value). ` +
    `Class mean (Chalom 2023): the map divided by its largest |value|, averaged over the region's pixels. Energy pointing game: share of the map's positive mass inside the region. ` +
    `Mass accuracy (Arras et al., Quantus): sum of the map inside / sum over the image. Rank accuracy: share of the region among the map's top-K pixels, K = the region's size. ` +
    `Mean ± std over ${n} images with a mask${skipped ? `; ${skipped} left out where the region was empty (in class mode: a wrong prediction) or the map had no mass` : ''}. ` +
    `Chance level (a map blind to the mask): the region's mean area share, ${num(l.areaShare.mean)}, for energy, mass and rank accuracy.`
  );
}
