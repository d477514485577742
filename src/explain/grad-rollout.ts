/**
 * Gradient attention rollout (vit-explain `grad_rollout`): per block F = mean_h(A * G), negative
 * values clamped to 0, the lowest `discardRatio` discarded (the CLS->CLS entry is NOT spared —
 * that line is commented out in the reference), then the rollout's (F + I)/2, normalisation
 * and product; CLS row over patches, max-normalised.
 *
 * Which gradient G is paired with block l:
 *  - `pairing: 'hooked'` (default): exactly what vit-explain's VITAttentionGradRollout class
 *    returns. Its hook on attn_drop records the gradient w.r.t. the pre-softmax scores (the
 *    `scores.<l>` tap), and hooks fire in backward order, so block l is paired with the score
 *    gradient of block L-1-l (vit-explain issue #6).
 *  - `pairing: 'same-block'`: each block's own gradient w.r.t. its attention probabilities —
 *    the method as intended.
 * Several targets run in one backward.
 */
import type { Tensor } from '../gpu/tensor.js';
import { fuseHeads } from '../kernels/explain/fuse-heads.js';
import { gradients } from '../model/gradients.js';
import type { VisionTransformer } from '../model/vit.js';
import { maxNormalize, readMaps, requireClassToken, type ExplanationMaps } from './maps.js';
import { chainClsRow, checkDiscardRatio, discardAndNormalize } from './rollout.js';
import { classTargets, type ClassSpec } from './class-specs.js';
import { tapOf, type ForwardTaps, type TargetGradients } from './sources.js';

export interface GradRolloutOptions {
  discardRatio?: number;
  pairing?: 'hooked' | 'same-block';
  normalize?: 'vit-explain' | 'rows';
}

export async function gradientRollout(model: VisionTransformer, images: Tensor, classes: ClassSpec | readonly ClassSpec[], opts: GradRolloutOptions = {}): Promise<ExplanationMaps> {
  requireClassToken(model, 'gradient rollout');
  checkDiscardRatio(opts.discardRatio ?? 0.9);
  using g = gradients(model, images, classTargets(model, images, classes), { taps: ['attn.*'], grads: [gradRolloutGrads(opts)] });
  const ids = await g.classIds();
  return await gradRolloutFrom(model, g.forward, g, ids, opts);
}

/** The gradient taps gradient rollout reads with these options. */
export function gradRolloutGrads(opts: GradRolloutOptions = {}): string {
  return (opts.pairing ?? 'hooked') === 'hooked' ? 'scores.*' : 'attn.*';
}

/** Gradient rollout from kept `attn.*` taps and the targets' `scores.*` (hooked) or `attn.*` gradients. */
export async function gradRolloutFrom(model: VisionTransformer, fwd: ForwardTaps, g: TargetGradients, ids: number[][], opts: GradRolloutOptions = {}): Promise<ExplanationMaps> {
  requireClassToken(model, 'gradient rollout');
  const discardRatio = opts.discardRatio ?? 0.9;
  checkDiscardRatio(discardRatio);
  const hooked = (opts.pairing ?? 'hooked') === 'hooked';
  const T = g.T;
  const { ctx, config } = model;
  const L = config.depth;
  const { B, N } = fwd;
  using fused = ctx.empty([T * B, N, N]);
  using row = chainClsRow(model, T * B, N, (l, out) => {
    const grad = hooked ? tapOf(g, `scores.${L - 1 - l}`) : tapOf(g, `attn.${l}`);
    fuseHeads(ctx, { attn: tapOf(fwd, `attn.${l}`), grad, out: fused, B, T, H: config.numHeads, N, fusion: 'mean', reluAfter: true });
    discardAndNormalize(model, fused, out, T * B, N, discardRatio, false, opts.normalize ?? 'vit-explain');
  }, 'product');
  const maps = await readMaps(row, T, B);
  const NP = model.numPrefix;
  return { method: hooked ? 'grad-rollout' : 'grad-rollout-same-block', grid: fwd.grid, signed: false, classes: ids, maps: maps.map((r) => r.map((m) => maxNormalize(m.slice(NP)))) };
}
