/**
 * One layer's matrix of vit-explain's rollout, from the head-fused attention F [S, N, N]:
 *   discard: entries whose key is <= the segment's threshold key are set to 0 (optionally
 *            sparing flat index 0, the CLS->CLS entry, as vit_rollout.py does);
 *   a = (F + I) / 2;
 *   a'[i, j] = a[i, j] / s[j] with s[j] = sum_k a[j, k] — vit-explain's `a / a.sum(dim=-1)`
 *            broadcasts the row sums over the last axis: column j is divided by row j's sum.
 * `normalize: 'rows'` divides each row by its own sum instead (the rollout of the paper).
 */
import type { GpuContext } from '../../gpu/context.js';
import { defineKernel } from '../../gpu/kernel.js';
import type { Tensor } from '../../gpu/tensor.js';
import { uniformStruct } from '../../gpu/uniforms.js';
import { defineRowKernel } from '../row-kernel.js';
import { DIV_SMALL_WGSL } from '../wgsl-util.js';
import { FLOAT_KEY_WGSL } from './select.js';

const WG = 64;
const Params = uniformStruct({ N: 'u32', dropLow: 'u32', protect: 'u32', byRow: 'u32', rows: 'u32' });

const ENTRY = /* wgsl */ `
${FLOAT_KEY_WGSL}
// Entry (i, j) of a = (discard(F) + I) / 2 for segment z.
fn entry(z: u32, i: u32, j: u32) -> f32 {
  let idx = i * p.N + j;
  var v = F[z * p.N * p.N + idx];
  let dropped = p.dropLow != 0u && float_key(v) <= STATE[4u * z] && !(p.protect != 0u && idx == 0u);
  if (dropped) { v = 0.0; }
  return (v + select(0.0, 1.0, i == j)) * 0.5;
}`;

const rowSumKernel = defineRowKernel({
  name: 'rollout_row_sums',
  params: Params,
  bindings: [
    { name: 'F', access: 'read' },
    { name: 'STATE', access: 'read', type: 'array<u32>' },
    { name: 'SUMS', access: 'read_write' },
  ],
  rows: 'p.rows',
  helpers: `${ENTRY}\n${DIV_SMALL_WGSL}`,
  body: /* wgsl */ `
  // One row per (segment z, matrix row i): row = z * N + i.
  let z = div_small(row, p.N);
  let i = row - z * p.N;
  var s = 0.0;
  for (var k = tid; k < p.N; k += ROW_THREADS) { s += entry(z, i, k); }
  let total = row_sum(s, tid);
  if (tid == 0u) { SUMS[z * p.N + i] = total; }`,
});

const applyKernel = defineKernel({
  name: 'rollout_matrix',
  params: Params,
  bindings: [
    { name: 'F', access: 'read' },
    { name: 'STATE', access: 'read', type: 'array<u32>' },
    { name: 'SUMS', access: 'read' },
    { name: 'OUT', access: 'read_write' },
  ],
  body: /* wgsl */ `
${ENTRY}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let j = wid.x * ${WG}u + li;
  let i = wid.y;
  let z = wid.z;
  if (j >= p.N) { return; }
  let s = SUMS[z * p.N + select(j, i, p.byRow != 0u)];
  OUT[(z * p.N + i) * p.N + j] = entry(z, i, j) / s;
}`,
});

export interface RolloutMatrixArgs {
  fused: Tensor;
  /** Radix-select state per segment (selectKth); required when discarding. */
  state?: Tensor;
  out: Tensor;
  S: number;
  N: number;
  discard: boolean;
  protectClsEntry: boolean;
  normalize: 'vit-explain' | 'rows';
}

export function rolloutMatrix(ctx: GpuContext, a: RolloutMatrixArgs): void {
  const params = { N: a.N, dropLow: a.discard ? 1 : 0, protect: a.protectClsEntry ? 1 : 0, byRow: a.normalize === 'rows' ? 1 : 0, rows: a.S * a.N };
  const state = a.state ?? ctx.empty([4 * a.S], 'u32');
  const sums = ctx.empty([a.S, a.N]);
  rowSumKernel.dispatch(ctx, [a.fused, state, sums], params, a.S * a.N);
  ctx.dispatch(applyKernel, [a.fused, state, sums, a.out], params, [Math.ceil(a.N / WG), a.N, a.S]);
  sums.release();
  if (!a.state) state.release();
}
