/**
 * Relevance propagation for self-attention (Chefer, Gur & Wolf 2021, "Generic attention-model
 * explainability", rules 5 and 6, as Transformer-MM-Explainability's generate_relevance):
 *   R = I;  for each block: R = R + mean_h((dy/dA * A)^+) R;   map = R[CLS, patches], unnormalised.
 * The CLS row is propagated as a row vector (last block first): r <- r + r Abar_l.
 */
import type { Tensor } from '../gpu/tensor.js';
import { fuseHeads } from '../kernels/explain/fuse-heads.js';
import { gradients } from '../model/gradients.js';
import type { VisionTransformer } from '../model/vit.js';
import { readMaps, requireClassToken, type ExplanationMaps } from './maps.js';
import { chainClsRow } from './rollout.js';
import { classTargets, type ClassSpec } from './class-specs.js';
import { tapOf, type ForwardTaps, type TargetGradients } from './sources.js';

export async function relevance(model: VisionTransformer, images: Tensor, classes: ClassSpec | readonly ClassSpec[]): Promise<ExplanationMaps> {
  requireClassToken(model, 'relevance');
  using g = gradients(model, images, classTargets(model, images, classes), { taps: ['attn.*'], grads: ['attn.*'] });
  const ids = await g.classIds();
  return await relevanceFrom(model, g.forward, g, ids);
}

/** Relevance from kept `attn.*` taps and the targets' `attn.*` gradients. */
export async function relevanceFrom(model: VisionTransformer, fwd: ForwardTaps, g: TargetGradients, ids: number[][]): Promise<ExplanationMaps> {
  requireClassToken(model, 'relevance');
  const T = g.T;
  const { ctx, config } = model;
  const { B, N } = fwd;
  using row = chainClsRow(model, T * B, N, (l, out) => {
    fuseHeads(ctx, { attn: tapOf(fwd, `attn.${l}`), grad: tapOf(g, `attn.${l}`), out, B, T, H: config.numHeads, N, fusion: 'mean', reluEach: true });
  }, 'residual-sum');
  const maps = await readMaps(row, T, B);
  const NP = model.numPrefix;
  return { method: 'relevance', grid: fwd.grid, signed: false, classes: ids, maps: maps.map((r) => r.map((m) => m.slice(NP))) };
}
