/**
 * Explanation sessions (src/explain/session.ts): every derivable method gives the registry's
 * result bit for bit (same kernels on the same tensors), on the bundled model and on the micro
 * golden case; a method switch runs no forward or backward, a new class one backward; disposing
 * returns every buffer to the pool, also after refused requests and with a request in flight.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { clsAttention } from '../../src/explain/attention.js';
import { METHODS, methodByName } from '../../src/explain/registry.js';
import { derivableMethods, explainSession } from '../../src/explain/session.js';
import type { ClassSpec } from '../../src/explain/class-specs.js';
import type { Tensor } from '../../src/gpu/tensor.js';
import { readImageFileSync } from '../../src/io/decode-node.js';
import { imageBatch } from '../../src/model/input.js';
import { logitsOf } from '../../src/model/predict.js';
import type { VisionTransformer } from '../../src/model/vit.js';
import { loadModelDir } from '../../src/node/load.js';
import { loadGoldenCase } from '../helpers/golden.js';
import { gpuContext } from '../helpers/gpu.js';

const ASSETS = new URL('../../assets/', import.meta.url).pathname;

async function registryRun(model: VisionTransformer, images: Tensor, name: string, targets: ClassSpec | readonly ClassSpec[]) {
  return methodByName(name)!.run({ model, images, targets });
}

it('the derivable methods are the registry methods that need no extra forwards', () => {
  expect(derivableMethods()).toEqual(['attention', 'rollout', 'rollout-max', 'rollout-abnar', 'flow', 'grad-rollout', 'relevance', 'cdam', 'gradcam', 'saliency', 'grad-x-input']);
  expect(METHODS.filter((m) => !m.derive).map((m) => m.name)).toEqual(['tam', 'occlusion', 'ig', 'smoothgrad']);
});

describe('explanation session on the bundled model', () => {
  let model: VisionTransformer;
  let x: Tensor;

  beforeAll(async () => {
    model = loadModelDir(await gpuContext(), `${ASSETS}fmnist-vit`);
    x = imageBatch(model, ['1-trouser', '8-bag'].map((n) => readImageFileSync(`${ASSETS}images/${n}.png`)));
  });
  afterAll(() => {
    x?.release();
    model?.dispose();
  });

  it('every derivable method equals the registry bit for bit; a switch runs no forward or backward', async () => {
    using s = explainSession(model, x);
    const targets: ClassSpec[] = ['top', 3];
    for (const name of derivableMethods()) {
      const before = s.stats;
      const got = await s.explain(name, targets);
      expect(got, name).toEqual(await registryRun(model, x, name, targets));
      if (name !== derivableMethods()[0] && name !== 'grad-rollout') expect(s.stats, `${name} after the first request of its kind`).toEqual(before);
    }
    // One kept forward, one recorded forward + backward for both classes, nothing delegated.
    expect(s.stats).toEqual({ forwards: 2, backwards: 1, delegated: 0, evicted: 0 });
  });

  it('logits() are the kept forward\'s: equal to logitsOf, no forward of their own', async () => {
    using s = explainSession(model, x);
    await s.explain('rollout');
    const got = await s.logits();
    expect(s.stats).toEqual({ forwards: 1, backwards: 0, delegated: 0, evicted: 0 });
    expect(Array.from(got)).toEqual(Array.from((await logitsOf(model, x)).flatMap((row) => Array.from(row))));
  });

  it('clsAttention() is the kept forward\'s: equal to clsAttention, no forward of its own', async () => {
    using s = explainSession(model, x);
    await s.logits();
    const got = await s.clsAttention();
    expect(s.stats).toEqual({ forwards: 1, backwards: 0, delegated: 0, evicted: 0 });
    expect(got).toEqual(await clsAttention(model, x));
  });

  it('a new class costs one backward; classes asked together share it; rows from several backwards combine exactly', async () => {
    using s = explainSession(model, x);
    await s.explain('cdam', 3);
    expect(s.stats).toEqual({ forwards: 2, backwards: 1, delegated: 0, evicted: 0 });
    await s.explain('relevance', 3);
    await s.explain('rollout');
    expect(s.stats).toEqual({ forwards: 2, backwards: 1, delegated: 0, evicted: 0 });
    await s.explain('gradcam', [5, 7, 3]);
    expect(s.stats).toEqual({ forwards: 3, backwards: 2, delegated: 0, evicted: 0 });
    // Rows 7 and 3 come from different backwards: copied together, same numbers as one backward.
    for (const name of ['grad-rollout', 'relevance', 'cdam', 'gradcam', 'saliency', 'grad-x-input']) {
      expect(await s.explain(name, [7, 3]), name).toEqual(await registryRun(model, x, name, [7, 3]));
    }
    expect(await s.explain('cdam', { perImage: [3, 5] })).toEqual(await registryRun(model, x, 'cdam', { perImage: [3, 5] }));
    expect(s.stats).toEqual({ forwards: 4, backwards: 3, delegated: 0, evicted: 0 });
  });

  it('keeps gradients within its byte budget: least recently used first, never those a request reads', async () => {
    // Budget 0: only the gradients the running requests read survive a request.
    using s = explainSession(model, x, { keptGradientBytes: 0 });
    expect(await s.explain('cdam', 3)).toEqual(await registryRun(model, x, 'cdam', 3));
    await s.explain('gradcam', 5);
    expect(s.stats).toEqual({ forwards: 3, backwards: 2, delegated: 0, evicted: 1 });
    expect(await s.explain('cdam', 3)).toEqual(await registryRun(model, x, 'cdam', 3)); // asked again: a backward again
    expect(s.stats).toEqual({ forwards: 4, backwards: 3, delegated: 0, evicted: 2 });
    // Requests running together keep each other's gradients.
    const [a, b] = await Promise.all([s.explain('saliency', 7), s.explain('grad-x-input', 1)]);
    expect(a).toEqual(await registryRun(model, x, 'saliency', 7));
    expect(b).toEqual(await registryRun(model, x, 'grad-x-input', 1));
    // A budget that holds everything evicts nothing.
    using roomy = explainSession(model, x, { keptGradientBytes: 2 ** 40 });
    for (const c of [3, 5, 7, 3, 5]) await roomy.explain('gradcam', c);
    expect(roomy.stats).toEqual({ forwards: 4, backwards: 3, delegated: 0, evicted: 0 });
    expect(() => explainSession(model, x, { keptGradientBytes: -1 })).toThrow(/keptGradientBytes/);
  });
});

describe('explanation session on the micro golden case', () => {
  const g = loadGoldenCase('micro');
  let model: VisionTransformer;
  let x: Tensor;

  beforeAll(async () => {
    model = loadModelDir(await gpuContext(), g.dir);
    x = model.ctx.upload(g.f32('input'), g.shape('input'));
  });
  afterAll(() => {
    x?.release();
    model?.dispose();
  });

  it('every derivable method equals the registry bit for bit; others are delegated', async () => {
    using s = explainSession(model, x);
    for (const name of derivableMethods()) expect(await s.explain(name, ['top2']), name).toEqual(await registryRun(model, x, name, ['top2']));
    expect(s.stats).toEqual({ forwards: 2, backwards: 1, delegated: 0, evicted: 0 });
    expect(await s.explain('occlusion', 0)).toEqual(await registryRun(model, x, 'occlusion', 0));
    expect(s.stats).toEqual({ forwards: 2, backwards: 1, delegated: 1, evicted: 0 });
  });

  it('dispose returns every buffer to the pool, after refused requests and with a request in flight', async () => {
    const { ctx } = model;
    model.forward(x).release(); // caches the position embedding of this grid
    await ctx.sync();
    const base = ctx.stats().pool.inUse;

    const s = explainSession(model, x);
    await s.explain('relevance', 0);
    await expect(s.explain('cdam', model.config.numClasses)).rejects.toThrow(InputError);
    await expect(s.explain('no-such-method')).rejects.toThrow(/unknown method/);
    await expect(s.explain('gradcam', [{ perImage: [0] }])).rejects.toThrow(InputError);
    await s.explain('cdam', [1, 0]); // rows gathered from two backwards
    expect(ctx.stats().pool.inUse).toBeGreaterThan(base);
    s.dispose();
    s.dispose();
    await ctx.sync();
    expect(ctx.stats().pool.inUse).toBe(base);
    await expect(s.explain('rollout')).rejects.toThrow(/disposed/);

    // Disposed while a request runs: the request finishes or stops with 'disposed', then everything is released.
    const t = explainSession(model, x);
    const pending = t.explain('grad-x-input', 1);
    t.dispose();
    await pending.then((r) => expect(r.maps.length).toBe(1), (e) => expect(e).toBeInstanceOf(InputError));
    await ctx.sync();
    expect(ctx.stats().pool.inUse).toBe(base);
  });
});

describe('explanation session on a model without class token', () => {
  const g = loadGoldenCase('gap_noprefix');
  let model: VisionTransformer;
  let x: Tensor;

  beforeAll(async () => {
    model = loadModelDir(await gpuContext(), g.dir);
    x = model.ctx.upload(g.f32('input'), g.shape('input'));
  });
  afterAll(() => {
    x?.release();
    model?.dispose();
  });

  it('refuses class-token methods as the registry does, and derives the others', async () => {
    using s = explainSession(model, x);
    for (const name of ['attention', 'rollout', 'flow', 'grad-rollout', 'relevance']) {
      await expect(s.explain(name, 0), name).rejects.toMatchObject({ code: 'no-class-token' });
      await expect(registryRun(model, x, name, 0), name).rejects.toMatchObject({ code: 'no-class-token' });
    }
    await expect(s.clsAttention()).rejects.toMatchObject({ code: 'no-class-token' });
    for (const name of ['cdam', 'gradcam', 'saliency']) expect(await s.explain(name, 0), name).toEqual(await registryRun(model, x, name, 0));
    expect(s.stats).toEqual({ forwards: 2, backwards: 1, delegated: 0, evicted: 0 });
  });
});
