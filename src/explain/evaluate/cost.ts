/**
 * A rough cost model of an evaluation, in forward passes of one image (a backward counts two),
 * so that `vitlens eval` can say up front how long a run will take (after timing one forward on
 * this device) and show progress per image inside a batch. Estimates, not measurements: the
 * real time per stage is in the report.
 */
import type { Metric, Reference } from './experiment.js';

/** Forwards per image of each method's maps (P = patches). */
export function methodCost(name: string, P: number): number {
  switch (name) {
    case 'random': return 0;
    case 'attention': case 'rollout': case 'rollout-max': case 'rollout-abnar': return 1;
    case 'flow': return 20;
    case 'tam': case 'occlusion': return P + 1;
    case 'ig': return 32 * 3;
    case 'smoothgrad': return 16 * 3;
    default: return 3;
  }
}

export interface CostInput {
  methods: readonly string[];
  metrics: readonly Metric[];
  references: readonly Reference[];
  P: number;
  deletionSteps: number;
  fgsmSteps: number;
  /** Levels of the sanity checks computed (unique parameter sets). */
  sanityLevels: number;
}

/** Cost of each stage of one image, in the order the evaluation runs them. */
export function stageCosts(c: CostInput, bounded: { deletion: boolean; fgsm: boolean; sanity: boolean }): [string, number][] {
  const out: [string, number][] = [['forward', 1]];
  const refs = new Set<string>(c.metrics.includes('agreement') ? c.references : []);
  if (c.methods.includes('occlusion')) refs.add('blank-out');
  if (c.methods.includes('tam')) refs.add('tam');
  for (const r of refs) out.push([`maps: ${r}`, c.P + 1]);
  for (const m of c.methods) if (m !== 'occlusion' && m !== 'tam') out.push([`maps: ${m}`, methodCost(m, c.P)]);
  const n = c.methods.length;
  if (c.metrics.includes('deletion') && bounded.deletion) out.push(['deletion', n * 2 * (c.deletionSteps + 1)]);
  // An attack stops when the prediction flips: assume half the budget on average, inside and outside.
  if (c.metrics.includes('fgsm') && bounded.fgsm) out.push(['fgsm', n * 2 * (c.fgsmSteps / 2) * 3]);
  if (c.metrics.includes('sanity') && bounded.sanity) out.push(['sanity', c.sanityLevels * c.methods.reduce((a, m) => a + methodCost(m, c.P), 0)]);
  return out;
}

/** Total cost of a run: `images` images, the first `limits` of them in the bounded experiments. */
export function runCost(c: CostInput, images: number, limits: { deletion: number; fgsm: number; sanity: number }): number {
  const all = stageCosts(c, { deletion: false, fgsm: false, sanity: false }).reduce((a, [, v]) => a + v, 0);
  const extra = (k: 'deletion' | 'fgsm' | 'sanity') => (stageCosts(c, { deletion: k === 'deletion', fgsm: k === 'fgsm', sanity: k === 'sanity' }).find(([s]) => s === k)?.[1] ?? 0) * Math.min(images, limits[k]);
  return all * images + extra('deletion') + extra('fgsm') + extra('sanity');
}
