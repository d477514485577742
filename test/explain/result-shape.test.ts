/**
 * One result shape: every explanation method the library exports, and every registry entry,
 * returns ExplanationMaps. The type-level half is checked by `npm run typecheck` (tsc reads this
 * file); the runtime half makes every newly exported function be classified here, and checks on
 * the bundled model that the pixel-level methods give a pixel grid whose patch pooling is one
 * call away, and that GradCAM keeps its raw map.
 */
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import * as explain from '../../src/explain/index.js';
import type { ExplanationMaps, MethodInfo } from '../../src/explain/index.js';
import type { Tensor } from '../../src/gpu/tensor.js';
import { readImageFileSync } from '../../src/io/decode-node.js';
import { imageBatch } from '../../src/model/input.js';
import type { VisionTransformer } from '../../src/model/vit.js';
import { loadModelDir } from '../../src/node/load.js';
import { gpuContext } from '../helpers/gpu.js';

type Explain = typeof explain;

/** Explanation methods: (model, images, ...) => Promise<ExplanationMaps>. */
const MAP_METHODS = [
  'attentionMaps', 'attentionRollout', 'gradientRollout', 'relevance', 'cdam', 'conceptCdam', 'tokenAblation',
  'attentionFlowMaps', 'abnarRolloutMaps', 'gradCam', 'occlusion', 'saliency', 'gradientTimesInput',
  'integratedGradients', 'smoothGrad',
] as const satisfies readonly (keyof Explain)[];

/** Building blocks with a shape of their own (per-head attention, CPU graphs on raw arrays, images, helpers). */
const OTHER_EXPORTS = [
  'clsAttention', 'queryKeyMaps', 'attentionFlow', 'abnarRollout', 'attentionGraph', 'conceptVector', 'activationMaximization',
  'normalizedFill', 'integrationRule', 'poolToPatches', 'pixelMap', 'patchGrid', 'resolveClasses', 'maxNormalize', 'minMaxScale',
  'methodByName',
] as const satisfies readonly (keyof Explain)[];

type Result<K extends keyof Explain> = Explain[K] extends (...args: never[]) => Promise<infer R> ? R : never;
type Assignable = { [K in (typeof MAP_METHODS)[number]]: Result<K> extends ExplanationMaps ? true : K };

describe('one result shape', () => {
  it('types: every explanation method and every registry entry returns ExplanationMaps', () => {
    // A method whose result is not an ExplanationMaps shows up here as its own name instead of `true`.
    expectTypeOf<Assignable[keyof Assignable]>().toEqualTypeOf<true>();
    expectTypeOf<Awaited<ReturnType<MethodInfo['run']>>>().toExtend<ExplanationMaps>();
    expectTypeOf<Result<'gradCam'>['raw']>().toEqualTypeOf<Float32Array[][]>();
    expectTypeOf<Result<'integratedGradients'>['completenessGap']>().toEqualTypeOf<number[][]>();
    expectTypeOf<ReturnType<typeof explain.poolToPatches<Result<'integratedGradients'>>>>().toExtend<ExplanationMaps & { completenessGap: number[][] }>();
  });

  it('every exported function is classified above (a new one must say which shape it returns)', () => {
    const functions = Object.entries(explain).filter(([, v]) => typeof v === 'function').map(([k]) => k).sort();
    expect(functions).toEqual([...MAP_METHODS, ...OTHER_EXPORTS].sort());
  });
});

describe('pixel-level methods and GradCAM on the bundled model', () => {
  let model: VisionTransformer;
  let x: Tensor;
  const ASSETS = new URL('../../assets/', import.meta.url).pathname;

  beforeAll(async () => {
    model = loadModelDir(await gpuContext(), `${ASSETS}fmnist-vit`);
    x = imageBatch(model, ['1-trouser', '8-bag'].map((n) => readImageFileSync(`${ASSETS}images/${n}.png`)));
  });
  afterAll(() => {
    x?.release();
    model?.dispose();
  });

  it('saliency and gradient x input: a pixel grid, channel sums of the attributions, pooled per patch by poolToPatches', async () => {
    const [, C, H, W] = x.shape;
    const [ph, pw] = model.config.patchSize;
    for (const m of [await explain.saliency(model, x, ['top', 3]), await explain.gradientTimesInput(model, x, 'top')]) {
      expect(m.resolution).toBe('pixel');
      expect(m.grid).toEqual([H, W]);
      expect(m.maps.length).toBe(m.classes.length);
      expect(m.maps[0].length).toBe(2);
      expect(m.attributions.shape).toEqual([C, H, W]);
      const map = m.maps[m.maps.length - 1][1];
      expect(map.length).toBe(H * W);
      const pooled = explain.poolToPatches(model, m, 'sum');
      expect(pooled.grid).toEqual(model.gridFor(H, W));
      expect(pooled.resolution ?? 'patch').toBe('patch');
      expect(pooled.signed).toBe(m.signed);
      expect(pooled.classes).toEqual(m.classes);
      // Patch (1, 2) by hand from the pixel map.
      const gw = pooled.grid[1];
      let sum = 0;
      for (let y = ph; y < 2 * ph; y++) for (let xx = 2 * pw; xx < 3 * pw; xx++) sum += map[y * W + xx];
      expect(pooled.maps[pooled.maps.length - 1][1][gw + 2]).toBeCloseTo(sum, 4);
      // Magnitude pooling is unsigned; pooling a patch-grid result changes nothing.
      expect(explain.poolToPatches(model, m, 'sum-abs').signed).toBe(false);
      expect(explain.poolToPatches(model, pooled)).toBe(pooled);
    }
  });

  it('GradCAM: the scaled map in maps, the signed map before the ReLU in raw', async () => {
    const m = await explain.gradCam(model, x, 'top');
    expect(m.method).toBe('gradcam');
    expect(m.signed).toBe(false);
    expect(m.grid).toEqual(model.gridFor(x.shape[2], x.shape[3]));
    expect(m.raw[0][0].length).toBe(m.maps[0][0].length);
    // The ReLU: the scaled map is zero wherever the raw map is <= 0, and the raw map has both signs here.
    const raw = m.raw.flat().flatMap((r) => [...r]);
    expect(Math.min(...raw)).toBeLessThan(0);
    m.raw.forEach((row, t) => row.forEach((r, b) => r.forEach((v, i) => v <= 0 && expect(m.maps[t][b][i]).toBe(0))));
  });
});
