/**
 * One Dawn device per test worker, shared by every test file the worker runs (creating devices
 * and compiling pipelines on lavapipe costs seconds). `contexts()` gives one context per kernel
 * family the adapter can run, so the GPU-oriented kernels are tested on lavapipe too.
 */
import type { GpuContext, KernelFamily } from '../../src/gpu/context.js';
import { createNodeContext } from '../../src/node/device.js';
import { mulberry32 } from '../../src/random.js';

const made = new Map<KernelFamily | 'default', Promise<GpuContext>>();

export function gpuContext(family?: KernelFamily): Promise<GpuContext> {
  const key = family ?? 'default';
  let ctx = made.get(key);
  if (!ctx) {
    ctx = createNodeContext({ kernelFamily: family, pacedWait: true, tiles: 'default' }); // tests never depend on a machine's tuned tiles
    made.set(key, ctx);
  }
  return ctx;
}

/** The families to test on this adapter: the default one first, then the other if it can run. */
export async function testFamilies(): Promise<KernelFamily[]> {
  const ctx = await gpuContext();
  const other: KernelFamily = ctx.kernelFamily === 'simd' ? 'tiled' : 'simd';
  return ctx.info.subgroups ? [ctx.kernelFamily, other] : [ctx.kernelFamily];
}

/** Reproducible test data: the library's generator (src/random.ts). */
export const seededRandom = mulberry32;

export function randomArray(n: number, rand: () => number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * scale;
  return a;
}
