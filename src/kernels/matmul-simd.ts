/**
 * Matmul for CPU implementations of WebGPU (Mesa lavapipe), measured on ../shared/PLATFORM.md's
 * machine. lavapipe runs one subgroup as one AVX2 vector of 8 lanes and turns every storage load
 * that differs per lane into a gather, while cross-lane shuffles are single instructions. Hence:
 *
 *  - a workgroup is exactly one subgroup (LANES invocations), no shared memory, no barriers;
 *  - each lane owns output columns and loads only its own B elements, as vec4 where the layout
 *    allows (4 floats per gathered lane);
 *  - the TM x 4 tile of A is loaded once, spread over the lanes, and handed to every lane with
 *    subgroupBroadcast instead of being re-read (uniform loads were measured 2x slower);
 *  - accumulators are unrolled into named registers and each one receives its 4 FMAs in a row,
 *    which keeps LLVM's spills of the large register tile cheap.
 * This reached 11-18 GFLOP/s on ViT shapes against 3-6 for shared-memory tilings.
 */
import { defineKernel, type Kernel } from '../gpu/kernel.js';
import { MATMUL_BINDINGS, MATMUL_HELPERS, MatmulParams, type BLayout } from './matmul-common.js';

/** Rows per workgroup and column groups per lane, per layout (tuned in bench/matmul.ts). */
const TILES: Record<BLayout, { TM: number; TN: number }> = {
  kn4: { TM: 32, TN: 1 },
  nk4: { TM: 32, TN: 2 },
  strided: { TM: 16, TN: 2 },
};

export interface MatmulKernel {
  kernel: Kernel;
  /** Output rows and columns covered by one workgroup. */
  tile: [number, number];
}

const cache = new Map<string, MatmulKernel>();

/**
 * `vecA`: A's rows are contiguous and 16-byte aligned with K % 4 == 0, so each lane loads its
 * four k values of a row as one vec4.
 */
export function simdMatmulKernel(layout: BLayout, lanes: number, vecA: boolean): MatmulKernel {
  const key = `${layout}-${lanes}-${vecA}`;
  let k = cache.get(key);
  if (!k) {
    k = buildSimdMatmul(layout, lanes, TILES[layout].TM, TILES[layout].TN, vecA);
    cache.set(key, k);
  }
  return k;
}

