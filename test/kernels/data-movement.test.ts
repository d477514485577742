/**
 * The kernels that move or combine values without reducing rows (rows.ts, patchify.ts,
 * tokens.ts, columns.ts) against their CPU twins, on shapes off the 64-wide workgroup: one row,
 * 257 tokens, batches > 1, images whose size is not a multiple of the patch. Their WGSL does
 * not depend on the kernel family (defined once, no specialisation key), so one family runs them.
 */
import { describe, it } from 'vitest';
import { columnSums, mulColumns } from '../../src/kernels/columns.js';
import { columnSumsCpu, mulColumnsCpu } from '../../src/kernels/columns.cpu.js';
import { patchify, unpatchify, gridOf, type PatchGeometry } from '../../src/kernels/patchify.js';
import { patchifyCpu, unpatchifyCpu } from '../../src/kernels/patchify.cpu.js';
import { gatherRows, meanRows, sliceRows, spreadRows, unsliceRowsAdd, type RowRange } from '../../src/kernels/rows.js';
import { gatherRowsCpu, meanRowsCpu, sliceRowsCpu, spreadRowsCpu, unsliceRowsAddCpu } from '../../src/kernels/rows.cpu.js';
import { assembleTokens, type TokenLayout } from '../../src/kernels/tokens.js';
import { assembleTokensCpu } from '../../src/kernels/tokens.cpu.js';
import { gpuContext, randomArray, seededRandom } from '../helpers/gpu.js';
import { expectTwin } from '../helpers/twins.js';

const RANGES: (RowRange & { name: string })[] = [
  { name: '3 images of 257 tokens, the 256 patch rows', groups: 3, rowsPerGroup: 257, first: 1, count: 256, D: 5 },
  { name: 'one row of 70', groups: 1, rowsPerGroup: 1, first: 0, count: 1, D: 70 },
  { name: 'class token of 2 x 17 tokens', groups: 2, rowsPerGroup: 17, first: 0, count: 1, D: 33 },
];

describe('row movement (rows.ts)', () => {
  for (const r of RANGES) {
    it(`slice, unslice-add, mean, spread and gather: ${r.name}`, async () => {
      const ctx = await gpuContext();
      const rand = seededRandom(r.groups * 1000 + r.D);
      const all = r.groups * r.rowsPerGroup * r.D;
      const some = r.groups * r.count * r.D;
      const x = randomArray(all, rand);
      const part = randomArray(some, rand);
      const perGroup = randomArray(r.groups * r.D, rand);
      const [X, PART, G] = [x, part, perGroup].map((a) => ctx.upload(a));
      const sliced = ctx.empty([some]);
      sliceRows(ctx, X, sliced, r);
      await expectTwin(sliced, sliceRowsCpu(x, r), 0, 'slice');
      const back = ctx.upload(x);
      unsliceRowsAdd(ctx, PART, back, r);
      await expectTwin(back, unsliceRowsAddCpu(part, x, r), 1e-6, 'unslice-add');
      const mean = ctx.empty([r.groups * r.D]);
      meanRows(ctx, X, mean, r);
      await expectTwin(mean, meanRowsCpu(x, r), 1e-6, 'mean');
      const spread = ctx.upload(x);
      spreadRows(ctx, G, spread, r);
      await expectTwin(spread, spreadRowsCpu(perGroup, x, r), 1e-6, 'spread');
      // Gather every row but the last of each group, in reverse order.
      const rows = r.groups * r.rowsPerGroup;
      const idx = Uint32Array.from({ length: rows - 1 }, (_, i) => rows - 1 - i);
      const IDX = ctx.upload(idx);
      const gathered = ctx.upload(new Float32Array((rows - 1) * r.D + 1));
      gatherRows(ctx, X, IDX, gathered, { rows: rows - 1, D: r.D });
      const want = new Float64Array((rows - 1) * r.D + 1);
      want.set(gatherRowsCpu(x, idx, { rows: rows - 1, D: r.D }));
      await expectTwin(gathered, want, 0, 'gather');
      for (const t of [X, PART, G, sliced, back, mean, spread, IDX, gathered]) t.release();
    });
  }
});

const GEOMETRIES: (PatchGeometry & { name: string })[] = [
  { name: '2 images 17 x 19, patches 4 x 5 (edges uncovered)', B: 2, C: 3, H: 17, W: 19, ph: 4, pw: 5 },
  { name: 'one patch', B: 1, C: 1, H: 16, W: 16, ph: 16, pw: 16 },
  { name: '256 patches (257 tokens)', B: 1, C: 3, H: 64, W: 64, ph: 4, pw: 4 },
];

