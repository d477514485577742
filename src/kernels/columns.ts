/**
 * Per-column operations on row-major [M, N] matrices: scaling every column by a vector
 * (LayerScale's gradient), and column sums of a product (bias, LayerScale and LayerNorm
 * parameter gradients, reduced over all rows).
 */
import type { GpuContext } from '../gpu/context.js';
import { defineKernel } from '../gpu/kernel.js';
import type { Tensor } from '../gpu/tensor.js';
import { uniformStruct } from '../gpu/uniforms.js';
import { flatGrid, flatMain } from './entry-points.js';

const Params = uniformStruct({ M: 'u32', N: 'u32', accumulate: 'u32', mode: 'u32', bRows: 'u32', vOff: 'u32' });

const mulColumnsKernel = defineKernel({
  name: 'mul_columns',
  params: Params,
  bindings: [
    { name: 'X', access: 'read' },
    { name: 'V', access: 'read' },
    { name: 'Y', access: 'read_write' },
  ],
  body: /* wgsl */ `${flatMain('p.M * p.N')}
  Y[i] = X[i] * V[p.vOff + i % p.N];
}`,
});

/**
 * OUT[n] (+)= sum_m A[m, n] * f(B[m % bRows, n]); mode 0: f = 1, mode 1: f = b,
 * mode 2: f = layer-norm normalised input, with B the saved input and S its (mean, rstd) rows.
 */
const columnSumsKernel = defineKernel({
  name: 'column_sums',
  params: Params,
  bindings: [
    { name: 'A', access: 'read' },
    { name: 'B', access: 'read' },
    { name: 'S', access: 'read' },
    { name: 'OUT', access: 'read_write' },
  ],
  body: /* wgsl */ `${flatMain('p.N')}
  let n = i;
  var s = 0.0;
  for (var m = 0u; m < p.M; m++) {
    let a = A[m * p.N + n];
    let r = m % p.bRows;
    var f = 1.0;
    if (p.mode == 1u) { f = B[r * p.N + n]; }
    if (p.mode == 2u) { f = (B[r * p.N + n] - S[2u * r]) * S[2u * r + 1u]; }
    s += a * f;
  }
  if (p.accumulate != 0u) { s += OUT[n]; }
  OUT[n] = s;
}`,
});

export function mulColumns(ctx: GpuContext, x: Tensor, v: Tensor, y: Tensor, M: number, N: number, vOffset = 0): void {
  const n = M * N;
  if (n > 0) ctx.dispatch(mulColumnsKernel, [x, v, y], { M, N, accumulate: 0, mode: 0, bRows: 1, vOff: vOffset }, flatGrid(n));
}

export interface ColumnSumsArgs {
  a: Tensor;
  M: number;
  N: number;
  out: Tensor;
  accumulate: boolean;
  /** Multiply by b (mode 'product') or by layer-norm normalised b using stats (mode 'normalized'). */
  b?: Tensor;
  stats?: Tensor;
  bRows?: number;
}

export function columnSums(ctx: GpuContext, a: ColumnSumsArgs): void {
  if (a.N === 0) return;
  const mode = a.stats ? 2 : a.b ? 1 : 0;
  const dummy = a.b && a.stats ? null : ctx.empty([4]);
  ctx.dispatch(
    columnSumsKernel,
    [a.a, a.b ?? dummy!, a.stats ?? dummy!, a.out],
    { M: a.M, N: a.N, accumulate: a.accumulate ? 1 : 0, mode, bRows: a.bRows ?? a.M, vOff: 0 },
    flatGrid(a.N),
  );
  dummy?.release();
}
