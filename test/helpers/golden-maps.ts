/**
 * The explanation-map comparisons a golden case calls for, decided by the tensors its manifest
 * lists (rollout/<fusion>/<ratio>, grad_rollout[_hooked]/<t>/<ratio>, chefer/<t>, cdam_class/<t>,
 * cdam_concept, tam/<t>, gradcam[_raw]/<t>, blankout/<t>, attn, abnar_rollout, attention_flow).
 * One list for the two places that check them: test/explain/golden-explain.test.ts turns each
 * comparison into expectations, bench/gpu/parity.ts into rows of the GPU report.
 */
import { tokenAblation } from '../../src/explain/ablation.js';
import { clsAttention } from '../../src/explain/attention.js';
import { abnarRolloutMaps, attentionFlowMaps } from '../../src/explain/attention-flow.js';
import { cdam, conceptCdam } from '../../src/explain/cdam.js';
import { gradientRollout } from '../../src/explain/grad-rollout.js';
import { gradCam } from '../../src/explain/gradcam.js';
import type { ExplanationMaps } from '../../src/explain/maps.js';
import { occlusion } from '../../src/explain/occlusion.js';
import { relevance } from '../../src/explain/relevance.js';
import { attentionRollout } from '../../src/explain/rollout.js';
import type { Tensor } from '../../src/gpu/tensor.js';
import type { VisionTransformer } from '../../src/model/vit.js';
import type { GoldenCase } from './golden-reader.js';
import { GOLDEN_TOLERANCE } from './tolerances.js';

export interface CompareOptions {
  /** Bound on max abs error / the reference's largest magnitude (default GOLDEN_TOLERANCE.mapRel). */
  rel?: number;
  /** Compare these patches only (perturbation maps sampled to fit a budget); no Spearman then. */
  only?: number[];
}

/** Receives one engine map batch (one map per image) and the stored reference ([B * P]). */
export type CompareMaps = (name: string, got: Float32Array[], expected: Float32Array, opts?: CompareOptions) => void;

export interface MapCheck {
  /** The comparison's title (a test name, a report row group). */
  title: string;
  run(model: VisionTransformer, x: Tensor, compare: CompareMaps): Promise<void>;
}

export const tensorNames = (g: GoldenCase) => [...g.expected.tensors.keys()];
export const targetSets = (g: GoldenCase) => tensorNames(g).filter((k) => k.startsWith('targets/')).map((k) => k.slice(8));

/** The CLS-row reference (B x N rows) at the patch columns. */
function patchColumns(g: GoldenCase, name: string): Float32Array {
  const exp = g.f32(name);
  const [B] = g.shape(name);
  const N = exp.length / B;
  const { NP } = g.geometry;
  return Float32Array.from({ length: B * (N - NP) }, (_, i) => exp[Math.floor(i / (N - NP)) * N + NP + (i % (N - NP))]);
}

/**
 * Every map comparison of case `g`. Token ablation and occlusion cost one forward per patch: past
 * `perturbationBudget` multiply-adds a fixed, spread-out sample of patches is compared.
 */
