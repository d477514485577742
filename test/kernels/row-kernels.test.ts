/**
 * Row kernels (layernorm, softmax, their gradients, the probability seed) against CPU twins, in
 * both kernel families, on awkward shapes: row lengths 17, 50, 197, 257, one row, and row counts
 * that do not fill a workgroup; gradients with two targets per saved row.
 */
import { describe, expect, it } from 'vitest';
import { layernorm } from '../../src/kernels/layernorm.js';
import { layernormCpu } from '../../src/kernels/layernorm.cpu.js';
import { layernormGrad } from '../../src/kernels/layernorm-grad.js';
import { layernormGradCpu } from '../../src/kernels/layernorm-grad.cpu.js';
import { softmaxProbSeed } from '../../src/kernels/seeds.js';
import { softmaxProbSeedCpu } from '../../src/kernels/seeds.cpu.js';
import { softmaxRows } from '../../src/kernels/softmax.js';
import { softmaxRowsCpu } from '../../src/kernels/softmax.cpu.js';
import { softmaxGrad } from '../../src/kernels/softmax-grad.js';
import { softmaxGradCpu } from '../../src/kernels/softmax-grad.cpu.js';
import { maxAbs, maxAbsDiff } from '../helpers/compare.js';
import { gpuContext, randomArray, seededRandom } from '../helpers/gpu.js';

// Rows of a multiple of 4 take the simd family's vec4 layernorm (D = 192: deit_tiny; 13 and 3
// rows do not fill its 8-row workgroups).
const SHAPES: [number, number][] = [[3, 17], [13, 50], [9, 197], [5, 257], [70, 64], [1, 65], [13, 192], [3, 4]];

describe.each(['simd', 'tiled'] as const)('row kernels (%s)', (family) => {
  for (const [rows, L] of SHAPES) {
    it(`softmax and its gradient, ${rows} rows of ${L}`, async () => {
      const ctx = await gpuContext(family);
      const rand = seededRandom(rows * L);
      const x = randomArray(rows * L, rand, 4);
      const t = ctx.upload(x);
      softmaxRows(ctx, t, rows, L);
      const got = await t.read();
      const ref = Float64Array.from(x);
      softmaxRowsCpu(ref, rows, L);
      expect(maxAbsDiff(got, ref).max).toBeLessThan(1e-6);
      // dS = P * (dP - rowsum(dP * P)), two targets (gradient rows = 2 * rows)
      const dp = randomArray(2 * rows * L, rand);
      const dpT = ctx.upload(dp);
      const ds = ctx.empty([2 * rows, L]);
      softmaxGrad(ctx, dpT, t, ds, 2 * rows, rows, L);
      const gotDs = await ds.read();
      const refDs = softmaxGradCpu(dp, ref, 2 * rows, rows, L);
      expect(maxAbsDiff(gotDs, refDs).max).toBeLessThan(1e-6 * Math.max(1, maxAbs(refDs)));
      for (const u of [t, dpT, ds]) u.release();
    });

    it(`layernorm and its gradient, ${rows} rows of ${L}`, async () => {
      const ctx = await gpuContext(family);
      const rand = seededRandom(rows + 1000 * L);
      const x = randomArray(rows * L, rand, 3);
      const g = randomArray(L, rand);
      const b = randomArray(L, rand);
      const [xt, gt, bt] = [x, g, b].map((a) => ctx.upload(a));
      const y = ctx.empty([rows, L]);
      const stats = ctx.empty([rows, 2]);
      layernorm(ctx, { x: xt, gamma: gt, beta: bt, y, rows, D: L, eps: 1e-6, stats });
      const ref = layernormCpu(x, g, b, rows, L, 1e-6);
      expect(maxAbsDiff(await y.read(), ref.y).max).toBeLessThan(2e-5);
      const st = await stats.read();
      expect(maxAbsDiff(st.filter((_, i) => i % 2 === 0), ref.mean).max).toBeLessThan(1e-6);
      expect(maxAbsDiff(st.filter((_, i) => i % 2 === 1), ref.rstd).max).toBeLessThan(1e-5 * Math.max(...ref.rstd));
      const dy = randomArray(2 * rows * L, rand);
      const dyT = ctx.upload(dy);
      // Accumulating into a gradient already there.
      const prior = randomArray(2 * rows * L, rand);
      const dx = ctx.upload(prior);
      layernormGrad(ctx, { dy: dyT, x: xt, stats, gamma: gt, dx, gradRows: 2 * rows, rows, D: L, accumulate: true });
      const refDx = layernormGradCpu({ dy, x, mean: ref.mean, rstd: ref.rstd, gamma: g, gradRows: 2 * rows, rows, D: L, accumulateInto: prior });
      expect(maxAbsDiff(await dx.read(), refDx).max).toBeLessThan(1e-5 * Math.max(1, maxAbs(refDx)));
      for (const u of [xt, gt, bt, y, stats, dyT, dx]) u.release();
    });
  }

  for (const [B, T, C] of [[3, 2, 10], [1, 1, 257], [5, 3, 1000]]) {
    it(`softmax-probability seed, ${T} targets x ${B} images of ${C} classes`, async () => {
      const ctx = await gpuContext(family);
      const rand = seededRandom(B * C + T);
      const logits = randomArray(B * C, rand, 6);
      const classes = Uint32Array.from({ length: T * B }, () => Math.floor(rand() * C));
      const [L, K] = [ctx.upload(logits), ctx.upload(classes)];
      const seed = ctx.empty([T * B, C]);
      softmaxProbSeed(ctx, L, K, seed, T * B, B, C);
      const ref = softmaxProbSeedCpu(logits, classes, T * B, B, C);
      expect(maxAbsDiff(await seed.read(), ref).max).toBeLessThan(1e-6);
      for (const u of [L, K, seed]) u.release();
    });
  }
});
