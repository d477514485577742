/**
 * Tuned matmul tiles: a table's tile reaches the kernel for its shape class only and computes
 * the same product as the default tile (and the CPU twin) on awkward shapes of every B layout;
 * a foreign table is refused; the tuning sweep records a forward's shapes, verifies its
 * candidates and returns a table its own parser accepts.
 */
import { describe, expect, it } from 'vitest';
import { TileTableError } from '../../src/errors.js';
import { parseTileTable, serializeTileTable, sizeClass, TILE_TABLE_FORMAT, type TileEntry, type TileTable } from '../../src/gpu/tile-table.js';
import { matmulCpu } from '../../src/kernels/matmul.cpu.js';
import { chooseBLayout, matmul, vectorizableA, type MatmulOptions } from '../../src/kernels/matmul.js';
import { defaultTile, recordMatmulShapes, tileCandidates, tuneTiles } from '../../src/kernels/matmul-tune.js';
import { VERSION } from '../../src/version.js';
import { maxAbs, maxAbsDiff } from '../helpers/compare.js';
import { gpuContext, randomArray, seededRandom } from '../helpers/gpu.js';
import { thrown } from '../helpers/thrown.js';

interface Case {
  name: string;
  M: number; N: number; K: number;
  /** B stored [K, N] (kn) or [N, K] (nk). */
  b: 'kn' | 'nk';
  nz?: number;
  /** The tile the table gives this shape's class (not the layout's default). */
  tile: [number, number];
}

// Token counts 17 / 197 / 257, N and K off every tile; one of each B layout. The tiles are small
// ones: a large register tile costs lavapipe tens of seconds to compile cold.
const CASES: Case[] = [
  { name: 'nk4, qkv-like, 197 tokens', M: 197, N: 100, K: 64, b: 'nk', tile: [16, 2] },
  { name: 'nk4, M past 256 rows, odd N', M: 257, N: 33, K: 48, b: 'nk', tile: [8, 1] },
  { name: 'kn4, batched attention-like', M: 17, N: 20, K: 12, b: 'kn', nz: 3, tile: [8, 1] },
  { name: 'strided (N not /4)', M: 50, N: 10, K: 30, b: 'kn', tile: [8, 1] },
];

function operands(c: Case, ctx: Awaited<ReturnType<typeof gpuContext>>) {
  const rand = seededRandom(c.M * 7 + c.N * 3 + c.K);
  const nz = c.nz ?? 1;
  const a = randomArray(nz * c.M * c.K, rand);
  const b = randomArray(nz * c.N * c.K, rand);
  const bStride = c.b === 'kn' ? { rowStride: c.N, colStride: 1 } : { rowStride: 1, colStride: c.K };
  const A = ctx.upload(a), B = ctx.upload(b), C = ctx.empty([nz * c.M * c.N]);
  const opts: MatmulOptions = {
    M: c.M, N: c.N, K: c.K, nz2: nz,
    a: { t: A, rowStride: c.K, s2: c.M * c.K }, b: { t: B, ...bStride, s2: c.N * c.K }, c: { t: C, rowStride: c.N, s2: c.M * c.N },
  };
  const cpu = { data: new Float32Array(nz * c.M * c.N) };
  matmulCpu({ M: c.M, N: c.N, K: c.K, nz2: nz, a: { data: a, rowStride: c.K, s2: c.M * c.K }, b: { data: b, ...bStride, s2: c.N * c.K }, c: { data: cpu.data, rowStride: c.N, s2: c.M * c.N } });
  return { opts, cpu: cpu.data, release: () => [A, B, C].forEach((t) => t.release()) };
}

function tableFor(ctx: { adapter: TileTable['adapter']; lanes: number }, entries: TileEntry[]): TileTable {
  return { format: TILE_TABLE_FORMAT, adapter: ctx.adapter, version: VERSION, lanes: ctx.lanes, entries };
}

