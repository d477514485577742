/**
 * The measured sweep behind `vitlens tune`: for each shape class of the matmuls a model runs,
 * time the simd kernel with every candidate tile on the real shapes of that class, check each
 * candidate's output against the default tile's, and keep the fastest verified tile when it
 * beats the default by a margin (timing noise must not move a class off its default).
 *
 * Shapes come from recording which matmuls a forward (and backward) asks for
 * (`recordMatmulShapes`); each is replayed here with operands laid out so that the kernel
 * selection lands on the same B layout and A vectorisation.
 */
import type { GpuContext } from '../gpu/context.js';
import type { Tensor } from '../gpu/tensor.js';
import { classKey, sizeClass, TILE_TABLE_FORMAT, type Tile, type TileEntry, type TileQuery, type TileTable } from '../gpu/tile-table.js';
import { mulberry32 } from '../random.js';
import { VERSION } from '../version.js';
import type { BLayout } from './matmul-common.js';
import { chooseBLayout, matmul, vectorizableA, type MatmulOptions } from './matmul.js';
import { SIMD_LAYOUTS } from './matmul-simd-layouts.js';

/**
 * Candidate tiles per layout, as multiples of an 8-lane subgroup (scaled to the device's lanes).
 * nk4's large tiles (32x4, 48x3) were 5-40 % faster than the default 32x2 on lavapipe
 * (bench/matmul.ts --tiles, 2026-12-02) but take ~3x as long to compile cold (32x4: 19.5 s
 * against 6.5 s), which is why they are tuned choices and not the default; one-column tiles
 * (32x1, 48x1) were never chosen and are not tried.
 */
const CANDIDATES: Record<BLayout, Tile[]> = {
  kn4: [[16, 1], [32, 1], [16, 2], [32, 2], [48, 1]],
  nk4: [[16, 2], [16, 4], [24, 2], [32, 2], [32, 3], [32, 4], [40, 2], [48, 3]],
  strided: [[8, 2], [16, 1], [16, 2], [16, 4], [32, 2]],
};
/** `--quick`: the default and the half-height tile (cheap to compile, and what small models gain from). */
const QUICK: Record<BLayout, Tile[]> = {
  kn4: [[16, 1]],
  nk4: [[16, 2]],
  strided: [[8, 2]],
};

export function defaultTile(layout: BLayout): Tile {
  return [SIMD_LAYOUTS[layout].TM, SIMD_LAYOUTS[layout].TN];
}

/** The tiles to try for a layout (default first), TM scaled from 8 lanes to `lanes`. */
export function tileCandidates(layout: BLayout, lanes: number, quick = false): Tile[] {
  const scale = (t: Tile): Tile => [Math.max(1, Math.round(t[0] / 8)) * lanes, t[1]];
  return withDefault(layout, (quick ? QUICK : CANDIDATES)[layout].map(scale));
}

/** The layout's default tile, then `tiles` without repeats. */
function withDefault(layout: BLayout, tiles: readonly Tile[]): Tile[] {
  const out: Tile[] = [defaultTile(layout)];
  for (const t of tiles) if (!out.some((o) => o[0] === t[0] && o[1] === t[1])) out.push(t);
  return out;
}

/** A recorded matmul shape and how often the recorded work ran it. */
export interface RecordedShape extends TileQuery {
  count: number;
}

/**
 * Runs `work` (which records matmuls, e.g. a forward) with a tile chooser that notes every
 * matmul's shape and picks the defaults; returns the distinct shapes with their counts.
 */
export async function recordMatmulShapes(ctx: GpuContext, work: () => Promise<void>): Promise<RecordedShape[]> {
  const seen = new Map<string, RecordedShape>();
  ctx.setTileChooser((q) => {
    const key = `${q.layout} ${q.vecA} ${q.colMajorA} ${q.colMajorB} ${q.batch}x${q.M}x${q.K}x${q.N}`;
    const s = seen.get(key);
    if (s) s.count++;
    else seen.set(key, { ...q, count: 1 });
    return null;
  });
  try {
    await work();
  } finally {
    ctx.setTileChooser(null);
  }
  return [...seen.values()];
}

export interface TuneOptions {
  quick?: boolean;
  /** Replaces the candidate list (the default tile is always tried first). */
  candidates?: (layout: BLayout) => Tile[];
  /** Timed samples per candidate (interleaved over candidates; median). */
  reps?: number;
  /** A tile replaces the default only when faster by this fraction (default 0.03). */
  margin?: number;
  /** Called after each class with its result. */
  onClass?: (r: ClassResult) => void;
}

export interface CandidateResult {
  tile: Tile;
  /** Median ms for one pass over the class's shapes (weighted by their counts); null if it failed verification. */
  ms: number | null;
  /** Largest |candidate - default| over the class's outputs, relative to max |default|. */
  maxRelDiff: number;
}

export interface ClassResult {
  key: string;
  layout: BLayout;
  shapes: RecordedShape[];
  candidates: CandidateResult[];
  /** The tile chosen (null: the default stays). */
  chosen: Tile | null;
  speedup: number;
}

/** Outputs must agree with the default tile's to this (relative to the largest output). */
const VERIFY_TOLERANCE = 1e-5;

