/**
 * Matmul for GPUs: the classic shared-memory tiling. A 16 x 16 workgroup computes a 64 x 64
 * tile of C, 4 x 4 outputs per invocation, staging 64 x 16 slices of A and B in workgroup
 * memory. Loads are generic strided reads with zero fill, so one pipeline serves every layout;
 * on a GPU the loads are coalesced where the layout allows and the arithmetic dominates.
 */
import { defineKernel } from '../gpu/kernel.js';
import { MATMUL_BINDINGS, matmulHelpers, MatmulParams, type Activation } from './matmul-common.js';
import type { MatmulKernel } from './matmul-simd.js';

const T = 64; // tile edge
const BK = 16; // k slice
const W = 16; // workgroup edge
const R = T / W; // outputs per invocation per axis

const cache = new Map<Activation, MatmulKernel>();

/** The kernel for an epilogue activation (the only thing its WGSL depends on). */
export function tiledMatmulKernel(act: Activation = 'none'): MatmulKernel {
  const hit = cache.get(act);
  if (hit) return hit;
  const made: MatmulKernel = {
    tile: [T, T],
    kernel: defineKernel({
      name: 'matmul_tiled',
      key: `${T}x${T}x${BK}${act === 'none' ? '' : `-${act}`}`,
      bindings: MATMUL_BINDINGS('array<f32>', 'array<f32>', act),
      params: MatmulParams,
      body: /* wgsl */ `
${matmulHelpers(act)}
var<workgroup> As: array<array<f32, ${T}>, ${BK}>;
var<workgroup> Bs: array<array<f32, ${T}>, ${BK}>;

@compute @workgroup_size(${W}, ${W})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let z = wid.z;
  let m0 = wid.y * ${T}u;
  let n0 = wid.x * ${T}u;
  let ab = a_base(z);
  let bb = b_base(z);
  let flat = lid.y * ${W}u + lid.x;
  var acc: array<array<f32, ${R}>, ${R}>;
  for (var k0 = 0u; k0 < p.K; k0 += ${BK}u) {
    // ${T * BK} elements of each operand, ${(T * BK) / (W * W)} per invocation.
    for (var i = 0u; i < ${(T * BK) / (W * W)}u; i++) {
      let e = flat + i * ${W * W}u;
      let kk = e / ${T}u;
      let t = e % ${T}u;
      let k = k0 + kk;
      let m = m0 + t;
      let n = n0 + t;
      var av = 0.0;
      if (k < p.K && m < p.M) { av = A[ab + m * p.aRs + k * p.aCs]; }
      var bv = 0.0;
      if (k < p.K && n < p.N) { bv = B[bb + k * p.bRs + n * p.bCs]; }
      As[kk][t] = av;
      Bs[kk][t] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${BK}u; kk++) {
      var a: array<f32, ${R}>;
      var b: array<f32, ${R}>;
      for (var i = 0u; i < ${R}u; i++) {
        a[i] = As[kk][lid.y + i * ${W}u];
        b[i] = Bs[kk][lid.x + i * ${W}u];
      }
      for (var i = 0u; i < ${R}u; i++) {
        for (var j = 0u; j < ${R}u; j++) { acc[i][j] = fma(a[i], b[j], acc[i][j]); }
      }
    }
    workgroupBarrier();
  }
  let cb = c_base(z);
  let rb = r_base(z);
  let ub = u_base(z);
  for (var i = 0u; i < ${R}u; i++) {
    for (var j = 0u; j < ${R}u; j++) {
      store_c(cb, rb, ub, m0 + lid.y + i * ${W}u, n0 + lid.x + j * ${W}u, acc[i][j]);
    }
  }
}
`,
    }),
  };
  cache.set(act, made);
  return made;
}
