/**
 * One simd matmul tile (nk4 layout: A row-major [M, K], B stored [N, K]) dispatched directly,
 * bypassing the default tile choice: what the tile sweeps of bench/matmul.ts and the GPU check time.
 */
import type { GpuContext } from '../../src/gpu/context.js';
import type { Tensor } from '../../src/gpu/tensor.js';
import { MatmulParams } from '../../src/kernels/matmul-common.js';
import { buildSimdMatmul } from '../../src/kernels/matmul-simd.js';

/** A change to the kernel's WGSL (bench/matmul-anatomy.ts), compiled as its own pipeline under `tag`. */
export interface KernelRewrite {
  tag: string;
  code: (wgsl: string) => string;
}

/**
 * C = A·Bᵀ with a TM x TN tile of `lanes`-wide subgroups, its WGSL optionally rewritten; returns
 * a function that records one dispatch.
 */
export function simdTileMatmul(ctx: GpuContext, lanes: number, [TM, TN]: [number, number], a: Tensor, w: Tensor, c: Tensor, M: number, K: number, N: number, rewrite?: KernelRewrite): () => void {
  const k = buildSimdMatmul('nk4', lanes, TM, TN, true);
  const kernel = rewrite ? { ...k.kernel, cacheKey: `${k.kernel.cacheKey}|${rewrite.tag}`, code: rewrite.code(k.kernel.code) } : k.kernel;
  const params = {
    M, N, K, alpha: 1, flags: 0, nz2: 1,
    aOff: 0, aRs: K, aCs: 1, aS1: 0, aS2: 0, aMod: 0xffffffff,
    bOff: 0, bRs: 1, bCs: K, bS1: 0, bS2: 0, bMod: 0xffffffff,
    cOff: 0, cRs: N, cS1: 0, cS2: 0, cMod: 0xffffffff,
    rOff: 0, rRs: 0, rS1: 0, rS2: 0, rMod: 0xffffffff, biasOff: 0, scaleOff: 0,
    uOff: 0, uRs: 0, uS1: 0, uS2: 0, uMod: 0xffffffff,
  } satisfies Record<keyof typeof MatmulParams.fields, number>;
  const grid: [number, number, number] = [Math.ceil(N / k.tile[1]), Math.ceil(M / k.tile[0]), 1];
  return () => {
    const unused = ctx.empty([4]); // bias, scale and residual bindings the flags leave unread
    ctx.dispatch(kernel, [a, w, unused, unused, unused, c], params, grid);
    unused.release();
  };
}
