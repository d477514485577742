/**
 * Row kernels (layernorm, softmax, their gradients, per-token dot products) reduce along rows.
 * How a row is shared out depends on the kernel family:
 *  - simd (lavapipe): one lane per row, eight rows per workgroup. Each lane loops over its row
 *    alone, so there are no cross-lane reductions at all — measured 2x faster than spreading a
 *    row over a subgroup and reducing with subgroupAdd/subgroupMax.
 *  - tiled (GPUs): 64 threads per row, combined by a shared-memory tree with barriers.
 * Both define `ROW_THREADS` (threads sharing a row), `row_sum(v, tid)`, `row_max(v, tid)` and
 * `row_of(wid, nwg, lid)` and `tid_of(lid)`. The tiled row_of does not read lid, so WGSL's
 * uniformity analysis sees the row, and an early return on it, as uniform. In the tiled family every thread of a workgroup must
 * reach row_sum/row_max (the row, hence an early return, is uniform per workgroup).
 */
import type { GpuContext, KernelFamily } from '../gpu/context.js';
import { grid1d } from '../gpu/kernel.js';

export interface RowReduce {
  /** Workgroup size. */
  threads: number;
  /** Rows handled by one workgroup. */
  rowsPerGroup: number;
  enables: string[];
  wgsl: string;
}

export function rowReduce(family: KernelFamily, lanes = 8): RowReduce {
  if (family === 'simd') {
    return {
      threads: lanes,
      rowsPerGroup: lanes,
      enables: [],
      wgsl: /* wgsl */ `
const ROW_THREADS = 1u;
fn row_of(wid: vec3u, nwg: vec3u, lid: u32) -> u32 { return (wid.x + wid.y * nwg.x) * ${lanes}u + lid; }
fn tid_of(lid: u32) -> u32 { return 0u; }
fn row_sum(v: f32, tid: u32) -> f32 { return v; }
fn row_max(v: f32, tid: u32) -> f32 { return v; }
`,
    };
  }
  const T = 64;
  return {
    threads: T,
    rowsPerGroup: 1,
    enables: [],
    wgsl: /* wgsl */ `
const ROW_THREADS = ${T}u;
var<workgroup> red: array<f32, ${T}>;
fn row_of(wid: vec3u, nwg: vec3u, lid: u32) -> u32 { return wid.x + wid.y * nwg.x; }
fn tid_of(lid: u32) -> u32 { return lid; }
fn row_sum(v: f32, tid: u32) -> f32 {
  red[tid] = v;
  workgroupBarrier();
  for (var s = ${T / 2}u; s > 0u; s >>= 1u) {
    if (tid < s) { red[tid] += red[tid + s]; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}
fn row_max(v: f32, tid: u32) -> f32 {
  red[tid] = v;
  workgroupBarrier();
  for (var s = ${T / 2}u; s > 0u; s >>= 1u) {
    if (tid < s) { red[tid] = max(red[tid], red[tid + s]); }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}
`,
  };
}

/** The row layout of a context's kernel family. */
export function rowLayout(ctx: GpuContext): RowReduce {
  return rowReduce(ctx.kernelFamily, ctx.info.subgroupMaxSize || 8);
}

/** Grid that covers `rows` rows with the context's row layout. */
export function rowGrid(ctx: GpuContext, rows: number): [number, number, number] {
  return grid1d(Math.ceil(rows / rowLayout(ctx).rowsPerGroup));
}
