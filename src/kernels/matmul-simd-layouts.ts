/**
 * The three B layouts of the simd matmul (see matmul-simd.ts for the skeleton they plug into).
 * Each one decides, alone: which output columns a lane owns, how B is loaded per k step, how
 * an A value meets the B values (FMAs into the accumulators c{r}_{j}) and which output column
 * each accumulator component lands in. Names a layout may use: `li`, `wid`, `bb` (B's batch
 * base), `kb` / `k4` (the k step), `kLast`, `a{r}` (A row r's four k values, a vec4f).
 */
import type { BLayout } from './matmul-common.js';

export interface SimdLayout {
  /** Rows per workgroup and column groups per lane (tuned in bench/matmul.ts). */
  TM: number;
  TN: number;
  /** WGSL element type of the B binding. */
  bType: 'array<vec4f>' | 'array<f32>';
  /** Accumulator type. */
  acc: 'vec4f' | 'f32';
  /** The layout guarantees K % 4 == 0, so A's k tail needs no mask. */
  kMultipleOf4: boolean;
  /** Output columns one workgroup covers. */
  colsPerWorkgroup(lanes: number): number;
  /** Before the k loop: the columns this lane owns and where its B values start (`bc{j}`). */
  columns(lanes: number): string[];
  /** In the k loop: this step's B values. */
  loadB(): string[];
  /** In the k loop: A row r (`a{r}`) times the B values into accumulator c{r}_{j}. */
  fma(r: number, j: number): string[];
  /** Output column and accumulator value of each column accumulator j contributes. */
  outputs(j: number): { col: string; value: (r: number) => string }[];
}

const perColumn = (TN: number, line: (j: number) => string) => Array.from({ length: TN }, (_, j) => line(j));
const perK = <T>(line: (kk: number) => T): T[] => [0, 1, 2, 3].map(line);

/** n contiguous: each lane owns TN groups of 4 adjacent columns, loaded as vec4 over n. */
function kn4(TM: number, TN: number): SimdLayout {
  return {
    TM, TN, bType: 'array<vec4f>', acc: 'vec4f', kMultipleOf4: false,
    colsPerWorkgroup: (lanes) => 4 * lanes * TN,
    columns: (lanes) => [
      '  let N4 = p.N / 4u;',
      ...perColumn(TN, (j) => `  let cg${j} = wid.x * ${lanes * TN}u + li + ${lanes * j}u;`),
      ...perColumn(TN, (j) => `  let bc${j} = bb / 4u + min(cg${j}, N4 - 1u);`),
    ],
    loadB: () => perK((kk) => [
      `    let br${kk} = min(kb + ${kk}u, kLast) * (p.bRs / 4u);`,
      ...perColumn(TN, (j) => `    let b${kk}_${j} = B[br${kk} + bc${j}];`),
    ]).flat(),
    fma: (r, j) => perK((kk) => `    c${r}_${j} = fma(vec4f(a${r}[${kk}]), b${kk}_${j}, c${r}_${j});`),
    outputs: (j) => perK((e) => ({ col: `cg${j} * 4u + ${e}u`, value: (r: number) => `c${r}_${j}[${e}]` })),
  };
}

/** k contiguous (PyTorch Linear weights as stored): each lane owns TN columns, loaded as vec4 over k. */
function nk4(TM: number, TN: number): SimdLayout {
  return {
    TM, TN, bType: 'array<vec4f>', acc: 'f32', kMultipleOf4: true,
    colsPerWorkgroup: (lanes) => lanes * TN,
    columns: (lanes) => [
      ...perColumn(TN, (j) => `  let n${j} = wid.x * ${lanes * TN}u + li + ${lanes * j}u;`),
      ...perColumn(TN, (j) => `  let bc${j} = (bb + min(n${j}, p.N - 1u) * p.bCs) / 4u;`),
    ],
    loadB: () => perColumn(TN, (j) => `    let b${j} = B[bc${j} + k4];`),
    fma: (r, j) => [`    c${r}_${j} = fma(a${r}.w, b${j}.w, fma(a${r}.z, b${j}.z, fma(a${r}.y, b${j}.y, fma(a${r}.x, b${j}.x, c${r}_${j}))));`],
    outputs: (j) => [{ col: `n${j}`, value: (r) => `c${r}_${j}` }],
  };
}

/** Any other strides: each lane owns TN columns, scalar loads. */
function strided(TM: number, TN: number): SimdLayout {
  return {
    TM, TN, bType: 'array<f32>', acc: 'f32', kMultipleOf4: false,
    colsPerWorkgroup: (lanes) => lanes * TN,
    columns: (lanes) => [
      ...perColumn(TN, (j) => `  let n${j} = wid.x * ${lanes * TN}u + li + ${lanes * j}u;`),
      ...perColumn(TN, (j) => `  let bc${j} = bb + min(n${j}, p.N - 1u) * p.bCs;`),
    ],
    loadB: () => perK((kk) => [
      `    let br${kk} = min(kb + ${kk}u, kLast) * p.bRs;`,
      ...perColumn(TN, (j) => `    let b${kk}_${j} = B[br${kk} + bc${j}];`),
    ]).flat(),
    fma: (r, j) => perK((kk) => `    c${r}_${j} = fma(a${r}[${kk}], b${kk}_${j}, c${r}_${j});`),
    outputs: (j) => [{ col: `n${j}`, value: (r) => `c${r}_${j}` }],
  };
}

/** The tuned tile of each layout. */
export const SIMD_LAYOUTS: Record<BLayout, SimdLayout> = {
  kn4: kn4(32, 1),
  nk4: nk4(32, 2),
  strided: strided(16, 2),
};

/** A layout with another tile (benchmarks). */
export function simdLayout(layout: BLayout, TM: number, TN: number): SimdLayout {
  return { kn4, nk4, strided }[layout](TM, TN);
}
