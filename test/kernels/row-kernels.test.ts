/**
 * Row kernels (layernorm, softmax and their gradients) against CPU twins, in both kernel
 * families, on awkward shapes: row lengths 17, 50, 197, 257 and row counts that do not fill a
 * workgroup.
 */
import { describe, expect, it } from 'vitest';
import { layernorm } from '../../src/kernels/layernorm.js';
import { layernormCpu } from '../../src/kernels/layernorm.cpu.js';
import { layernormGrad } from '../../src/kernels/layernorm-grad.js';
import { softmaxRows } from '../../src/kernels/softmax.js';
import { softmaxRowsCpu } from '../../src/kernels/softmax.cpu.js';
import { softmaxGrad } from '../../src/kernels/softmax-grad.js';
import { maxAbs, maxAbsDiff } from '../helpers/compare.js';
import { gpuContext, randomArray, seededRandom } from '../helpers/gpu.js';

const SHAPES: [number, number][] = [[3, 17], [13, 50], [9, 197], [5, 257], [70, 64]];

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
      const refDs = new Float64Array(2 * rows * L);
      for (let r = 0; r < 2 * rows; r++) {
        const pr = (r % rows) * L;
        let dot = 0;
        for (let i = 0; i < L; i++) dot += dp[r * L + i] * ref[pr + i];
        for (let i = 0; i < L; i++) refDs[r * L + i] = ref[pr + i] * (dp[r * L + i] - dot);
      }
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
      const dy = randomArray(2 * rows * L, rand);
      const dyT = ctx.upload(dy);
      const dx = ctx.empty([2 * rows, L]);
      layernormGrad(ctx, { dy: dyT, x: xt, stats, gamma: gt, dx, gradRows: 2 * rows, rows, D: L, accumulate: false });
      const refDx = new Float64Array(2 * rows * L);
      for (let r = 0; r < 2 * rows; r++) {
        const s = r % rows;
        let mg = 0;
        let mgx = 0;
        for (let i = 0; i < L; i++) {
          const gi = dy[r * L + i] * g[i];
          mg += gi / L;
          mgx += (gi * (x[s * L + i] - ref.mean[s]) * ref.rstd[s]) / L;
        }
        for (let i = 0; i < L; i++) {
          const xh = (x[s * L + i] - ref.mean[s]) * ref.rstd[s];
          refDx[r * L + i] = ref.rstd[s] * (dy[r * L + i] * g[i] - mg - xh * mgx);
        }
      }
      expect(maxAbsDiff(await dx.read(), refDx).max).toBeLessThan(1e-5 * Math.max(1, maxAbs(refDx)));
      for (const u of [xt, gt, bt, y, stats, dyT, dx]) u.release();
    });
  }
});