describe('matmul with a tuned tile table (simd family)', () => {
  for (const c of CASES) {
    it(`${c.name}: the table's tile runs and matches the default tile and the CPU twin`, async () => {
      const ctx = await gpuContext('simd');
      const o = operands(c, ctx);
      try {
        const layout = chooseBLayout(o.opts);
        expect(c.tile).not.toEqual(defaultTile(layout));
        matmul(ctx, o.opts);
        const byDefault = await o.opts.c.t.read();
        const entry: TileEntry = { layout, m: sizeClass(c.M), n: sizeClass(c.N), k: sizeClass(c.K), tile: c.tile };
        ctx.setTileTable(tableFor(ctx, [entry]));
        const before = ctx.pipelineCount;
        ctx.dispatches = 0;
        matmul(ctx, o.opts);
        const tuned = await o.opts.c.t.read();
        // The tuned kernel is a pipeline of its own, with the grid of its tile.
        expect(ctx.pipelineCount).toBe(before + 1);
        const tol = 2e-6 * Math.max(1, maxAbs(o.cpu)) * Math.sqrt(c.K);
        expect(maxAbsDiff(tuned, o.cpu).max).toBeLessThanOrEqual(tol);
        expect(maxAbsDiff(tuned, byDefault).max).toBeLessThanOrEqual(tol);
      } finally {
        ctx.setTileTable(null);
        o.release();
      }
    });
  }

  it('refuses a table measured on another adapter, version or subgroup size', async () => {
    const ctx = await gpuContext('simd');
    const t = tableFor(ctx, []);
    expect(thrown(() => ctx.setTileTable({ ...t, adapter: { ...t.adapter, description: 'NVIDIA H100' } }), TileTableError).message).toMatch(/does not belong to this device.*NVIDIA H100.*vitlens tune/);
    thrown(() => ctx.setTileTable({ ...t, version: '0.0.1' }), TileTableError);
    thrown(() => ctx.setTileTable({ ...t, lanes: ctx.lanes * 2 }), TileTableError);
    expect(ctx.tileTable).toBeNull();
  });

  it('offers the default tile first and candidates whose TM is a multiple of the subgroup size', () => {
    for (const layout of ['kn4', 'nk4', 'strided'] as const) {
      for (const lanes of [8, 16]) {
        const cands = tileCandidates(layout, lanes);
        expect(cands[0]).toEqual(defaultTile(layout));
        expect(new Set(cands.map((t) => t.join('x'))).size).toBe(cands.length);
        for (const [tm] of cands.slice(1)) expect(tm % lanes).toBe(0);
      }
      expect(tileCandidates(layout, 8, true)).toHaveLength(2);
    }
  });

  it('tunes recorded shapes: every class measured, candidates verified, a table its parser accepts', async () => {
    const ctx = await gpuContext('simd');
    const c = CASES[0];
    const o = operands(c, ctx);
    try {
      const shapes = await recordMatmulShapes(ctx, async () => {
        matmul(ctx, o.opts);
        matmul(ctx, o.opts);
        await ctx.sync();
      });
      expect(shapes).toEqual([{ layout: 'nk4', vecA: vectorizableA(o.opts), colMajorA: false, colMajorB: true, M: c.M, N: c.N, K: c.K, batch: 1, count: 2 }]);
      const { table, classes } = await tuneTiles(ctx, shapes, { reps: 1, candidates: () => [[16, 2]] }); // compiled above
      expect(classes.map((r) => r.key)).toEqual(['nk4 m:s n:s k:xs']);
      for (const cand of classes[0].candidates) {
        expect(cand.maxRelDiff).toBeLessThanOrEqual(1e-5);
        expect(cand.ms).toBeGreaterThan(0);
      }
      expect(parseTileTable(serializeTileTable(table))).toEqual(table);
      expect(ctx.tileTable).toBeNull(); // the sweep leaves the context as it found it
    } finally {
      o.release();
    }
  });
});
