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
import { MATMUL_BINDINGS, matmulHelpers, MatmulParams, type Activation, type BLayout } from './matmul-common.js';
import { SIMD_LAYOUTS, simdLayout, type SimdLayout } from './matmul-simd-layouts.js';

export interface MatmulKernel {
  kernel: Kernel;
  /** Output rows and columns covered by one workgroup. */
  tile: [number, number];
}

const cache = new Map<string, MatmulKernel>();

/**
/** What a simd kernel is specialised on besides its layout: both default to the plain kernel. */
export interface SimdKernelVariant {
  /** Activation compiled into the epilogue (default none). */
  act?: Activation;
  /** [TM, TN] rows x columns per subgroup; default the layout's (a tuned table may pick another). */
  tile?: readonly [number, number];
}

/**
 * The kernel for a B layout, subgroup size, A vectorisation, epilogue activation and tile
 * (everything its WGSL depends on). `vecA`: A's rows are contiguous and 16-byte aligned with
 * K % 4 == 0, so each lane loads its four k values of a row as one vec4.
 */
export function simdMatmulKernel(layout: BLayout, lanes: number, vecA: boolean, variant: SimdKernelVariant = {}): MatmulKernel {
  const { act = 'none', tile } = variant;
  const base = SIMD_LAYOUTS[layout];
  const [TM, TN] = tile ?? [base.TM, base.TN];
  const key = `${layout}-${lanes}-${vecA}-${act}-${TM}x${TN}`;
  let k = cache.get(key);
  if (!k) {
    k = generateSimdMatmul(layout, tile ? simdLayout(layout, TM, TN) : base, lanes, vecA, act);
    cache.set(key, k);
  }
  return k;
}

/** A kernel with another tile (benchmarks). */
export function buildSimdMatmul(layout: BLayout, LANES: number, TM: number, TN: number, vecA = false): MatmulKernel {
  return generateSimdMatmul(layout, simdLayout(layout, TM, TN), LANES, vecA);
}

/**
 * The skeleton every layout shares: A tile rows per lane, the k loop (A loads, the layout's B
 * loads, broadcast of each A row and the layout's FMAs), and the epilogue.
 */
function generateSimdMatmul(name: BLayout, layout: SimdLayout, LANES: number, vecA: boolean, act: Activation = 'none'): MatmulKernel {
  const { TM, TN } = layout;
  if (TM % LANES !== 0) throw new Error(`TM ${TM} must be a multiple of the subgroup size ${LANES}`);
  const Q = TM / LANES;
  const rows = (line: (r: number) => string[]) => Array.from({ length: TM }, (_, r) => line(r)).flat();
  const tileRows = (line: (q: number) => string) => Array.from({ length: Q }, (_, q) => line(q));
  const columns = Array.from({ length: TN }, (_, j) => j);
  const outputs = columns.flatMap((j) => layout.outputs(j));
  const aRow = (q: number) => `ab + min(m0 + ${q * LANES}u + lane, p.M - 1u) * p.aRs`;
  const aLoad = (q: number) => {
    if (vecA) return `    let at${q} = A[ar${q} + k4];`;
    const comps = [0, 1, 2, 3].map((kk) => (layout.kMultipleOf4 ? `A[ar${q} + kc${kk}]` : `select(0.0, A[ar${q} + kc${kk}], kb + ${kk}u < p.K)`));
    return `    let at${q} = vec4f(${comps.join(', ')});`;
  };
  const L = [
    `@compute @workgroup_size(${LANES})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let z = wid.z;
  let m0 = wid.y * ${TM}u;
  let ab = a_base(z);
  let bb = b_base(z);
  let K4 = (p.K + 3u) / 4u;
  let kLast = max(p.K, 1u) - 1u;`,
    // Rows of the A tile this lane loads; the columns it owns.
    ...tileRows((q) => (vecA ? `  let ar${q} = (${aRow(q)}) / 4u;` : `  let ar${q} = ${aRow(q)};`)),
    ...layout.columns(LANES),
    ...rows((r) => columns.map((j) => `  var c${r}_${j} = ${layout.acc}(0.0);`)),
    `  for (var k4 = 0u; k4 < K4; k4++) {
    let kb = k4 * 4u;`,
    ...(vecA ? [] : [0, 1, 2, 3].map((kk) => `    let kc${kk} = min(kb + ${kk}u, kLast) * p.aCs;`)),
    ...tileRows(aLoad),
    ...layout.loadB(),
    ...rows((r) => [`    let a${r} = subgroupBroadcast(at${Math.floor(r / LANES)}, ${r % LANES}u);`, ...columns.flatMap((j) => layout.fma(r, j))]),
    '  }',
    // Epilogue: per-column bias/scale loaded once; rows past M end the invocation (uniform,
    // rows only grow); columns past N are masked per lane.
    '  let cb = c_base(z);\n  let rb = r_base(z);\n  let ub = u_base(z);',
    ...outputs.map((c, i) => `  let col${i} = ${c.col};\n  let bias${i} = col_bias(col${i});\n  let scale${i} = col_scale(col${i});\n  let ok${i} = col${i} < p.N;`),
    ...rows((r) => [
      `  if (m0 + ${r}u >= p.M) { return; }`,
      ...outputs.map((c, i) => `  if (ok${i}) { put(cb, rb, ub, m0 + ${r}u, col${i}, ${c.value(r)}, bias${i}, scale${i}); }`),
    ]),
    '}',
  ];
  const kernel = defineKernel({
    name: 'matmul_simd',
    key: `${name}${vecA ? '-a4' : ''}-L${LANES}-${TM}x${TN}${act === 'none' ? '' : `-${act}`}`,
    enables: ['subgroups'],
    bindings: MATMUL_BINDINGS(vecA ? 'array<vec4f>' : 'array<f32>', layout.bType, act),
    params: MatmulParams,
    body: matmulHelpers(act) + L.join('\n'),
  });
  return { kernel, tile: [TM, layout.colsPerWorkgroup(LANES)] };
}
