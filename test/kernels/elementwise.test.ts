/**
 * Elementwise kernels against their CPU twins, at sizes around the per-workgroup block (64 lanes
 * x 8 elements) and with a broadcast operand (period bmod), as a multi-target backward uses them.
 * Their WGSL does not depend on the kernel family (defined once, no specialisation key).
 */
import { describe, expect, it } from 'vitest';
import { absolute, add, axpy, fill, geluBackward, geluForward } from '../../src/kernels/elementwise.js';
import { absoluteCpu, addCpu, axpyCpu, fillCpu, geluBackwardCpu, geluForwardCpu } from '../../src/kernels/elementwise.cpu.js';
import { maxAbsDiff } from '../helpers/compare.js';
import { gpuContext, randomArray, seededRandom } from '../helpers/gpu.js';

const SIZES = [1, 7, 511, 512, 513, 4097, 151_296 + 3];

describe('elementwise kernels', () => {
  for (const n of SIZES) {
    it(`fill, add, axpy, abs, gelu and gelu' on ${n} values`, async () => {
      const ctx = await gpuContext();
      const rand = seededRandom(n);
      const a = randomArray(n, rand, 3);
      const b = randomArray(n, rand, 3);
      const A = ctx.upload(a);
      const Bt = ctx.upload(b);
      const Y = ctx.empty([n]);
      const check = async (want: ArrayLike<number>, tol: number) => {
        const got = await Y.read();
        expect(maxAbsDiff(got, want).max).toBeLessThanOrEqual(tol);
      };
      fill(ctx, Y, 2.5);
      await check(fillCpu(n, 2.5), 0);
      add(ctx, A, Bt, Y, { alpha: -0.5, beta: 2 });
      const sum = addCpu(a, b, { alpha: -0.5, beta: 2 });
      await check(sum, 1e-6);
      axpy(ctx, A, Y, 3);
      await check(axpyCpu(a, sum, 3), 1e-5);
      absolute(ctx, A, Y);
      await check(absoluteCpu(a), 0);
      geluForward(ctx, A, Y);
      await check(geluForwardCpu(a), 1e-6);
      geluBackward(ctx, Bt, A, Y);
      await check(geluBackwardCpu(b, a), 1e-5);
      for (const t of [A, Bt, Y]) t.release();
    });
  }

  it('broadcasts the saved operand over targets (period bmod)', async () => {
    const ctx = await gpuContext();
    const rand = seededRandom(3);
    const n = 1000;
    const T = 3;
    const u = randomArray(n, rand, 3);
    const dy = randomArray(T * n, rand);
    const U = ctx.upload(u);
    const DY = ctx.upload(dy);
    const DU = ctx.empty([T * n]);
    geluBackward(ctx, DY, U, DU, T * n, n);
    const got = await DU.read();
    expect(maxAbsDiff(got, geluBackwardCpu(dy, u, n)).max).toBeLessThanOrEqual(1e-5);
    const Y = ctx.empty([T * n]);
    add(ctx, DY, U, Y, { n: T * n, bmod: n });
    expect(maxAbsDiff(await Y.read(), addCpu(dy, u, { n: T * n, bmod: n })).max).toBeLessThanOrEqual(1e-6);
    for (const t of [U, DY, DU, Y]) t.release();
  });
});
