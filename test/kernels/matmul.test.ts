import { describe, expect, it } from 'vitest';
import { chooseBLayout, matmul, type MatmulOptions } from '../../src/kernels/matmul.js';
import { matmulCpu, type CpuMatmulOptions } from '../../src/kernels/matmul.cpu.js';
import { maxAbs, maxAbsDiff } from '../helpers/compare.js';
import { gpuContext, randomArray, seededRandom } from '../helpers/gpu.js';

interface Case {
  name: string;
  M: number; N: number; K: number;
  layout: 'kn' | 'nk';
  nz1?: number; nz2?: number;
  bMod?: number;
  epilogue?: Partial<Pick<MatmulOptions, 'gelu' | 'accumulate'>> & { bias?: boolean; scale?: boolean; residual?: boolean; preActivation?: boolean };
  alpha?: number;
}

// Awkward shapes: token counts 17/50/197/257, dims off the tile, K not a multiple of 4.
const CASES: Case[] = [
  { name: 'qkv-like kn', M: 197, N: 576, K: 192, layout: 'kn' },
  { name: 'linear nk (weights as stored)', M: 50, N: 100, K: 64, layout: 'nk', epilogue: { bias: true } },
  { name: 'nk, K not /4 -> strided', M: 17, N: 33, K: 49, layout: 'nk' },
  { name: 'kn, N not /4 -> strided', M: 257, N: 10, K: 30, layout: 'kn' },
  { name: 'tiny', M: 1, N: 1, K: 1, layout: 'kn' },
  { name: 'K=0 gives the epilogue of zero', M: 5, N: 8, K: 0, layout: 'kn', epilogue: { bias: true } },
  { name: 'fc1 + gelu', M: 197, N: 80, K: 40, layout: 'nk', epilogue: { bias: true, gelu: true } },
  { name: 'proj + layerscale + residual', M: 66, N: 48, K: 48, layout: 'nk', epilogue: { bias: true, scale: true, residual: true } },
  { name: 'accumulate, alpha', M: 31, N: 36, K: 197, layout: 'kn', alpha: 0.125, epilogue: { accumulate: true } },
  { name: 'batched (2 x 3) with broadcast of B over z1 (mod 1)', M: 17, N: 16, K: 16, layout: 'kn', nz1: 2, nz2: 3, bMod: 1 },
  { name: 'batched nk, K tail impossible, mod 2 over z1=4', M: 20, N: 17, K: 12, layout: 'nk', nz1: 4, nz2: 2, bMod: 2 },
  // fc1 keeping its pre-activation (the mlp op's recorded forward).
  { name: 'fc1 + gelu keeping the pre-activation', M: 197, N: 84, K: 40, layout: 'nk', epilogue: { bias: true, gelu: true, preActivation: true } },
  { name: 'fc1 + gelu keeping the pre-activation, 17 tokens, N not /4', M: 17, N: 50, K: 12, layout: 'nk', epilogue: { bias: true, gelu: true, preActivation: true } },
];

function build(c: Case, rand: () => number) {
  const nz1 = c.nz1 ?? 1, nz2 = c.nz2 ?? 1, nz = nz1 * nz2;
  const bBatches = (c.bMod ?? nz1) * nz2;
  const aData = randomArray(nz * c.M * (c.K + 1) + 3, rand);
  const bData = randomArray(bBatches * c.N * c.K + 8, rand);
  const cData = randomArray(nz * c.M * c.N, rand);
  const rData = randomArray(nz * c.M * c.N, rand);
  // U: the pre-activation output's initial contents.
  const uData = randomArray(c.M * c.N, rand, 3);
  const bias = randomArray(c.N + 2, rand);
  const scale = randomArray(c.N, rand);
  // A with a row stride larger than K and an offset; B per layout, 4-aligned where possible.
  const aRs = c.K + 1;
  const aOff = 3;
  const bRs = c.layout === 'kn' ? c.N : 1;
  const bCs = c.layout === 'kn' ? 1 : c.K;
  return { nz1, nz2, aData, bData, cData, rData, uData, bias, scale, aRs, aOff, bRs, bCs };
}

describe('matmul against its CPU twin', async () => {
  const families = ['simd', 'tiled'] as const;
  for (const family of families) {
    for (const c of CASES) {
      it(`${family}: ${c.name}`, async () => {
        const ctx = await gpuContext(family);
        const rand = seededRandom(c.M * 1000 + c.N * 10 + c.K);
        const d = build(c, rand);
        const e = c.epilogue ?? {};
        const aStride = { rowStride: d.aRs, colStride: 1, offset: d.aOff, s1: c.M * d.aRs * d.nz2, s2: c.M * d.aRs };
        const bStride = { rowStride: d.bRs, colStride: d.bCs, s1: c.N * c.K * d.nz2, s2: c.N * c.K, mod: c.bMod };
        const cStride = { rowStride: c.N, s1: c.M * c.N * d.nz2, s2: c.M * c.N };
        const cpu: CpuMatmulOptions = {
          M: c.M, N: c.N, K: c.K, nz1: d.nz1, nz2: d.nz2, alpha: c.alpha,
          a: { data: d.aData, ...aStride }, b: { data: d.bData, ...bStride }, c: { data: d.cData.slice(), ...cStride },
          bias: e.bias ? { data: d.bias, offset: 2 } : undefined, gelu: e.gelu,
          scale: e.scale ? { data: d.scale } : undefined,
          residual: e.residual ? { data: d.rData, ...cStride } : undefined, accumulate: e.accumulate,
          preActivation: e.preActivation ? { data: d.uData.slice(), rowStride: c.N } : undefined,
        };
        matmulCpu(cpu);
        const A = ctx.upload(d.aData), B = ctx.upload(d.bData), C = ctx.upload(d.cData), R = ctx.upload(d.rData);
        const bias = ctx.upload(d.bias), scale = ctx.upload(d.scale), U = ctx.upload(d.uData);
        const opts: MatmulOptions = {
          M: c.M, N: c.N, K: c.K, nz1: d.nz1, nz2: d.nz2, alpha: c.alpha,
          a: { t: A, ...aStride }, b: { t: B, ...bStride }, c: { t: C, ...cStride },
          bias: e.bias ? { t: bias, offset: 2 } : undefined, gelu: e.gelu, scale: e.scale ? { t: scale } : undefined,
          residual: e.residual ? { t: R, ...cStride } : undefined, accumulate: e.accumulate,
          preActivation: e.preActivation ? { t: U, rowStride: c.N } : undefined,
        };
        matmul(ctx, opts);
        const got = await C.read();
        const gotU = await U.read();
        for (const t of [A, B, C, R, U, bias, scale]) t.release();
        if (e.preActivation) {
          const ref = cpu.preActivation!.data;
          expect(maxAbsDiff(gotU, ref).max, 'pre-activation').toBeLessThanOrEqual(2e-6 * Math.max(1, maxAbs(ref)) * Math.sqrt(c.K));
        }
        const err = maxAbsDiff(got, cpu.c.data).max;
        const tol = 2e-6 * Math.max(1, maxAbs(cpu.c.data)) * Math.sqrt(Math.max(c.K, 1));
        expect(err, `layout ${chooseBLayout(opts)} max abs err ${err}`).toBeLessThanOrEqual(tol);
      });
    }
  }
});
