/**
 * What `vitlens eval` says before it starts — how much work the run is and about how long it
 * will take on this device — and the per-image progress inside a batch. The estimate times one
 * forward pass here and scales it by the cost model of explain/evaluate/cost.ts.
 */
import { chunkSize } from '../explain/chunks.js';
import type { Metric, Reference } from '../explain/evaluate/experiment.js';
import { runCost, stageCosts, type CostInput } from '../explain/evaluate/cost.js';
import type { Evaluation } from '../explain/evaluate/run.js';
import { cascadingLevels, independentLevels, ORIGINAL } from '../explain/evaluate/sanity.js';
import type { VisionTransformer } from '../model/vit.js';

export interface PlanOptions {
  methods: string[];
  metrics: Metric[];
  references: Reference[];
  fgsm: { maxSteps: number };
  deletionSteps?: number;
  /** Images already done (a resumed run). */
  skip: number;
  quiet: boolean;
  resumed: boolean;
}

export interface Plan {
  /** The batch about to run (its images' ids decide which bounded experiments it takes part in). */
  start(ids: readonly number[]): void;
  /** Share of the batch's work done when `stage` begins. */
  fraction(stage: string): number;
}

export function duration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  const m = Math.round(seconds / 60);
  return m < 90 ? `${m} min` : `${(m / 60).toFixed(1)} h`;
}

/**
 * Milliseconds of one image's forward pass on this device, in a warm batch as large as the
 * methods' chunks (perturbation methods and IG run hundreds of copies per forward, where a
 * small device batch costs far more per image).
 */
async function forwardMs(model: VisionTransformer): Promise<number> {
  const [C, H, W] = model.config.pretrained.inputSize;
  const [gh, gw] = model.gridFor(H, W);
  const B = Math.max(1, Math.min(128, chunkSize(model, model.numPrefix + gh * gw)));
  const x = model.ctx.upload(new Float32Array(B * C * H * W), [B, C, H, W]);
  try {
    let ms = 0;
    for (let i = 0; i < 2; i++) {
      const t = performance.now();
      const r = model.forward(x);
      await r.logits!.read();
      r.release();
      ms = performance.now() - t;
    }
    return ms / B;
  } finally {
    x.release();
  }
}

export async function announce(model: VisionTransformer, ev: Evaluation, ids: readonly number[], o: PlanOptions): Promise<Plan> {
  const settings = ev.settings();
  const limit = (k: string) => (settings[k] === 'all' ? Infinity : (settings[k] as number));
  const { config } = model;
  const [, H, W] = config.pretrained.inputSize;
  const [gh, gw] = model.gridFor(H, W);
  const P = gh * gw;
  const levels = new Set([ORIGINAL, ...cascadingLevels(config), ...independentLevels(config)].map((l) => l.prefixes.join('|'))).size;
  const input: CostInput = { methods: o.methods, metrics: o.metrics, references: o.references, P, deletionSteps: o.deletionSteps ?? Math.min(P, 20), fgsmSteps: o.fgsm.maxSteps, sanityLevels: levels };
  const todo = ids.slice(o.skip);
  const below = (k: string) => todo.filter((id) => id < limit(k)).length;
  const bounded = { deletion: o.metrics.includes('deletion') ? below('deletionImages') : 0, fgsm: o.metrics.includes('fgsm') ? below('fgsmImages') : 0, sanity: o.metrics.includes('sanity') ? below('sanityImages') : 0 };
  let stages: [string, number][] = [];
  const plan: Plan = {
    start(batchIds) {
      const lim = { deletion: limit('deletionImages'), fgsm: limit('fgsmImages'), sanity: limit('sanityImages') };
      const share = (k: keyof typeof lim) => batchIds.filter((id) => id < lim[k]).length / Math.max(1, batchIds.length);
      stages = stageCosts(input, { deletion: true, fgsm: true, sanity: true }).map(([s, c]) => [s, s === 'deletion' || s === 'fgsm' || s === 'sanity' ? c * share(s) : c]);
    },
    fraction(stage) {
      const key = stage.startsWith('maps: ') ? stage : stage.split(':')[0];
      const total = stages.reduce((a, [, c]) => a + c, 0);
      const i = stages.findIndex(([s]) => s === key);
      if (i < 0 || total === 0) return 0;
      return stages.slice(0, i).reduce((a, [, c]) => a + c, 0) / total;
    },
  };
  if (o.quiet || todo.length === 0) return plan;
  const ms = await forwardMs(model);
  const seconds = (runCost(input, todo.length, bounded) * ms) / 1000;
  const total = (m: Metric[]) => (runCost({ ...input, metrics: m }, todo.length, bounded) * ms) / 1000;
  const parts = [
    o.metrics.includes('deletion') && `deletion on ${bounded.deletion}`,
    o.metrics.includes('fgsm') && `FGSM on ${bounded.fgsm}`,
    o.metrics.includes('sanity') && `sanity checks on ${bounded.sanity} (${levels} model variants)`,
    o.metrics.includes('agreement') && 'agreement',
    o.metrics.includes('localisation') && 'localisation',
  ].filter(Boolean);
  const cheap = o.metrics.length > 1 && o.metrics.includes('agreement') ? `; --metrics agreement alone: about ${duration(total(['agreement']))}` : '';
  console.error(
    `${o.resumed ? `resuming after ${o.skip} images: ` : ''}${todo.length} images x ${o.methods.length} methods (${parts.join(', ')}): ` +
      `about ${duration(seconds)} on this device (one image's forward: ${ms.toFixed(1)} ms; a rough estimate, the progress line refines it)${cheap}`,
  );
  return plan;
}
