/**
 * Softmax over rows, in place: x_i <- exp(x_i - max) / sum_j exp(x_j - max). Used on the
 * attention scores (already scaled by the QK^T matmul), so the buffer then holds the attention
 * probabilities that the taps expose.
 */
import type { GpuContext } from '../gpu/context.js';
import { defineKernel, type Kernel } from '../gpu/kernel.js';
import type { Tensor } from '../gpu/tensor.js';
import { uniformStruct } from '../gpu/uniforms.js';
import { rowGrid, rowLayout } from './row-reduce.js';

const Params = uniformStruct({ rows: 'u32', L: 'u32' });
const kernels = new Map<string, Kernel<typeof Params.fields>>();

function softmaxKernel(ctx: GpuContext): Kernel<typeof Params.fields> {
  const key = ctx.kernelFamily;
  let k = kernels.get(key);
  if (!k) {
    const red = rowLayout(ctx);
    k = defineKernel({
      name: 'softmax',
      key,
      enables: red.enables,
      params: Params,
      bindings: [{ name: 'X', access: 'read_write' }],
      body: /* wgsl */ `
${red.wgsl}
@compute @workgroup_size(${red.threads})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = row_of(wid, nwg, lid);
  let tid = tid_of(lid);
  if (row >= p.rows) { return; }
  let base = row * p.L;
  var m = -0x1.fffffep+127f;
  for (var i = tid; i < p.L; i += ROW_THREADS) { m = max(m, X[base + i]); }
  m = row_max(m, tid);
  var s = 0.0;
  for (var i = tid; i < p.L; i += ROW_THREADS) {
    let e = exp(X[base + i] - m);
    s += e;
    X[base + i] = e;
  }
  let inv = 1.0 / row_sum(s, tid);
  for (var i = tid; i < p.L; i += ROW_THREADS) { X[base + i] *= inv; }
}
`,
    });
    kernels.set(key, k);
  }
  return k;
}

export function softmaxRows(ctx: GpuContext, x: Tensor, rows: number, L: number): void {
  if (rows === 0) return;
  ctx.dispatch(softmaxKernel(ctx), [x], { rows, L }, rowGrid(ctx, rows));
}
