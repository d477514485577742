/**
 * The one scaffold of row kernels (layernorm, softmax, their gradients, seeds, per-token dots,
 * rollout row sums, mean |x|): kernels that reduce along rows. A row kernel states its
 * bindings, parameters, row count and the statements that process one row; this module adds
 * the row layout, the entry point, the row / thread index and the early return, and caches one
 * kernel per layout.
 *
 * How a row is shared out depends on the kernel family:
 *  - simd (lavapipe): one lane per row, one subgroup of rows per workgroup. Each lane loops over
 *    its row alone, so there are no cross-lane reductions at all — measured 2x faster than
 *    spreading a row over a subgroup and reducing with subgroupAdd/subgroupMax.
 *  - tiled (GPUs): 64 threads per row, combined by a shared-memory tree with barriers.
 * Both define `ROW_THREADS` (threads sharing a row), `row_sum(v, tid)`, `row_max(v, tid)`,
 * `row_of(wid, nwg, lid)` and `tid_of(lid)`. The tiled row_of does not read lid, so WGSL's
 * uniformity analysis sees the row, and the early return on it, as uniform: every thread of a
 * workgroup reaches row_sum/row_max.
 */
import type { GpuContext, KernelFamily } from '../gpu/context.js';
import { defineKernel, grid1d, type Binding, type Kernel } from '../gpu/kernel.js';
import type { Tensor } from '../gpu/tensor.js';
import type { ScalarType, UniformStruct } from '../gpu/uniforms.js';

export interface RowLayout {
  /** Everything the layout's WGSL depends on; kernels built on it key their cache on this. */
  key: string;
  /** Workgroup size. */
  threads: number;
  /** Rows handled by one workgroup. */
  rowsPerGroup: number;
  wgsl: string;
}

const TILED_THREADS = 64;

export function rowLayoutOf(family: KernelFamily, lanes: number): RowLayout {
  if (family === 'simd') {
    return {
      key: `simd-L${lanes}`,
      threads: lanes,
      rowsPerGroup: lanes,
      wgsl: /* wgsl */ `
const ROW_THREADS = 1u;
fn row_of(wid: vec3u, nwg: vec3u, lid: u32) -> u32 { return (wid.x + wid.y * nwg.x) * ${lanes}u + lid; }
fn tid_of(lid: u32) -> u32 { return 0u; }
fn row_sum(v: f32, tid: u32) -> f32 { return v; }
fn row_max(v: f32, tid: u32) -> f32 { return v; }
`,
    };
  }
  const T = TILED_THREADS;
  const tree = (combine: string) => /* wgsl */ `{
  red[tid] = v;
  workgroupBarrier();
  for (var s = ${T / 2}u; s > 0u; s >>= 1u) {
    if (tid < s) { red[tid] = ${combine}; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}`;
  return {
    key: `tiled-T${T}`,
    threads: T,
    rowsPerGroup: 1,
    wgsl: /* wgsl */ `
const ROW_THREADS = ${T}u;
var<workgroup> red: array<f32, ${T}>;
fn row_of(wid: vec3u, nwg: vec3u, lid: u32) -> u32 { return wid.x + wid.y * nwg.x; }
fn tid_of(lid: u32) -> u32 { return lid; }
fn row_sum(v: f32, tid: u32) -> f32 ${tree('red[tid] + red[tid + s]')}
fn row_max(v: f32, tid: u32) -> f32 ${tree('max(red[tid], red[tid + s])')}
`,
  };
}

/** The parts of a context a row layout depends on (a plain object in tests). */
export type RowContext = Pick<GpuContext, 'kernelFamily'> & { info: Pick<GpuContext['info'], 'subgroupMaxSize'> };

/** The row layout of a context: its kernel family and, for simd, its subgroup size. */
export function rowLayout(ctx: RowContext): RowLayout {
  return rowLayoutOf(ctx.kernelFamily, ctx.info.subgroupMaxSize || 8);
}

/** Grid that covers `rows` rows with the context's row layout. */
export function rowGrid(ctx: RowContext, rows: number): [number, number, number] {
  return grid1d(Math.ceil(rows / rowLayout(ctx).rowsPerGroup));
}

export interface RowKernelSpec<F extends Record<string, ScalarType>> {
  name: string;
  params: UniformStruct<F>;
  bindings: Binding[];
  /** WGSL expression of the number of rows (e.g. `p.rows`); rows at or past it return at once. */
  rows: string;
  /** WGSL functions the body calls (placed after the row layout's). */
  helpers?: string;
  /** Statements run per row, which see `row` (< rows) and `tid` (this thread's first column). */
  body: string;
}

export interface RowKernel<F extends Record<string, ScalarType>> {
  /** The kernel for a context's row layout, built once per layout. */
  kernel(ctx: RowContext): Kernel<F>;
  /** Dispatches `rows` rows (nothing when rows is 0). */
  dispatch(ctx: GpuContext, tensors: Tensor[], params: { [K in keyof F]: number }, rows: number): void;
}

export function defineRowKernel<F extends Record<string, ScalarType>>(spec: RowKernelSpec<F>): RowKernel<F> {
  const byLayout = new Map<string, Kernel<F>>();
  const kernel = (ctx: RowContext): Kernel<F> => {
    const layout = rowLayout(ctx);
    let k = byLayout.get(layout.key);
    if (!k) {
      k = defineKernel({
        name: spec.name,
        key: layout.key,
        params: spec.params,
        bindings: spec.bindings,
        body: /* wgsl */ `
${layout.wgsl}
${spec.helpers ?? ''}
@compute @workgroup_size(${layout.threads})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = row_of(wid, nwg, lid);
  if (row >= ${spec.rows}) { return; }
  let tid = tid_of(lid);
${spec.body.replace(/^\n+|\s+$/g, '')}
}`,
      });
      byLayout.set(layout.key, k);
    }
    return k;
  };
  return {
    kernel,
    dispatch(ctx, tensors, params, rows) {
      if (rows > 0) ctx.dispatch(kernel(ctx), tensors, params, rowGrid(ctx, rows));
    },
  };
}
