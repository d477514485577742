/**
 * Kernel caches are keyed on everything the generated WGSL depends on: two contexts that differ
 * only in their subgroup size get different row kernels (a kernel built for 8-lane subgroups
 * would leave rows of a 16-lane grid unprocessed), and a context refuses to serve a pipeline
 * from its cache for a different source under the same key.
 */
import { describe, expect, it } from 'vitest';
import { defineKernel } from '../../src/gpu/kernel.js';
import { uniformStruct } from '../../src/gpu/uniforms.js';
import { simdMatmulKernel } from '../../src/kernels/matmul-simd.js';
import { defineRowKernel, rowGrid, type RowContext } from '../../src/kernels/row-kernel.js';
import { gpuContext } from '../helpers/gpu.js';

const simd = (lanes: number): RowContext => ({ kernelFamily: 'simd', info: { subgroupMaxSize: lanes } });
const tiled: RowContext = { kernelFamily: 'tiled', info: { subgroupMaxSize: 32 } };

const spec = () => ({
  name: 'row_total',
  params: uniformStruct({ rows: 'u32', L: 'u32' }),
  bindings: [
    { name: 'X', access: 'read' as const },
    { name: 'OUT', access: 'read_write' as const },
  ],
  rows: 'p.rows',
  body: `
  var s = 0.0;
  for (var i = tid; i < p.L; i += ROW_THREADS) { s += X[row * p.L + i]; }
  let total = row_sum(s, tid);
  if (tid == 0u) { OUT[row] = total; }`,
});

describe('kernel cache keys', () => {
  it('gives row kernels of different subgroup sizes different keys, sources and grids in one process', () => {
    const k = defineRowKernel(spec());
    const contexts = [simd(4), simd(8), simd(16), simd(32), tiled];
    const kernels = contexts.map((c) => k.kernel(c));
    expect(new Set(kernels.map((x) => x.cacheKey)).size).toBe(contexts.length);
    expect(new Set(kernels.map((x) => x.code)).size).toBe(contexts.length);
    for (const lanes of [4, 8, 16, 32]) {
      expect(k.kernel(simd(lanes)).code).toContain(`@workgroup_size(${lanes})`);
      expect(rowGrid(simd(lanes), 100)).toEqual([Math.ceil(100 / lanes), 1, 1]);
    }
    expect(rowGrid(tiled, 100)).toEqual([100, 1, 1]);
  });

  it('serves a cached row kernel only for the layout it was built for, with the source a fresh build gives', () => {
    const k = defineRowKernel(spec());
    const first = k.kernel(simd(8));
    expect(k.kernel(simd(16))).not.toBe(first);
    expect(k.kernel(simd(8))).toBe(first);
    for (const c of [simd(8), simd(16), tiled]) expect(k.kernel(c).code).toBe(defineRowKernel(spec()).kernel(c).code);
  });

  it('keys simd matmuls on the subgroup size', () => {
    const a = simdMatmulKernel('kn4', 8, true);
    const b = simdMatmulKernel('kn4', 16, true);
    expect(a.kernel.cacheKey).not.toBe(b.kernel.cacheKey);
    expect(a.kernel.code).not.toBe(b.kernel.code);
    expect(simdMatmulKernel('kn4', 8, true)).toBe(a);
  });

  it('refuses to run a different source under a cached key', async () => {
    const ctx = await gpuContext();
    const make = (value: string) =>
      defineKernel({
        name: 'cache_probe',
        key: 'same',
        params: uniformStruct({ n: 'u32' }),
        bindings: [{ name: 'Y', access: 'read_write' }],
        body: `@compute @workgroup_size(1)\nfn main() { Y[0] = ${value}; }`,
      });
    const y = ctx.empty([1]);
    ctx.dispatch(make('1.0'), [y], { n: 1 }, [1, 1, 1]);
    expect(await y.read()).toEqual(new Float32Array([1]));
    expect(() => ctx.dispatch(make('2.0'), [y], { n: 1 }, [1, 1, 1])).toThrow(/two different WGSL sources share one cache key/);
    y.release();
  });
});
