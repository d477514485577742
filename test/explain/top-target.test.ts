/**
 * 'top' / 'topK' targets pick their classes on the GPU inside the backward's own forward
 * (class-specs.ts `classTargets`, targets.ts rank targets): one forward and one backward per
 * explanation, the same maps and classes as explaining the classes resolveClasses ranks, and the
 * same typed refusals — K out of range, and logits with NaN (which cannot be ranked).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { resolveClasses, type ClassSpec } from '../../src/explain/class-specs.js';
import { cdam } from '../../src/explain/cdam.js';
import { gradCam } from '../../src/explain/gradcam.js';
import { gradientRollout } from '../../src/explain/grad-rollout.js';
import { relevance } from '../../src/explain/relevance.js';
import { saliency } from '../../src/explain/saliency.js';
import type { Tensor } from '../../src/gpu/tensor.js';
import { readImageFileSync } from '../../src/io/decode-node.js';
import { imageBatch } from '../../src/model/input.js';
import type { VisionTransformer } from '../../src/model/vit.js';
import { loadModelDir } from '../../src/node/load.js';
import { gpuContext } from '../helpers/gpu.js';

const ASSETS = new URL('../../assets/', import.meta.url).pathname;

type Method = (model: VisionTransformer, images: Tensor, classes: ClassSpec | readonly ClassSpec[]) => Promise<{ classes?: number[][]; maps: Float32Array[][] }>;
const METHODS: [string, Method][] = [
  ['cdam', cdam], ['gradcam', gradCam], ['grad-rollout', gradientRollout], ['relevance', relevance], ['saliency', saliency],
];

describe('rank targets on the bundled model', () => {
  let model: VisionTransformer;
  let x: Tensor;
  const calls = { forward: 0, backward: 0 };

  beforeAll(async () => {
    model = loadModelDir(await gpuContext(), `${ASSETS}fmnist-vit`);
    x = imageBatch(model, ['1-trouser', '8-bag', '6-shirt'].map((n) => readImageFileSync(`${ASSETS}images/${n}.png`)));
    const forward = model.forward.bind(model);
    const backward = model.backward.bind(model);
    model.forward = (...a) => (calls.forward++, forward(...a));
    model.backward = (...a) => (calls.backward++, backward(...a));
  });
  afterAll(() => {
    x?.release();
    model?.dispose();
  });

  for (const [name, method] of METHODS) {
    it(`${name}: ['top2', 3] costs one forward and one backward, and equals the ranked classes explained as fixed classes`, async () => {
      const specs: ClassSpec[] = ['top2', 3];
      const ids = await resolveClasses(model, x, specs);
      calls.forward = calls.backward = 0;
      const top = await method(model, x, specs);
      expect(calls).toEqual({ forward: 1, backward: 1 });
      expect(top.classes).toEqual(ids);
      const fixed = await method(model, x, ids.map((perImage) => ({ perImage })));
      expect(top).toEqual(fixed);
    });
  }

  it('K beyond the number of classes is refused before anything runs', async () => {
    const C = model.config.numClasses;
    calls.forward = 0;
    await expect(cdam(model, x, `top${C + 1}`)).rejects.toMatchObject({ code: 'bad-class', message: `"top${C + 1}": K must be between 1 and ${C}` });
    await expect(resolveClasses(model, x, `top${C + 1}`)).rejects.toMatchObject({ code: 'bad-class', message: `"top${C + 1}": K must be between 1 and ${C}` });
    expect(calls.forward).toBe(0);
    const all = await cdam(model, x, `top${C}`);
    expect(all.classes!.map((row) => row[0]).sort((a, b) => a - b)).toEqual(Array.from({ length: C }, (_, i) => i));
  });

  it('NaN logits give InputError non-finite, the same as resolveClasses gives', async () => {
    // Poison one row of the classifier: that class's logit is NaN for every image.
    const head = model.param('head.weight').t;
    const D = model.config.embedDim;
    const saved = await head.read();
    const nan = model.ctx.upload(new Float32Array(D).fill(NaN));
    model.ctx.copy(nan, 0, head, 4 * D * 2, 4 * D);
    nan.release();
    try {
      const cpu = await resolveClasses(model, x, 'top').catch((e: unknown) => e);
      expect(cpu).toBeInstanceOf(InputError);
      expect(cpu).toMatchObject({ code: 'non-finite' });
      for (const [name, method] of METHODS) {
        const gpu = await method(model, x, ['top', 1]).catch((e: unknown) => e);
        expect(gpu, name).toBeInstanceOf(InputError);
        expect(gpu, name).toMatchObject({ code: 'non-finite', message: (cpu as Error).message });
      }
      // Fixed classes are still explained (their maps may be NaN: nothing is ranked).
      await expect(cdam(model, x, 1)).resolves.toMatchObject({ classes: [[1, 1, 1]] });
    } finally {
      const fix = model.ctx.upload(saved);
      model.ctx.copy(fix, 0, head, 0, saved.byteLength);
      fix.release();
    }
  });
});
