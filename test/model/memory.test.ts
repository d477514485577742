/**
 * Resource release: 1,000 consecutive forward+backward passes on the smallest golden model leave
 * the buffer pool and the number of live GPU buffers flat after the first pass, and disposing
 * the results returns every buffer to the pool.
 */
import { describe, expect, it } from 'vitest';
import { gradients } from '../../src/model/gradients.js';
import { classTarget } from '../../src/model/targets.js';
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
});