export function buildSimdMatmul(layout: BLayout, LANES: number, TM: number, TN: number, vecA = false): MatmulKernel {
  if (TM % LANES !== 0) throw new Error(`TM ${TM} must be a multiple of the subgroup size ${LANES}`);
  const Q = TM / LANES;
  const vecB = layout !== 'strided';
  const L: string[] = [];
  const colsPerWg = layout === 'kn4' ? 4 * LANES * TN : LANES * TN;
  L.push(`@compute @workgroup_size(${LANES})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let z = wid.z;
  let m0 = wid.y * ${TM}u;
  let ab = a_base(z);
  let bb = b_base(z);
  let K4 = (p.K + 3u) / 4u;
  let kLast = max(p.K, 1u) - 1u;`);
  // Rows of the A tile this lane loads.
  for (let q = 0; q < Q; q++) {
    const row = `ab + min(m0 + ${q * LANES}u + lane, p.M - 1u) * p.aRs`;
    L.push(vecA ? `  let ar${q} = (${row}) / 4u;` : `  let ar${q} = ${row};`);
  }
  // Columns this lane owns.
  if (layout === 'kn4') {
    L.push(`  let N4 = p.N / 4u;`);
    for (let j = 0; j < TN; j++) L.push(`  let cg${j} = wid.x * ${LANES * TN}u + li + ${LANES * j}u;`);
    for (let j = 0; j < TN; j++) L.push(`  let bc${j} = bb / 4u + min(cg${j}, N4 - 1u);`);
  } else {
    for (let j = 0; j < TN; j++) L.push(`  let n${j} = wid.x * ${LANES * TN}u + li + ${LANES * j}u;`);
    if (layout === 'nk4') for (let j = 0; j < TN; j++) L.push(`  let bc${j} = (bb + min(n${j}, p.N - 1u) * p.bCs) / 4u;`);
    else for (let j = 0; j < TN; j++) L.push(`  let bc${j} = bb + min(n${j}, p.N - 1u) * p.bCs;`);
  }
  const acc = layout === 'kn4' ? 'vec4f' : 'f32';
  for (let r = 0; r < TM; r++) for (let j = 0; j < TN; j++) L.push(`  var c${r}_${j} = ${acc}(0.0);`);
  L.push(`  for (var k4 = 0u; k4 < K4; k4++) {
    let kb = k4 * 4u;`);
  if (!vecA) for (let kk = 0; kk < 4; kk++) L.push(`    let kc${kk} = min(kb + ${kk}u, kLast) * p.aCs;`);
  for (let q = 0; q < Q; q++) {
    if (vecA) {
      L.push(`    let at${q} = A[ar${q} + k4];`);
      continue;
    }
    // nk4 guarantees K % 4 == 0: no k tail to mask.
    const comps = [0, 1, 2, 3].map((kk) => (layout === 'nk4' ? `A[ar${q} + kc${kk}]` : `select(0.0, A[ar${q} + kc${kk}], kb + ${kk}u < p.K)`));
    L.push(`    let at${q} = vec4f(${comps.join(', ')});`);
  }
  if (layout === 'kn4') {
    for (let kk = 0; kk < 4; kk++) {
      L.push(`    let br${kk} = min(kb + ${kk}u, kLast) * (p.bRs / 4u);`);
      for (let j = 0; j < TN; j++) L.push(`    let b${kk}_${j} = B[br${kk} + bc${j}];`);
    }
  } else if (layout === 'nk4') {
    for (let j = 0; j < TN; j++) L.push(`    let b${j} = B[bc${j} + k4];`);
  } else {
    for (let kk = 0; kk < 4; kk++) {
      L.push(`    let br${kk} = min(kb + ${kk}u, kLast) * p.bRs;`);
      for (let j = 0; j < TN; j++) L.push(`    let b${kk}_${j} = B[br${kk} + bc${j}];`);
    }
  }
  for (let r = 0; r < TM; r++) {
    L.push(`    let a${r} = subgroupBroadcast(at${Math.floor(r / LANES)}, ${r % LANES}u);`);
    for (let j = 0; j < TN; j++) {
      const c = `c${r}_${j}`;
      if (layout === 'kn4') {
        for (let kk = 0; kk < 4; kk++) L.push(`    ${c} = fma(vec4f(a${r}[${kk}]), b${kk}_${j}, ${c});`);
      } else if (layout === 'nk4') {
        L.push(`    ${c} = fma(a${r}.w, b${j}.w, fma(a${r}.z, b${j}.z, fma(a${r}.y, b${j}.y, fma(a${r}.x, b${j}.x, ${c}))));`);
      } else {
        for (let kk = 0; kk < 4; kk++) L.push(`    ${c} = fma(a${r}[${kk}], b${kk}_${j}, ${c});`);
      }
    }
  }
  L.push('  }');
  // Epilogue: per-column bias/scale loaded once; rows past M end the invocation (uniform,
  // rows only grow); columns past N are masked per lane.
  L.push('  let cb = c_base(z);\n  let rb = r_base(z);');
  const cols: { name: string; acc: (r: number) => string }[] = [];
  for (let j = 0; j < TN; j++) {
    if (layout === 'kn4') {
      for (let e = 0; e < 4; e++) cols.push({ name: `cg${j} * 4u + ${e}u`, acc: (r) => `c${r}_${j}[${e}]` });
    } else {
      cols.push({ name: `n${j}`, acc: (r) => `c${r}_${j}` });
    }
  }
  cols.forEach((c, i) => L.push(`  let col${i} = ${c.name};\n  let bias${i} = col_bias(col${i});\n  let scale${i} = col_scale(col${i});\n  let ok${i} = col${i} < p.N;`));
  for (let r = 0; r < TM; r++) {
    L.push(`  if (m0 + ${r}u >= p.M) { return; }`);
    cols.forEach((c, i) => L.push(`  if (ok${i}) { put(cb, rb, m0 + ${r}u, col${i}, finish(${c.acc(r)}, bias${i}, scale${i})); }`));
  }
  L.push('}');
  const kernel = defineKernel({
    name: 'matmul_simd',
    key: `${layout}${vecA ? '-a4' : ''}-L${LANES}-${TM}x${TN}`,
    enables: ['subgroups'],
    bindings: MATMUL_BINDINGS(vecA ? 'array<vec4f>' : 'array<f32>', vecB ? 'array<vec4f>' : 'array<f32>'),
    params: MatmulParams,
    body: MATMUL_HELPERS + L.join('\n'),
  });
  return { kernel, tile: [TM, colsPerWg] };
}
