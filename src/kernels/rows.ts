/**
 * Row movement: gather rows by index (dropping a token for ablation), the same range of rows
 * from every group (the class token for pooling, the patch rows of a token gradient) and its
 * add-back gradient, and the mean over a range of rows (average pooling) with its spread-back
 * gradient.
 */
import type { GpuContext } from '../gpu/context.js';
import { defineKernel, grid1d } from '../gpu/kernel.js';
import type { Tensor } from '../gpu/tensor.js';
import { uniformStruct } from '../gpu/uniforms.js';

const WG = 64;
const Params = uniformStruct({ n: 'u32', D: 'u32', rowsPerGroup: 'u32', first: 'u32', count: 'u32', alpha: 'f32' });

const INDEX = /* wgsl */ `
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = (wid.x + wid.y * nwg.x) * ${WG}u + li;
  if (i >= p.n) { return; }
  let d = i % p.D;
  let r = i / p.D;`;

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
const sliceKernel = defineKernel({
  name: 'slice_rows',
  params: Params,
  bindings: [
    { name: 'IN', access: 'read' },
    { name: 'OUT', access: 'read_write' },
  ],
  body: `${INDEX}
  let g = r / p.count;
  let t = r % p.count;
  OUT[i] = IN[(g * p.rowsPerGroup + p.first + t) * p.D + d];
}`,
});

/** OUT[g * rowsPerGroup + first + t] += alpha * IN[g * count + t] (r indexes IN rows) */
const unsliceKernel = defineKernel({
  name: 'unslice_rows_add',
  params: Params,
  bindings: [
    { name: 'IN', access: 'read' },
    { name: 'OUT', access: 'read_write' },
  ],
  body: `${INDEX}
  let g = r / p.count;
  let t = r % p.count;
  OUT[(g * p.rowsPerGroup + p.first + t) * p.D + d] += p.alpha * IN[i];
}`,
});

/** OUT[g] = alpha * sum_{t < count} IN[g * rowsPerGroup + first + t] */
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

/** OUT[g * rowsPerGroup + first + t] += alpha * IN[g] for t < count (i indexes OUT rows in range) */
const spreadKernel = defineKernel({
  name: 'spread_rows',
  params: Params,
  bindings: [
    { name: 'IN', access: 'read' },
    { name: 'OUT', access: 'read_write' },
  ],
  body: `${INDEX}
  let g = r / p.count;
  let t = r % p.count;
  OUT[(g * p.rowsPerGroup + p.first + t) * p.D + d] += p.alpha * IN[g * p.D + d];
}`,
});

function groups(n: number) {
  return grid1d(Math.ceil(n / WG));
}

const base = { rowsPerGroup: 0, first: 0, count: 0, alpha: 1 };

/** out[r, :] = input[idx[r], :] for r < rows. */
export function gatherRows(ctx: GpuContext, input: Tensor, idx: Tensor, out: Tensor, rows: number, D: number): void {
  const n = rows * D;
  if (n > 0) ctx.dispatch(gatherKernel, [input, idx, out], { ...base, n, D }, groups(n));
}

/** out[g * count + t, :] = input[g * rowsPerGroup + first + t, :]: the same row range of every group. */
export function sliceRows(ctx: GpuContext, input: Tensor, out: Tensor, groupsCount: number, rowsPerGroup: number, first: number, count: number, D: number): void {
  const n = groupsCount * count * D;
  if (n > 0) ctx.dispatch(sliceKernel, [input, out], { n, D, rowsPerGroup, first, count, alpha: 1 }, groups(n));
}

/** Gradient of sliceRows: out[g * rowsPerGroup + first + t, :] += input[g * count + t, :]. */
export function unsliceRowsAdd(ctx: GpuContext, input: Tensor, out: Tensor, groupsCount: number, rowsPerGroup: number, first: number, count: number, D: number): void {
  const n = groupsCount * count * D;
  if (n > 0) ctx.dispatch(unsliceKernel, [input, out], { n, D, rowsPerGroup, first, count, alpha: 1 }, groups(n));
}

/** out[g, :] = mean of rows first..first+count-1 of group g (groups of rowsPerGroup rows). */
export function meanRows(ctx: GpuContext, input: Tensor, out: Tensor, groupsCount: number, rowsPerGroup: number, first: number, count: number, D: number): void {
  const n = groupsCount * D;
  if (n > 0) ctx.dispatch(meanKernel, [input, out], { n, D, rowsPerGroup, first, count, alpha: 1 / count }, groups(n));
}

/** Gradient of meanRows: out[g * rowsPerGroup + first + t, :] += input[g, :] / count. */
export function spreadRows(ctx: GpuContext, input: Tensor, out: Tensor, groupsCount: number, rowsPerGroup: number, first: number, count: number, D: number): void {
  const n = groupsCount * count * D;
  if (n > 0) ctx.dispatch(spreadKernel, [input, out], { n, D, rowsPerGroup, first, count, alpha: 1 / count }, groups(n));
}