/** Operands that make `matmul` pick `q.layout` and `q.vecA` for shape `q`, filled with random values. */
function replay(ctx: GpuContext, q: TileQuery, seed: number): { opts: MatmulOptions; tensors: Tensor[] } | null {
  const { M, N, K, batch } = q;
  const layout = q.layout as BLayout;
  const rand = mulberry32(seed);
  const fill = (n: number) => Float32Array.from({ length: n }, () => rand() * 2 - 1);
  // Storage order as recorded; one element of offset defeats vec4 loads where the recorded
  // matmul had none (a strided B, a scalar A).
  const aOff = q.vecA ? 0 : 1;
  const bOff = layout === 'strided' ? 1 : 0;
  const a = ctx.upload(fill(aOff + batch * M * K + 4));
  const b = ctx.upload(fill(bOff + batch * K * N + 4));
  const c = ctx.empty([batch * M * N]);
  const aView = q.colMajorA ? { rowStride: 1, colStride: M } : { rowStride: K, colStride: 1 };
  const bView = q.colMajorB ? { rowStride: 1, colStride: K } : { rowStride: N, colStride: 1 };
  const opts: MatmulOptions = {
    M, N, K, nz1: 1, nz2: batch,
    a: { t: a, offset: aOff, ...aView, s2: M * K },
    b: { t: b, offset: bOff, ...bView, s2: K * N },
    c: { t: c, rowStride: N, s2: M * N },
  };
  const tensors = [a, b, c];
  if (chooseBLayout(opts) !== layout || vectorizableA(opts) !== q.vecA) {
    for (const t of tensors) t.release();
    return null;
  }
  return { opts, tensors };
}

/** Records `opts` with tile `tile` forced. */
function runWith(ctx: GpuContext, opts: MatmulOptions, tile: Tile): void {
  ctx.setTileChooser(() => tile);
  try {
    matmul(ctx, opts);
  } finally {
    ctx.setTileChooser(null);
  }
}

async function timed(ctx: GpuContext, record: () => void): Promise<number> {
  await ctx.sync();
  const t = performance.now();
  record();
  await ctx.sync();
  return performance.now() - t;
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Groups shapes by layout and shape class (the table's key). */
function byClass(shapes: readonly RecordedShape[]): Map<string, RecordedShape[]> {
  const groups = new Map<string, RecordedShape[]>();
  for (const s of shapes) {
    const k = classKey(s.layout, s.M, s.N, s.K);
    groups.set(k, [...(groups.get(k) ?? []), s]);
  }
  return groups;
}

/**
 * Measures every class of `shapes` and returns the table of winners for this context's adapter.
 * Needs the simd kernel family; leaves the context choosing tiles by its table again.
 */
export async function tuneTiles(ctx: GpuContext, shapes: readonly RecordedShape[], opts: TuneOptions = {}): Promise<{ table: TileTable; classes: ClassResult[] }> {
  if (ctx.kernelFamily !== 'simd') throw new Error('tile tuning applies to the simd kernel family only');
  const reps = Math.max(1, opts.reps ?? 5);
  const margin = opts.margin ?? 0.03;
  const classes: ClassResult[] = [];
  const entries: TileEntry[] = [];
  let seed = 1;
  for (const [key, group] of byClass(shapes)) {
    const layout = group[0].layout as BLayout;
    const cands = opts.candidates ? withDefault(layout, opts.candidates(layout)) : tileCandidates(layout, ctx.lanes, opts.quick);
    const runs = group.map((q) => replay(ctx, q, seed++)).filter((r) => r !== null);
    if (runs.length === 0) continue;
    const weights = group.map((q) => q.count);
    try {
      // Reference outputs from the default tile (candidate 0), then each candidate's, compiled
      // and checked before anything is timed.
      const outputs: Float32Array[][] = [];
      for (const tile of cands) {
        const outs: Float32Array[] = [];
        for (const r of runs) {
          runWith(ctx, r.opts, tile);
          outs.push(await r.opts.c.t.read());
        }
        outputs.push(outs);
      }
      const results: CandidateResult[] = cands.map((tile, i) => {
        let worst = 0;
        outputs[i].forEach((out, j) => {
          const ref = outputs[0][j];
          let scale = 0;
          let diff = 0;
          for (let x = 0; x < ref.length; x++) {
            scale = Math.max(scale, Math.abs(ref[x]));
            diff = Math.max(diff, Math.abs(out[x] - ref[x]));
          }
          worst = Math.max(worst, Number.isFinite(diff) ? diff / Math.max(scale, 1e-30) : Infinity);
        });
        return { tile, ms: worst <= VERIFY_TOLERANCE ? 0 : null, maxRelDiff: worst };
      });
      // Interleaved samples: each rep times every candidate once, so drifting load hits all alike.
      const samples: number[][] = cands.map(() => []);
      for (let rep = 0; rep < reps; rep++) {
        for (let i = 0; i < cands.length; i++) {
          if (results[i].ms === null) continue;
          samples[i].push(await timed(ctx, () => runs.forEach((r, j) => { for (let w = 0; w < weights[j]; w++) runWith(ctx, r.opts, cands[i]); })));
        }
      }
      results.forEach((r, i) => {
        if (r.ms !== null) r.ms = median(samples[i]);
      });
      const base = results[0].ms!;
      let best = 0;
      results.forEach((r, i) => {
        if (r.ms !== null && r.ms < results[best].ms!) best = i;
      });
      const chosen = best > 0 && results[best].ms! < base * (1 - margin) ? cands[best] : null;
      if (chosen) entries.push({ layout, m: sizeClass(group[0].M), n: sizeClass(group[0].N), k: sizeClass(group[0].K), tile: chosen });
      const result: ClassResult = { key, layout, shapes: group, candidates: results, chosen, speedup: chosen ? base / results[best].ms! : 1 };
      classes.push(result);
      opts.onClass?.(result);
    } finally {
      for (const r of runs) for (const t of r.tensors) t.release();
    }
  }
  const table: TileTable = { format: TILE_TABLE_FORMAT, adapter: ctx.adapter, version: VERSION, lanes: ctx.lanes, entries };
  return { table, classes };
}
