/**
 * Row movement: gather rows by index (dropping a token for ablation), the same range of rows
 * from every group (the class token for pooling, the patch rows of a token gradient) and its
 * add-back gradient, and the mean over a range of rows (average pooling) with its spread-back
 * gradient.
 */
import type { GpuContext } from '../gpu/context.js';
import { defineKernel } from '../gpu/kernel.js';
import type { Tensor } from '../gpu/tensor.js';
import { uniformStruct } from '../gpu/uniforms.js';
import { flatGrid, flatMain } from './entry-points.js';

const Params = uniformStruct({ n: 'u32', D: 'u32', rowsPerGroup: 'u32', first: 'u32', count: 'u32', alpha: 'f32' });

/** Flat index i = r * D + d over the rows r the kernel writes (or reads, for the add-backs). */
const INDEX = /* wgsl */ `${flatMain('p.n')}
  let d = i % p.D;
  let r = i / p.D;`;

/** A row-range kernel: r indexes rows t < count of group g; `statement` moves one value. */
const rangeKernel = (name: string, statement: string) =>
  defineKernel({
    name,
    params: Params,
    bindings: [
      { name: 'IN', access: 'read' },
      { name: 'OUT', access: 'read_write' },
    ],
    body: `${INDEX}
  let g = r / p.count;
  let t = r % p.count;
  ${statement}
}`,
  });

/** OUT[r] = IN[IDX[r]] */
const gatherKernel = defineKernel({
  name: 'gather_rows',
  params: Params,
  bindings: [
    { name: 'IN', access: 'read' },
    { name: 'IDX', access: 'read', type: 'array<u32>' },
    { name: 'OUT', access: 'read_write' },
  ],
  body: `${INDEX}\n  OUT[i] = IN[IDX[r] * p.D + d];\n}`,
});

/** OUT[g * count + t] = IN[g * rowsPerGroup + first + t] (r indexes OUT rows) */
const sliceKernel = rangeKernel('slice_rows', 'OUT[i] = IN[(g * p.rowsPerGroup + p.first + t) * p.D + d];');

/** OUT[g * rowsPerGroup + first + t] += alpha * IN[g * count + t] (r indexes IN rows) */
const unsliceKernel = rangeKernel('unslice_rows_add', 'OUT[(g * p.rowsPerGroup + p.first + t) * p.D + d] += p.alpha * IN[i];');

/** OUT[g * rowsPerGroup + first + t] += alpha * IN[g] for t < count (r indexes OUT rows in range) */
const spreadKernel = rangeKernel('spread_rows', 'OUT[(g * p.rowsPerGroup + p.first + t) * p.D + d] += p.alpha * IN[g * p.D + d];');

/** OUT[g] = alpha * sum_{t < count} IN[g * rowsPerGroup + first + t] (r indexes OUT rows = groups) */
const meanKernel = defineKernel({
  name: 'mean_rows',
  params: Params,
  bindings: [
    { name: 'IN', access: 'read' },
    { name: 'OUT', access: 'read_write' },
  ],
  body: `${INDEX}
  var s = 0.0;
  for (var t = 0u; t < p.count; t++) { s += IN[(r * p.rowsPerGroup + p.first + t) * p.D + d]; }
  OUT[i] = p.alpha * s;
}`,
});

/** Rows first..first+count-1 of each of `groups` groups of `rowsPerGroup` rows of D values. */
export interface RowRange {
  groups: number;
  rowsPerGroup: number;
  first: number;
  count: number;
  D: number;
}

function dispatchRange(ctx: GpuContext, kernel: typeof sliceKernel, input: Tensor, out: Tensor, r: RowRange, rows: number, alpha: number): void {
  const n = rows * r.D;
  if (n > 0) ctx.dispatch(kernel, [input, out], { n, D: r.D, rowsPerGroup: r.rowsPerGroup, first: r.first, count: r.count, alpha }, flatGrid(n));
}

/** out[r, :] = input[idx[r], :] for r < rows. */
export function gatherRows(ctx: GpuContext, input: Tensor, idx: Tensor, out: Tensor, s: { rows: number; D: number }): void {
  const n = s.rows * s.D;
  if (n > 0) ctx.dispatch(gatherKernel, [input, idx, out], { n, D: s.D, rowsPerGroup: 0, first: 0, count: 0, alpha: 1 }, flatGrid(n));
}

/** out[g * count + t, :] = input[g * rowsPerGroup + first + t, :]: the same row range of every group. */
export function sliceRows(ctx: GpuContext, input: Tensor, out: Tensor, r: RowRange): void {
  dispatchRange(ctx, sliceKernel, input, out, r, r.groups * r.count, 1);
}

/** Gradient of sliceRows: out[g * rowsPerGroup + first + t, :] += input[g * count + t, :]. */
export function unsliceRowsAdd(ctx: GpuContext, input: Tensor, out: Tensor, r: RowRange): void {
  dispatchRange(ctx, unsliceKernel, input, out, r, r.groups * r.count, 1);
}

/** out[g, :] = mean of rows first..first+count-1 of group g. */
export function meanRows(ctx: GpuContext, input: Tensor, out: Tensor, r: RowRange): void {
  dispatchRange(ctx, meanKernel, input, out, r, r.groups, 1 / r.count);
}

/** Gradient of meanRows: out[g * rowsPerGroup + first + t, :] += input[g, :] / count. */
export function spreadRows(ctx: GpuContext, input: Tensor, out: Tensor, r: RowRange): void {
  dispatchRange(ctx, spreadKernel, input, out, r, r.groups * r.count, 1 / r.count);
}
