/**
 * Attention rollout as vit-explain computes it (Abnar & Zuidema's rollout with jacobgil's
 * options): per block, fuse the heads (mean / min / max), discard the lowest `discardRatio` of
 * the fused attention (the CLS->CLS entry spared), add the identity and halve, normalise, and
 * multiply the blocks' matrices; the map is the CLS row over the patch tokens, divided by its
 * maximum. Everything but the final division runs on the GPU.
 *
 * vit-explain normalises with `a / a.sum(dim=-1)`, which divides column j by row j's sum, not
 * each row by its own; that is reproduced by default (`normalize: 'vit-explain'`) so the maps
 * equal the reference, and `normalize: 'rows'` gives the row-stochastic rollout of the paper.
 *
 * Only the CLS row of the product is needed, so the chain runs as a row vector times each
 * block's matrix (last block first): L vector-matrix products instead of L matrix products.
 */
import type { Tensor } from '../gpu/tensor.js';
import { fuseHeads, type HeadFusion } from '../kernels/explain/fuse-heads.js';
import { rolloutMatrix } from '../kernels/explain/rollout-matrix.js';
import { selectKth } from '../kernels/explain/select.js';
import { matmul } from '../kernels/matmul.js';
import { InputError } from '../errors.js';
import type { VisionTransformer } from '../model/vit.js';
import { maxNormalize, readMaps, requireClassToken, type ExplanationMaps } from './maps.js';
import { tapOf, type ForwardTaps } from './sources.js';

export interface RolloutOptions {
  headFusion?: HeadFusion;
  /** Fraction of the lowest fused attention values set to zero per block (0 <= r < 1). */
  discardRatio?: number;
  normalize?: 'vit-explain' | 'rows';
}

export function checkDiscardRatio(r: number): void {
  if (!(r >= 0 && r < 1)) throw new InputError('bad-option', `discardRatio must be in [0, 1), got ${r}`);
}

/** The CLS row of the product of per-block matrices, built by `blockMatrix(l, out)`; returns [S, N]. */
export function chainClsRow(
  model: VisionTransformer,
  S: number,
  N: number,
  blockMatrix: (layer: number, out: Tensor) => void,
  mode: 'product' | 'residual-sum',
): Tensor {
  const { ctx } = model;
  const e0 = new Float32Array(S * N);
  for (let s = 0; s < S; s++) e0[s * N] = 1;
  let v = ctx.upload(e0, [S, N]);
  const mat = ctx.empty([S, N, N]);
  for (let l = model.config.depth - 1; l >= 0; l--) {
    blockMatrix(l, mat);
    const next = ctx.empty([S, N]);
    // next = v @ mat  (or v + v @ mat for relevance's R += A R)
    matmul(ctx, {
      M: 1, N, K: N, nz1: S,
      a: { t: v, rowStride: N, s1: N },
      b: { t: mat, rowStride: N, s1: N * N },
      c: { t: next, rowStride: N, s1: N },
      residual: mode === 'residual-sum' ? { t: v, rowStride: N, s1: N } : undefined,
    });
    v.release();
    v = next;
  }
  mat.release();
  return v;
}

/** Discard of the k lowest entries per segment, then vit-explain's matrix (see rollout-matrix.ts). */
export function discardAndNormalize(
  model: VisionTransformer,
  fused: Tensor,
  out: Tensor,
  S: number,
  N: number,
  discardRatio: number,
  protectClsEntry: boolean,
  normalize: 'vit-explain' | 'rows',
): void {
  const { ctx } = model;
  // int(N*N*ratio) in float64, as the reference's Python does.
  const k = Math.floor(N * N * discardRatio);
  let state: Tensor | undefined;
  if (k > 0) {
    state = ctx.empty([S, 4], 'u32');
    selectKth(ctx, fused, state, S, N * N, k - 1);
  }
  rolloutMatrix(ctx, { fused, state, out, S, N, discard: k > 0, protectClsEntry, normalize });
  state?.release();
}

export async function attentionRollout(model: VisionTransformer, images: Tensor, opts: RolloutOptions = {}): Promise<ExplanationMaps> {
  requireClassToken(model, 'attention rollout');
  checkDiscardRatio(opts.discardRatio ?? 0);
  using fwd = model.forward(images, { taps: ['attn.*'] });
  return await rolloutFrom(model, fwd, opts);
}

/** Attention rollout from a forward's kept `attn.*` taps. */
export async function rolloutFrom(model: VisionTransformer, fwd: ForwardTaps, opts: RolloutOptions = {}): Promise<ExplanationMaps> {
  requireClassToken(model, 'attention rollout');
  const headFusion = opts.headFusion ?? 'mean';
  const discardRatio = opts.discardRatio ?? 0;
  checkDiscardRatio(discardRatio);
  const { ctx, config } = model;
  const { B, N } = fwd;
  using fused = ctx.empty([B, N, N]);
  using row = chainClsRow(model, B, N, (l, out) => {
    fuseHeads(ctx, { attn: tapOf(fwd, `attn.${l}`), out: fused, B, H: config.numHeads, N, fusion: headFusion });
    discardAndNormalize(model, fused, out, B, N, discardRatio, true, opts.normalize ?? 'vit-explain');
  }, 'product');
  const rows = await readMaps(row, 1, B);
  const NP = model.numPrefix;
  return { method: 'rollout', grid: fwd.grid, signed: false, maps: rows.map((r) => r.map((m) => maxNormalize(m.slice(NP)))) };
}