export function mapChecks(g: GoldenCase, opts: { perturbationBudget: number }): MapCheck[] {
  const names = tensorNames(g);
  const sets = targetSets(g);
  const classes = () => sets.map((t) => ({ perImage: Array.from(g.int(`targets/${t}`)) }));
  const has = (prefix: string) => sets.some((t) => g.has(`${prefix}/${t}`));
  /** Map t of `m` against `<prefix>/<set t>[/<suffix>]`, for the sets the case stores. */
  const perSet = (compare: CompareMaps, m: ExplanationMaps, prefix: string, suffix = '', o?: CompareOptions) =>
    sets.forEach((t, i) => {
      const name = `${prefix}/${t}${suffix}`;
      if (g.has(name)) compare(name, m.maps[i], g.f32(name), o);
    });
  const checks: MapCheck[] = [];

  const rollouts = names.filter((n) => /^rollout\/(mean|min|max)\/[\d.]+$/.test(n));
  if (rollouts.length) {
    checks.push({
      title: 'attention rollout (vit-explain)',
      run: async (model, x, compare) => {
        for (const name of rollouts) {
          const [, fusion, ratio] = name.split('/');
          compare(name, (await attentionRollout(model, x, { headFusion: fusion as 'mean', discardRatio: Number(ratio) })).maps[0], g.f32(name));
        }
      },
    });
  }
  for (const variant of ['grad_rollout', 'grad_rollout_hooked'] as const) {
    const ratios = [...new Set(names.filter((n) => n.startsWith(`${variant}/`)).map((n) => n.split('/')[2]))];
    if (!ratios.length) continue;
    checks.push({
      title: `${variant} (all target sets in one backward)`,
      run: async (model, x, compare) => {
        for (const ratio of ratios) {
          const m = await gradientRollout(model, x, classes(), { discardRatio: Number(ratio), pairing: variant === 'grad_rollout' ? 'same-block' : 'hooked' });
          perSet(compare, m, variant, `/${ratio}`);
        }
      },
    });
  }
  if (has('chefer')) checks.push({ title: 'chefer', run: async (model, x, compare) => perSet(compare, await relevance(model, x, classes()), 'chefer') });
  if (has('cdam_class')) checks.push({ title: 'cdam_class', run: async (model, x, compare) => perSet(compare, await cdam(model, x, classes()), 'cdam_class') });
  if (has('gradcam') || has('gradcam_raw')) {
    checks.push({
      title: 'gradcam and gradcam_raw',
      run: async (model, x, compare) => {
        const r = await gradCam(model, x, classes());
        perSet(compare, r, 'gradcam');
        perSet(compare, { ...r, maps: r.raw }, 'gradcam_raw');
      },
    });
  }
  if (g.has('cdam_concept') && g.has('concept_vector')) {
    checks.push({ title: 'concept CDAM', run: async (model, x, compare) => compare('cdam_concept', (await conceptCdam(model, x, g.f32('concept_vector'))).maps[0], g.f32('cdam_concept')) });
  }
  for (const [prefix, method] of [
    ['tam', tokenAblation],
    ['blankout', occlusion],
  ] as const) {
    if (!has(prefix)) continue;
    checks.push({
      title: `${prefix} (batched perturbations)`,
      run: async (model, x, compare) => {
        const { B, grid, N } = g.geometry;
        const P = grid[0] * grid[1];
        const a = g.config.model_args;
        const perForward = (a.depth as number) * N * 12 * (a.embed_dim as number) ** 2;
        const affordable = Math.max(8, Math.floor(opts.perturbationBudget / (perForward * B)));
        const patches = affordable >= P ? undefined : Array.from({ length: affordable }, (_, i) => Math.floor((i * P) / affordable + P / (2 * affordable)));
        perSet(compare, await method(model, x, classes(), { patches }), prefix, '', { only: patches });
      },
    });
  }
  if (g.has('attn') && g.config.model_args.class_token !== false) {
    checks.push({
      title: 'raw CLS attention per block and head (seed 002)',
      run: async (model, x, compare) => {
        // Reference: the class token's row of the stored attention, at the patch columns.
        const [, L, H, N] = g.shape('attn');
        const { NP } = g.geometry;
        const attn = g.f32('attn');
        const all = await clsAttention(model, x);
        g.batchIndices('attn').forEach((b, row) => {
          for (let l = 0; l < L; l++) {
            for (let h = 0; h < H; h++) {
              const at = ((row * L + l) * H + h) * N * N;
              compare('attention (CLS row, per block and head)', [all.perHead[l][h][b]], attn.subarray(at + NP, at + N), { rel: GOLDEN_TOLERANCE.exactMapRel });
            }
          }
        });
      },
    });
  }
  if (g.has('abnar_rollout')) {
    checks.push({ title: 'Abnar & Zuidema rollout (float64 on the CPU)', run: async (model, x, compare) => compare('abnar_rollout', (await abnarRolloutMaps(model, x)).maps[0], patchColumns(g, 'abnar_rollout'), { rel: GOLDEN_TOLERANCE.exactMapRel }) });
  }
  if (g.has('attention_flow')) {
    checks.push({ title: 'attention flow (exact max-flow)', run: async (model, x, compare) => compare('attention_flow', (await attentionFlowMaps(model, x)).maps[0], patchColumns(g, 'attention_flow'), { rel: GOLDEN_TOLERANCE.flowRel }) });
  }
  return checks;
}
