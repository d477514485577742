/**
 * The evaluation page's presentation rules, on a synthetic report (no GPU): 16 line series never
 * share a style and each has its own hue, the random control is black, thick and dashed, FGSM
 * columns identical for every method are dropped (and named), papers are cited by authors and
 * title, and the settings are a table.
 */
import { describe, expect, it } from 'vitest';
import type { StatsSummary } from '../../src/explain/evaluate/metrics.js';
import type { EvaluationReport } from '../../src/explain/evaluate/run.js';
import { linePlot, seriesColor, seriesStyle } from '../../src/report/eval-plots.js';
import { dropConstantColumns, evaluationPage, settingsRows } from '../../src/report/evaluation-page.js';

const stats = (mean: number, std = 0): StatsSummary => ({ count: 3, skipped: 0, mean, std, quantiles: [mean, mean, mean, mean, mean] }) as StatsSummary;
const names = ['attention', 'cdam', 'random'];

function report(): EvaluationReport {
  const fgsm = (inside: number) => ({ images: 3, inside: stats(inside, 1), outside: stats(5.5, 3.9), flippedInside: inside < 11 ? 0.5 : 0, flippedOutside: 0.75, insideFaster: 0, outsideFaster: 0.75 });
  const curve = (k: number) => [0.8, 0.6 - 0.1 * k, 0.3, 0.1];
  return {
    model: 'toy', device: 'cpu', images: 3, grid: [7, 7],
    methods: names.map((name) => ({ name, title: name === 'random' ? 'Random (control)' : name.toUpperCase(), classSpecific: name === 'cdam', description: '' })),
    settings: { methods: names, metrics: ['deletion', 'fgsm'], references: [], explainedClass: 'predicted class', deletionImages: 3, deletionSteps: 3, deletionBaseline: 'black', fgsmImages: 3, fgsm: { q: 0.1, eps: 2 / 255, maxSteps: 10, target: 'second most likely class' }, sanityImages: 0, seed: 0 },
    seconds: 1, stageSeconds: { deletion: 0.5 }, msPerImage: { attention: 1, cdam: 2, random: 0 },
    deletion: { baseline: 'black', fractions: [0, 1 / 3, 2 / 3, 1], methods: Object.fromEntries(names.map((m, k) => [m, { images: 3, deletionAuc: stats(0.3), insertionAuc: stats(0.5), meanDeletion: curve(k), meanInsertion: curve(k).reverse() }])) },
    fgsm: { q: 0.1, eps: 2 / 255, maxSteps: 10, methods: { attention: fgsm(9), cdam: fgsm(8), random: fgsm(11) } },
  } as EvaluationReport;
}

describe('evaluation page', () => {
  it('gives 16 series 16 hues and 16 distinct styles; the reference is black, thick and dashed', () => {
    const styles = Array.from({ length: 16 }, (_, i) => seriesStyle(i));
    expect(new Set(styles.map((s) => s.color)).size).toBe(16);
    expect(new Set(Array.from({ length: 16 }, (_, i) => seriesColor(i))).size).toBe(16);
    // Neighbours differ in dash and in marker as well as in hue.
    for (let i = 1; i < 16; i++) {
      expect(styles[i].dash === styles[i - 1].dash && styles[i].marker === styles[i - 1].marker, `series ${i}`).toBe(false);
    }
    expect(styles.some((s) => s.color === '#000')).toBe(false);
    const ref = seriesStyle(0, true);
    expect(ref).toMatchObject({ color: '#000', marker: 'none' });
    expect(ref.width).toBeGreaterThan(styles[0].width);
    expect(ref.dash).not.toBe('');
    const svg = linePlot({ title: 't', xLabel: 'x', yLabel: 'y', x: [0, 1], series: [{ name: 'a', y: [0, 1] }, { name: 'control', y: [1, 0], reference: true }] });
    // The reference is drawn last (on top) and listed first in the legend, in bold.
    expect(svg.lastIndexOf('stroke="#000"')).toBeGreaterThan(svg.indexOf(`stroke="${seriesColor(0)}"`));
    expect(svg).toContain('font-weight="700">control</text>');
  });

  it('drops columns that are the same for every method and names them', () => {
    const t = dropConstantColumns(['Method', 'a', 'b', 'c'], [['x', '1', '2', '3'], ['y', '1', '5', '3']]);
    expect(t.headers).toEqual(['Method', 'b']);
    expect(t.rows).toEqual([['x', '2'], ['y', '5']]);
    expect(t.constant).toEqual([['a', '1'], ['c', '3']]);
  });

  it('shows FGSM steps inside against the random control, cites papers by name, and lists settings as a table', () => {
    const html = evaluationPage(report());
    expect(html).not.toMatch(/seed 00\d/);
    expect(html).toContain('Lopes et al. 2024');
    expect(html).toContain('Explainability for Vision Transformers');
    expect(html).toContain('<th class="n">inside − random inside</th>');
    expect(html).toMatch(/<td>ATTENTION<\/td><td class="n">9\.0 ± 1\.0<\/td><td class="n">−2\.0<\/td>/);
    // steps outside, flipped outside and the two "faster" shares are equal for every method here.
    expect(html).not.toContain('<th class="n">steps outside</th>');
    expect(html).toMatch(/The same for every method, so not in the table: steps outside 5\.5 ± 3\.9; flipped outside 75%/);
    expect(html).not.toContain('{"methods"');
    expect(html).toContain('<td>FGSM</td><td>3 images, top 10% of patches, step 2.0/255, at most 10 steps, target second most likely class</td>');
    expect(settingsRows(report()).map(([k]) => k)).toContain('Seed');
  });
});
