/**
 * Softmax over rows, in place: x_i <- exp(x_i - max) / sum_j exp(x_j - max). Used on the
 * attention scores (already scaled by the QK^T matmul), so the buffer then holds the attention
 * probabilities that the taps expose.
 */
import type { GpuContext } from '../gpu/context.js';
import type { Tensor } from '../gpu/tensor.js';
import { uniformStruct } from '../gpu/uniforms.js';
import { defineRowKernel } from './row-kernel.js';

const softmaxKernel = defineRowKernel({
  name: 'softmax',
  params: uniformStruct({ rows: 'u32', L: 'u32' }),
  bindings: [{ name: 'X', access: 'read_write' }],
  rows: 'p.rows',
  body: /* wgsl */ `
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
  for (var i = tid; i < p.L; i += ROW_THREADS) { X[base + i] *= inv; }`,
});

export function softmaxRows(ctx: GpuContext, x: Tensor, rows: number, L: number): void {
  softmaxKernel.dispatch(ctx, [x], { rows, L }, rows);
}
