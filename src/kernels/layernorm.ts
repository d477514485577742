/**
 * LayerNorm over the last axis (biased variance, affine), as torch.nn.LayerNorm:
 * y = (x - mean) / sqrt(var + eps) * gamma + beta. Two passes over the row (mean, then the
 * centred variance) keep float32 accuracy. Optionally stores (mean, rstd) per row, which the
 * backward needs.
 */
import type { GpuContext } from '../gpu/context.js';
import type { Tensor } from '../gpu/tensor.js';
import { uniformStruct } from '../gpu/uniforms.js';
import { defineRowKernel } from './row-kernel.js';

const layernormKernel = defineRowKernel({
  name: 'layernorm',
  params: uniformStruct({ rows: 'u32', D: 'u32', eps: 'f32', saveStats: 'u32', gOff: 'u32', bOff: 'u32' }),
  bindings: [
    { name: 'X', access: 'read' },
    { name: 'G', access: 'read' },
    { name: 'Bt', access: 'read' },
    { name: 'Y', access: 'read_write' },
    { name: 'STATS', access: 'read_write' },
  ],
  rows: 'p.rows',
  body: /* wgsl */ `
  let base = row * p.D;
  var s = 0.0;
  for (var i = tid; i < p.D; i += ROW_THREADS) { s += X[base + i]; }
  let mean = row_sum(s, tid) / f32(p.D);
  var v = 0.0;
  for (var i = tid; i < p.D; i += ROW_THREADS) { let d = X[base + i] - mean; v += d * d; }
  let rstd = inverseSqrt(row_sum(v, tid) / f32(p.D) + p.eps);
  for (var i = tid; i < p.D; i += ROW_THREADS) {
    Y[base + i] = (X[base + i] - mean) * rstd * G[p.gOff + i] + Bt[p.bOff + i];
  }
  if (p.saveStats != 0u && tid == 0u) {
    STATS[2u * row] = mean;
    STATS[2u * row + 1u] = rstd;
  }`,
});

export interface LayerNormArgs {
  x: Tensor;
  gamma: Tensor;
  beta: Tensor;
  y: Tensor;
  rows: number;
  D: number;
  eps: number;
  /** Receives (mean, rstd) per row when given: [rows, 2]. */
  stats?: Tensor;
  gammaOffset?: number;
  betaOffset?: number;
}

export function layernorm(ctx: GpuContext, a: LayerNormArgs): void {
  if (a.rows === 0) return;
  const dummy = a.stats ? null : ctx.empty([4]);
  layernormKernel.dispatch(
    ctx,
    [a.x, a.gamma, a.beta, a.y, a.stats ?? dummy!],
    { rows: a.rows, D: a.D, eps: a.eps, saveStats: a.stats ? 1 : 0, gOff: a.gammaOffset ?? 0, bOff: a.betaOffset ?? 0 },
    a.rows,
  );
  dummy?.release();
}
