/**
 * Per-token dot products of two token matrices: OUT[z, i] = sum_d X[z mod B, first + i, d] *
 * Y[z, first + i, d] for i < count — CDAM's token scores (tokens times their gradient), with
 * the saved tokens X broadcast over the T targets of the gradient Y.
 */
import type { GpuContext } from '../../gpu/context.js';
import type { Tensor } from '../../gpu/tensor.js';
import { uniformStruct } from '../../gpu/uniforms.js';
import { DIV_SMALL_WGSL } from '../wgsl-util.js';
import { defineRowKernel } from '../row-kernel.js';

const tokenDotKernel = defineRowKernel({
  name: 'token_dot',
  params: uniformStruct({ N: 'u32', D: 'u32', B: 'u32', first: 'u32', count: 'u32', rows: 'u32' }),
  bindings: [
    { name: 'X', access: 'read' },
    { name: 'Y', access: 'read' },
    { name: 'OUT', access: 'read_write' },
  ],
  rows: 'p.rows',
  helpers: DIV_SMALL_WGSL,
  body: /* wgsl */ `
  // One row per (z, token i): row = z * count + i.
  let z = div_small(row, p.count);
  let i = row - z * p.count;
  let xb = ((z % p.B) * p.N + p.first + i) * p.D;
  let yb = (z * p.N + p.first + i) * p.D;
  var s = 0.0;
  for (var d = tid; d < p.D; d += ROW_THREADS) { s += X[xb + d] * Y[yb + d]; }
  let total = row_sum(s, tid);
  if (tid == 0u) { OUT[z * p.count + i] = total; }`,
});

export function tokenDot(ctx: GpuContext, x: Tensor, y: Tensor, out: Tensor, s: { Z: number; B: number; N: number; D: number; first: number; count: number }): void {
  tokenDotKernel.dispatch(ctx, [x, y, out], { N: s.N, D: s.D, B: s.B, first: s.first, count: s.count, rows: s.Z * s.count }, s.Z * s.count);
}
