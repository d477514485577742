/**
 * The localisation section of the evaluation page: the four scores per method, Chalom (2023)'s
 * per-class table and a box plot of the energy pointing game per image with the chance level
 * (the region's mean area share) marked.
 */
import { methodTitle, type EvaluationReport } from '../explain/evaluate/run.js';
import { localisationNotes, num, pm } from '../explain/evaluate/tables.js';
import { boxPlot } from './eval-plots.js';
import { escapeHtml as esc } from './html.js';

export function localisationSection(r: EvaluationReport, table: (headers: string[], rows: string[][]) => string, figure: (svg: string, caption: string) => string): string {
  const l = r.localisation;
  if (!l) return '';
  const t = (m: string) => methodTitle(r, m);
  const names = Object.keys(l.methods);
  const ids = Object.keys(l.methods[names[0]]?.perClass ?? {});
  const out = ['<h2>Localisation against ground-truth masks</h2>', `<p>${esc(localisationNotes(r))}</p>`];
  out.push(table(['Method', 'class mean (Chalom 2023) ↑', 'energy pointing game ↑', 'mass accuracy ↑', 'rank accuracy ↑'], names.map((m) => {
    const v = l.methods[m];
    return [t(m), pm(v.classMean), pm(v.energy), pm(v.mass), pm(v.rank)];
  })));
  out.push(figure(boxPlot({
    title: 'Energy pointing game, per image',
    xLabel: 'share of the map\'s positive mass inside the region',
    boxes: names.map((m) => ({ name: t(m), q: l.methods[m].energy.quantiles, mean: l.methods[m].energy.mean, count: l.methods[m].energy.count })),
    xRange: [0, 1],
    xRef: l.areaShare.mean,
  }), `Dashed line: the chance level, the region's mean share of the image (${num(l.areaShare.mean)}).`));
  out.push('<h3>Per mask class (Chalom 2023)</h3>');
  out.push(`<div class="scroll">${table(['Method', ...ids.map((id) => l.classNames[Number(id)] ?? `class ${id}`)], names.map((m) => [t(m), ...ids.map((id) => num(l.methods[m].perClass[id].mean))]))}</div>`);
  out.push('<p class="muted">Cell: mean over images of the max-normalised map averaged over that class\'s pixels (1 = the map\'s maximum everywhere on the class).</p>');
  return out.join('\n');
}
