/**
 * One Dawn device per test worker, shared by every test file the worker runs (creating devices
 * and compiling pipelines on lavapipe costs seconds). `contexts()` gives one context per kernel
 * family the adapter can run, so the GPU-oriented kernels are tested on lavapipe too.
 */
import type { GpuContext, KernelFamily } from '../../src/gpu/context.js';
import { createNodeContext } from '../../src/node/device.js';

const made = new Map<KernelFamily | 'default', Promise<GpuContext>>();

export function gpuContext(family?: KernelFamily): Promise<GpuContext> {
  const key = family ?? 'default';
  let ctx = made.get(key);
  if (!ctx) {
    ctx = createNodeContext({ kernelFamily: family });
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

export function seededRandom(seed: number): () => number {
  // mulberry32: small, fast, good enough for test data.
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomArray(n: number, rand: () => number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * scale;
  return a;
}
