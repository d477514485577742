/**
 * LayerNorm over the last axis (biased variance, affine), as torch.nn.LayerNorm:
 * y = (x - mean) / sqrt(var + eps) * gamma + beta. Two passes over the row (mean, then the
 * centred variance) keep float32 accuracy. Optionally stores (mean, rstd) per row, which the
 * backward needs.
 */
import type { GpuContext } from '../gpu/context.js';
import { defineKernel, type Kernel } from '../gpu/kernel.js';
import type { Tensor } from '../gpu/tensor.js';
import { uniformStruct } from '../gpu/uniforms.js';
import { rowGrid, rowLayout } from './row-reduce.js';

const Params = uniformStruct({ rows: 'u32', D: 'u32', eps: 'f32', saveStats: 'u32', gOff: 'u32', bOff: 'u32' });

const kernels = new Map<string, Kernel<typeof Params.fields>>();

function layernormKernel(ctx: GpuContext): Kernel<typeof Params.fields> {
  const key = `${ctx.kernelFamily}`;
  let k = kernels.get(key);
  if (!k) {
    const red = rowLayout(ctx);
    k = defineKernel({
      name: 'layernorm',
      key,
      enables: red.enables,
      params: Params,
      bindings: [
        { name: 'X', access: 'read' },
        { name: 'G', access: 'read' },
        { name: 'Bt', access: 'read' },
        { name: 'Y', access: 'read_write' },
        { name: 'STATS', access: 'read_write' },
      ],
      body: /* wgsl */ `
${red.wgsl}
@compute @workgroup_size(${red.threads})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = row_of(wid, nwg, lid);
  let tid = tid_of(lid);
  if (row >= p.rows) { return; }
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
  }
}
`,
    });
    kernels.set(key, k);
  }
  return k;
}

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
  ctx.dispatch(
    layernormKernel(ctx),
    [a.x, a.gamma, a.beta, a.y, a.stats ?? dummy!],
    { rows: a.rows, D: a.D, eps: a.eps, saveStats: a.stats ? 1 : 0, gOff: a.gammaOffset ?? 0, bOff: a.betaOffset ?? 0 },
    rowGrid(ctx, a.rows),
  );
  dummy?.release();
}
