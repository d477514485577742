/**
 * Gradient of a row softmax w.r.t. its input scores, from the saved probabilities P:
 *   dS_ij = P_ij * (dP_ij - sum_k dP_ik P_ik).
 * Gradient rows may outnumber the saved rows (T targets): row r reads P row r % rows.
 */
import type { GpuContext } from '../gpu/context.js';
import { defineKernel, type Kernel } from '../gpu/kernel.js';
import type { Tensor } from '../gpu/tensor.js';
import { uniformStruct } from '../gpu/uniforms.js';
import { rowGrid, rowLayout } from './row-reduce.js';

const Params = uniformStruct({ gradRows: 'u32', rows: 'u32', L: 'u32' });
const kernels = new Map<string, Kernel<typeof Params.fields>>();

function kernel(ctx: GpuContext): Kernel<typeof Params.fields> {
  const key = ctx.kernelFamily;
  let k = kernels.get(key);
  if (!k) {
    const red = rowLayout(ctx);
    k = defineKernel({
      name: 'softmax_grad',
      key,
      enables: red.enables,
      params: Params,
      bindings: [
        { name: 'DP', access: 'read' },
        { name: 'P', access: 'read' },
        { name: 'DS', access: 'read_write' },
      ],
      body: /* wgsl */ `
${red.wgsl}
@compute @workgroup_size(${red.threads})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = row_of(wid, nwg, lid);
  let tid = tid_of(lid);
  if (row >= p.gradRows) { return; }
  let gb = row * p.L;
  let pb = (row % p.rows) * p.L;
  var s = 0.0;
  for (var i = tid; i < p.L; i += ROW_THREADS) { s += DP[gb + i] * P[pb + i]; }
  let dot = row_sum(s, tid);
  for (var i = tid; i < p.L; i += ROW_THREADS) { DS[gb + i] = P[pb + i] * (DP[gb + i] - dot); }
}
`,
    });
    kernels.set(key, k);
  }
  return k;
}

/** ds may be a separate tensor or dp itself is not allowed (read-only binding): pass distinct tensors. */
export function softmaxGrad(ctx: GpuContext, dp: Tensor, probs: Tensor, ds: Tensor, gradRows: number, rows: number, L: number): void {
  if (gradRows > 0) ctx.dispatch(kernel(ctx), [dp, probs, ds], { gradRows, rows, L }, rowGrid(ctx, gradRows));
}
