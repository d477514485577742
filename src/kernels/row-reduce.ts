/**
 * Row kernels (layernorm, softmax and their gradients) give each row to one workgroup whose
 * threads stride over the row and combine partial results. How they combine depends on the
 * kernel family:
 *  - simd (lavapipe): the workgroup is one subgroup, combined with subgroupAdd/subgroupMax —
 *    single shuffles on a CPU vector, no barriers;
 *  - tiled (GPUs): 64 threads and a shared-memory tree with barriers, portable to devices
 *    without subgroups.
 * Both define `ROW_THREADS`, `row_sum(v, tid)` and `row_max(v, tid)`; every thread of the
 * workgroup must call them (uniform control flow) and receives the row's total.
 */
import type { KernelFamily } from '../gpu/context.js';

export interface RowReduce {
  threads: number;
  enables: string[];
  wgsl: string;
}

export function rowReduce(family: KernelFamily, lanes = 8): RowReduce {
  if (family === 'simd') {
    return {
      threads: lanes,
      enables: ['subgroups'],
      wgsl: /* wgsl */ `
const ROW_THREADS = ${lanes}u;
fn row_sum(v: f32, tid: u32) -> f32 { return subgroupAdd(v); }
fn row_max(v: f32, tid: u32) -> f32 { return subgroupMax(v); }
`,
    };
  }
  const T = 64;
  return {
    threads: T,
    enables: [],
    wgsl: /* wgsl */ `
const ROW_THREADS = ${T}u;
var<workgroup> red: array<f32, ${T}>;
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
