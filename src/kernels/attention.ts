/**
 * Fused multi-head attention, forward and gradient, reading Q, K and V straight out of the
 * fused qkv projection (layouts in attention-common.ts):
 *
 *   forward:  P = softmax(scale Q K^T), O = P V — one dispatch; P is written only when given.
 *   gradient: dP = dO V^T, dS = P (dP - rowsum(dO * O)), dQ = scale dS K, dK = scale dS^T Q,
 *             dV = P^T dO — two dispatches (per query block, then per key block); dS is
 *             written (the second kernel reads it), dP only when given.
 *
 * The context's kernel family picks the implementation: `simd` (one subgroup per workgroup,
 * attention-simd.ts) or `tiled` (one invocation per row, no subgroups, attention-tiled.ts).
 */
import type { GpuContext } from '../gpu/context.js';
import type { Kernel } from '../gpu/kernel.js';
import type { Tensor } from '../gpu/tensor.js';
import { ATTENTION_FLAGS, attentionVectorizable, type AttentionPart } from './attention-common.js';
import { simdAttentionKernel, simdKeyRows, simdSlices } from './attention-simd.js';
import { TILED_ROWS, tiledAttentionKernel, tiledHeadCapacity } from './attention-tiled.js';

export interface FusedAttentionShape {
  /** Images. */
  B: number;
  /** Tokens per image. */
  N: number;
  /** Heads. */
  H: number;
  /** Embedding width (H * head size). */
  D: number;
}

function kernelFor(ctx: GpuContext, part: AttentionPart, hd: number): { kernel: Kernel; rowsPerGroup: number } {
  const vec = attentionVectorizable(hd);
  if (ctx.kernelFamily === 'simd') {
    const lanes = ctx.info.subgroupMaxSize || 8;
    const rowsPerGroup = part === 'grad_kv' ? simdKeyRows(lanes) : lanes;
    return { kernel: simdAttentionKernel(part, lanes, simdSlices(hd, lanes), vec), rowsPerGroup };
  }
  return { kernel: tiledAttentionKernel(part, tiledHeadCapacity(hd), vec), rowsPerGroup: TILED_ROWS };
}

function params(s: FusedAttentionShape, flags: number) {
  const hd = s.D / s.H;
  return { N: s.N, H: s.H, D: s.D, hd, B: s.B, scale: hd ** -0.5, flags };
}

/** O ([B*N, D]) from qkv ([B*N, 3D]); the probabilities into `probs` ([B, H, N, N]) when given. */
export function fusedAttention(ctx: GpuContext, s: FusedAttentionShape, io: { qkv: Tensor; out: Tensor; probs?: Tensor }): void {
  if (s.B === 0 || s.N === 0) return;
  const { kernel, rowsPerGroup } = kernelFor(ctx, 'forward', s.D / s.H);
  using dummy = io.probs ? null : ctx.empty([4]);
  ctx.dispatch(
    kernel,
    [io.qkv, io.out, io.probs ?? dummy!],
    params(s, io.probs ? ATTENTION_FLAGS.writeMatrix : 0),
    [Math.ceil(s.N / rowsPerGroup), s.H, s.B],
    `${kernel.cacheKey} ${s.B}x${s.H}x${s.N}`,
  );
}

export interface FusedAttentionGradIO {
  /** Saved forward tensors, per image: qkv [B*N, 3D], P [B, H, N, N], O [B*N, D]. */
  qkv: Tensor;
  probs: Tensor;
  out: Tensor;
  /** [T*B*N, D]: the gradient of O for T targets. */
  dOut: Tensor;
  /** [T*B*N, 3D]: written, or added to with `accumulate`. */
  dqkv: Tensor;
  accumulate: boolean;
  /** [T, B, H, N, N]: dS (always written). */
  dScores: Tensor;
  /** [T, B, H, N, N]: dP, written only when given. */
  dProbs?: Tensor;
}

/** The gradient of `fusedAttention` for T targets at once (gradient batch t*B + b reads image b). */
export function fusedAttentionGrad(ctx: GpuContext, s: FusedAttentionShape & { T: number }, io: FusedAttentionGradIO): void {
  if (s.B === 0 || s.N === 0 || s.T === 0) return;
  const hd = s.D / s.H;
  const flags = (io.dProbs ? ATTENTION_FLAGS.writeMatrix : 0) | (io.accumulate ? ATTENTION_FLAGS.accumulate : 0);
  const p = params(s, flags);
  const q = kernelFor(ctx, 'grad_q', hd);
  using dummy = io.dProbs ? null : ctx.empty([4]);
  const label = `${s.T * s.B}x${s.H}x${s.N}`;
  const grid = (rows: number): [number, number, number] => [Math.ceil(s.N / rows), s.H, s.T * s.B];
  ctx.dispatch(q.kernel, [io.qkv, io.probs, io.dOut, io.out, io.dqkv, io.dProbs ?? dummy!, io.dScores], p, grid(q.rowsPerGroup), `${q.kernel.cacheKey} ${label}`);
  const kv = kernelFor(ctx, 'grad_kv', hd);
  ctx.dispatch(kv.kernel, [io.qkv, io.probs, io.dOut, io.dScores, io.dqkv], p, grid(kv.rowsPerGroup), `${kv.kernel.cacheKey} ${label}`);
}