const LAYOUTS: (TokenLayout & { name: string })[] = [
  { name: '2 images of 257 tokens', B: 2, N: 257, NP: 1, D: 12, posPrefix: true },
  { name: 'class + registers, positions for patches only', B: 1, N: 9, NP: 3, D: 7, posPrefix: false },
  { name: 'one token, batch 3', B: 3, N: 1, NP: 1, D: 65, posPrefix: true },
];

describe('patches and tokens (patchify.ts, tokens.ts)', () => {
  for (const g of GEOMETRIES) {
    it(`patchify and unpatchify: ${g.name}`, async () => {
      const ctx = await gpuContext();
      const rand = seededRandom(g.H * g.W + g.B);
      const { gh, gw } = gridOf(g);
      const img = randomArray(g.B * g.C * g.H * g.W, rand);
      const patches = randomArray(g.B * gh * gw * g.C * g.ph * g.pw, rand);
      const [IMG, PATCHES] = [img, patches].map((a) => ctx.upload(a));
      const out = ctx.empty([patches.length]);
      patchify(ctx, IMG, out, g);
      await expectTwin(out, patchifyCpu(img, g), 0, 'patchify');
      const dImg = ctx.upload(randomArray(img.length, rand));
      unpatchify(ctx, PATCHES, dImg, g);
      await expectTwin(dImg, unpatchifyCpu(patches, g), 0, 'unpatchify');
      for (const t of [IMG, PATCHES, out, dImg]) t.release();
    });
  }

  for (const l of LAYOUTS) {
    it(`assembleTokens: ${l.name}`, async () => {
      const ctx = await gpuContext();
      const rand = seededRandom(l.N * l.D + l.B);
      const prefix = randomArray(l.NP * l.D, rand);
      const patches = randomArray(l.B * (l.N - l.NP) * l.D + 1, rand);
      const pos = randomArray((l.posPrefix ? l.N : l.N - l.NP) * l.D + 1, rand);
      const [PRE, PAT, POS] = [prefix, patches, pos].map((a) => ctx.upload(a));
      const z = ctx.empty([l.B * l.N * l.D]);
      assembleTokens(ctx, PRE, PAT, POS, z, l);
      await expectTwin(z, assembleTokensCpu(prefix, patches, pos, l), 1e-6, 'assemble');
      for (const t of [PRE, PAT, POS, z]) t.release();
    });
  }
});

describe('column kernels (columns.ts)', () => {
  for (const [M, N, bRows] of [[1, 70, 1], [257, 13, 257], [6, 65, 3]]) {
    it(`mulColumns and columnSums (plain, product, normalised, accumulated): ${M} x ${N}, b rows ${bRows}`, async () => {
      const ctx = await gpuContext();
      const rand = seededRandom(M * N + bRows);
      const a = randomArray(M * N, rand);
      const b = randomArray(bRows * N, rand);
      const v = randomArray(N + 3, rand);
      const stats = Float32Array.from({ length: 2 * bRows }, (_, i) => (i % 2 ? 0.5 + rand() : rand() - 0.5));
      const prior = randomArray(N, rand);
      const [A, B, V, S] = [a, b, v, stats].map((x) => ctx.upload(x));
      const y = ctx.empty([M * N]);
      mulColumns(ctx, A, V, y, M, N, 3);
      await expectTwin(y, mulColumnsCpu(a, v, M, N, 3), 1e-6, 'mulColumns');
      const out = ctx.empty([N]);
      columnSums(ctx, { a: A, M, N, out, accumulate: false });
      await expectTwin(out, columnSumsCpu({ a, M, N, accumulate: false }), 1e-5, 'sums');
      columnSums(ctx, { a: A, M, N, out, accumulate: false, b: B, bRows });
      await expectTwin(out, columnSumsCpu({ a, M, N, accumulate: false, b, bRows }), 1e-5, 'product sums');
      const acc = ctx.upload(prior);
      columnSums(ctx, { a: A, M, N, out: acc, accumulate: true, b: B, stats: S, bRows });
      await expectTwin(acc, columnSumsCpu({ a, M, N, out: prior, accumulate: true, b, stats, bRows }), 1e-5, 'normalised sums');
      for (const t of [A, B, V, S, y, out, acc]) t.release();
    });
  }
});
