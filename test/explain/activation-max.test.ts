/**
 * Activation maximisation runs (a few steps on the cheapest golden model), returns a finite
 * image of the model's input size, and releases every tensor it allocated.
 */
import { describe, expect, it } from 'vitest';
import { activationMaximization } from '../../src/explain/activation-max.js';
import { loadModelDir } from '../../src/node/load.js';
import { smallestGoldenCase } from '../helpers/golden.js';
import { gpuContext } from '../helpers/gpu.js';

const g = smallestGoldenCase()!;

describe(`activation maximisation (${g?.name})`, () => {
  it('returns a finite image and leaves the pool as it found it', async () => {
    const ctx = await gpuContext();
    using model = loadModelDir(ctx, g.dir);
    const [C, H, W] = model.config.pretrained.inputSize;
    const units = [{ kind: 'class', classId: 0 }, { kind: 'channel', layer: model.config.depth - 1, channel: 1 }] as const;
    await activationMaximization(model, units[0], { steps: 1 }); // caches the position embedding
    const base = ctx.stats().pool.inUse;
    for (const unit of units) {
      const r = await activationMaximization(model, unit, { steps: 4, blurEvery: 2 });
      expect(r.input.length).toBe(C * H * W);
      expect(r.input.every(Number.isFinite)).toBe(true);
      expect(Number.isFinite(r.before) && Number.isFinite(r.after)).toBe(true);
      expect(ctx.stats().pool.inUse).toBe(base);
    }
  });
});
