/**
 * Gradient of a row softmax w.r.t. its input scores, from the saved probabilities P:
 *   dS_ij = P_ij * (dP_ij - sum_k dP_ik P_ik).
 * Gradient rows may outnumber the saved rows (T targets): row r reads P row r % rows.
 */
import type { GpuContext } from '../gpu/context.js';
import type { Tensor } from '../gpu/tensor.js';
import { uniformStruct } from '../gpu/uniforms.js';
import { defineRowKernel } from './row-kernel.js';

const softmaxGradKernel = defineRowKernel({
  name: 'softmax_grad',
  params: uniformStruct({ gradRows: 'u32', rows: 'u32', L: 'u32' }),
  bindings: [
    { name: 'DP', access: 'read' },
    { name: 'P', access: 'read' },
    { name: 'DS', access: 'read_write' },
  ],
  rows: 'p.gradRows',
  body: /* wgsl */ `
  let gb = row * p.L;
  let pb = (row % p.rows) * p.L;
  var s = 0.0;
  for (var i = tid; i < p.L; i += ROW_THREADS) { s += DP[gb + i] * P[pb + i]; }
  let dot = row_sum(s, tid);
  for (var i = tid; i < p.L; i += ROW_THREADS) { DS[gb + i] = P[pb + i] * (DP[gb + i] - dot); }`,
});

/** ds must be a tensor distinct from dp (dp is bound read-only). */
export function softmaxGrad(ctx: GpuContext, dp: Tensor, probs: Tensor, ds: Tensor, gradRows: number, rows: number, L: number): void {
  softmaxGradKernel.dispatch(ctx, [dp, probs, ds], { gradRows, rows, L }, gradRows);
}
