/**
 * LayerNorm over the last axis (biased variance, affine), as torch.nn.LayerNorm:
 * y = (x - mean) / sqrt(var + eps) * gamma + beta. Two passes over the row (mean, then the
 * centred variance) keep float32 accuracy. Optionally stores (mean, rstd) per row, which the
 * backward needs.
 *
 * On the simd family (lavapipe) a row whose length is a multiple of 4 is read by a whole
 * subgroup as vec4s and reduced with subgroupAdd, rows one after another: the row kernel's one
 * lane per row gathers 8 rows' elements per load, and its three passes over D = 192..768 were
 * measured 1.1-1.4x slower (scratch benchmark on a busy machine: 0.72-0.91x the time).
 */
import type { GpuContext } from '../gpu/context.js';
import { defineKernel, grid1d, type Kernel } from '../gpu/kernel.js';
import type { Tensor } from '../gpu/tensor.js';
import { uniformStruct } from '../gpu/uniforms.js';
import { defineRowKernel } from './row-kernel.js';

const Params = uniformStruct({ rows: 'u32', D: 'u32', eps: 'f32', saveStats: 'u32', gOff: 'u32', bOff: 'u32' });

const layernormKernel = defineRowKernel({
  name: 'layernorm',
  params: Params,
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

/** Rows one workgroup (one subgroup) of the vec4 kernel normalises, one after another. */
const VEC_ROWS = 8;
const vecKernels = new Map<number, Kernel<typeof Params.fields>>();

/** The simd family's kernel for rows of a multiple of 4 (see the header), per subgroup size. */
function vecKernel(lanes: number): Kernel<typeof Params.fields> {
  let k = vecKernels.get(lanes);
  if (!k) {
    k = defineKernel({
      name: 'layernorm_vec4',
      key: `L${lanes}`,
      params: Params,
      enables: ['subgroups'],
      bindings: [
        { name: 'X', access: 'read', type: 'array<vec4f>' },
        { name: 'G', access: 'read', type: 'array<vec4f>' },
        { name: 'Bt', access: 'read', type: 'array<vec4f>' },
        { name: 'Y', access: 'read_write', type: 'array<vec4f>' },
        { name: 'STATS', access: 'read_write' },
      ],
      body: /* wgsl */ `
@compute @workgroup_size(${lanes})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let D4 = p.D / 4u;
  let g0 = p.gOff / 4u;
  let b0 = p.bOff / 4u;
  let first = (wid.x + wid.y * nwg.x) * ${VEC_ROWS}u;
  for (var r = 0u; r < ${VEC_ROWS}u; r++) {
    let row = first + r;
    if (row >= p.rows) { return; }
    let base = row * D4;
    var s = vec4f(0.0);
    for (var i = lane; i < D4; i += ${lanes}u) { s += X[base + i]; }
    let mean = subgroupAdd(s.x + s.y + s.z + s.w) / f32(p.D);
    var v = vec4f(0.0);
    for (var i = lane; i < D4; i += ${lanes}u) { let d = X[base + i] - mean; v = fma(d, d, v); }
    let rstd = inverseSqrt(subgroupAdd(v.x + v.y + v.z + v.w) / f32(p.D) + p.eps);
    for (var i = lane; i < D4; i += ${lanes}u) { Y[base + i] = (X[base + i] - mean) * rstd * G[g0 + i] + Bt[b0 + i]; }
    if (p.saveStats != 0u && lane == 0u) {
      STATS[2u * row] = mean;
      STATS[2u * row + 1u] = rstd;
    }
  }
}`,
    });
    vecKernels.set(lanes, k);
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
  const tensors = [a.x, a.gamma, a.beta, a.y, a.stats ?? dummy!];
  const params = { rows: a.rows, D: a.D, eps: a.eps, saveStats: a.stats ? 1 : 0, gOff: a.gammaOffset ?? 0, bOff: a.betaOffset ?? 0 };
  if (ctx.kernelFamily === 'simd' && a.D % 4 === 0 && params.gOff % 4 === 0 && params.bOff % 4 === 0) {
    ctx.dispatch(vecKernel(ctx.info.subgroupMaxSize || 8), tensors, params, grid1d(Math.ceil(a.rows / VEC_ROWS)));
  } else {
    layernormKernel.dispatch(ctx, tensors, params, a.rows);
  }
  dummy?.release();
}
