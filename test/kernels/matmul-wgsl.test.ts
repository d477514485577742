/**
 * The generated WGSL of every matmul specialisation, as committed file snapshots
 * (test/kernels/__snapshots__/matmul-wgsl/*.wgsl.snap, generated data rather than source): a
 * change to a generator shows up as a reviewable diff of the shader it produces. Subgroup sizes
 * 8 (lavapipe on AVX2) and 16 (AVX-512) x the three B layouts x A loaded as vec4 or not, and the
 * tiled kernel, each with no activation; and the activations compiled into the epilogue (GELU,
 * GELU keeping the pre-activation) on the layout that uses them. Update on purpose with `npx vitest run test/kernels/matmul-wgsl.test.ts -u`.
 */
import { describe, expect, it } from 'vitest';
import type { Activation, BLayout } from '../../src/kernels/matmul-common.js';
import { simdMatmulKernel } from '../../src/kernels/matmul-simd.js';
import { tiledMatmulKernel } from '../../src/kernels/matmul-tiled.js';

const DIR = './__snapshots__/matmul-wgsl';

describe('generated matmul WGSL', () => {
  for (const lanes of [8, 16]) {
    for (const layout of ['kn4', 'nk4', 'strided'] as BLayout[]) {
      for (const vecA of [false, true]) {
        it(`simd ${layout}, ${lanes} lanes${vecA ? ', vec4 A' : ''}`, async () => {
          const { kernel, tile } = simdMatmulKernel(layout, lanes, vecA);
          await expect(`// tile ${tile.join(' x ')}\n${kernel.code}`).toMatchFileSnapshot(`${DIR}/simd-${layout}${vecA ? '-a4' : ''}-L${lanes}.wgsl.snap`);
        });
      }
    }
  }

  it('tiled', async () => {
    const { kernel, tile } = tiledMatmulKernel();
    await expect(`// tile ${tile.join(' x ')}\n${kernel.code}`).toMatchFileSnapshot(`${DIR}/tiled.wgsl.snap`);
  });

  for (const [layout, act] of [['nk4', 'gelu'], ['nk4', 'gelu-pre']] as [BLayout, Activation][]) {
    it(`simd ${layout}, 8 lanes, vec4 A, ${act}; tiled ${act}`, async () => {
      const simd = simdMatmulKernel(layout, 8, true, { act });
      await expect(`// tile ${simd.tile.join(' x ')}\n${simd.kernel.code}`).toMatchFileSnapshot(`${DIR}/simd-${layout}-a4-L8-${act}.wgsl.snap`);
      const tiled = tiledMatmulKernel(act);
      await expect(`// tile ${tiled.tile.join(' x ')}\n${tiled.kernel.code}`).toMatchFileSnapshot(`${DIR}/tiled-${act}.wgsl.snap`);
    });
  }
});
