/**
 * Resource release: 1,000 consecutive forward+backward passes on the smallest golden model leave
 * the buffer pool and the number of live GPU buffers flat after the first pass, and disposing
 * the results returns every buffer to the pool. Requests that are refused part-way (bad class,
 * unknown tap, wrong output gradient) and scopes left by an exception release what they held.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { gradients } from '../../src/model/gradients.js';
import { classTarget, conceptTarget } from '../../src/model/targets.js';
import { UnknownTapError } from '../../src/model/taps.js';
import { loadModelDir } from '../../src/node/load.js';
import { smallestGoldenCase } from '../helpers/golden.js';
import { gpuContext } from '../helpers/gpu.js';

const g = smallestGoldenCase()!;

describe(`memory (${g?.name})`, () => {
  it('1000 forward+backward passes keep the pool and live buffers flat', async () => {
    const ctx = await gpuContext();
    const model = loadModelDir(ctx, g.dir);
    const L = model.config.depth;
    const x = ctx.upload(g.f32('input'), g.shape('input'));
    const step = async () => {
      const r = gradients(model, x, [classTarget(0), classTarget(1)], { taps: ['attn.*'], grads: ['attn.*', `tokens.${L - 1}`, 'input'] });
      await r.grads.get('input')!.read();
      r.release();
    };
    await step();
    const before = ctx.stats().pool;
    for (let i = 0; i < 999; i++) await step();
    const after = ctx.stats().pool;
    expect(after.created).toBe(before.created);
    expect(after.live).toBe(before.live);
    expect(after.bytes).toBe(before.bytes);
    x.release();
    model.dispose();
    expect(ctx.stats().pool.inUse).toBe(0);
  });

  it('refused requests and scopes left by an exception release everything they held', async () => {
    const ctx = await gpuContext();
    const model = loadModelDir(ctx, g.dir);
    const x = ctx.upload(g.f32('input'), g.shape('input'));
    const B = x.shape[0];
    const inUse = (c: GpuContext) => c.stats().pool.inUse;
    model.forward(x).release(); // caches the position embedding of this grid
    const base = inUse(ctx);
    const refusals: [string, () => unknown, abstract new (...a: never[]) => Error][] = [
      ['class id out of range', () => gradients(model, x, [classTarget(model.config.numClasses)], { grads: ['input'] }), InputError],
      ['unknown gradient tap', () => gradients(model, x, [classTarget(0)], { grads: ['tokens.99'] }), UnknownTapError],
      ['unknown forward tap', () => gradients(model, x, [classTarget(0)], { taps: ['scores.0'], grads: ['input'] }), UnknownTapError],
      ['NaN concept vector', () => gradients(model, x, [conceptTarget(new Float32Array(model.config.embedDim).fill(NaN))], { grads: ['input'] }), InputError],
      ['weight gradients for two targets', () => gradients(model, x, [classTarget(0), classTarget(1)], { grads: ['input'], weightGrads: true }), InputError],
      [
        'output gradient of the wrong size',
        () => {
          using fwd = model.forward(x, { record: true });
          return model.backward(fwd, { at: 'logits', grad: ctx.empty([B + 1, model.config.numClasses]), T: 1 }, ['input']);
        },
        InputError,
      ],
      [
        'an exception inside a using scope',
        () => {
          using fwd = model.forward(x, { taps: ['attn.*'] });
          using extra = ctx.empty([4, 4]);
          throw new InputError('test', `leaving the scope of ${fwd.taps.size} taps and ${extra.size} values`);
        },
        InputError,
      ],
    ];
    for (const [what, f, type] of refusals) {
      expect(f, what).toThrow(type as never);
      await ctx.sync();
      expect(inUse(ctx), what).toBe(base);
    }
    // A result released twice (release() then the end of a using scope) is not an error.
    {
      using r = gradients(model, x, [classTarget(0)], { grads: ['input'] });
      r.release();
    }
    expect(inUse(ctx)).toBe(base);
    x.release();
    model.dispose();
  });
});
