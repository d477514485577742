/**
 * The `probs` tap (the softmax op, added by following docs/design.md's recipe): it equals the
 * softmax of the logits, and a backward entering at `probs` with one-hot rows equals the
 * probability target's backward (which enters at the logits through its own seed kernel) — two
 * independent paths to d prob_k / d input. Consistency checks on the cheapest golden model.
 */
import { describe, expect, it } from 'vitest';
import { gradients } from '../../src/model/gradients.js';
import { probTarget } from '../../src/model/targets.js';
import { loadModelDir } from '../../src/node/load.js';
import { relToMax } from '../helpers/compare.js';
import { softmaxCpu } from '../helpers/cpu-ops.js';
import { smallestGoldenCase } from '../helpers/golden.js';
import { gpuContext } from '../helpers/gpu.js';

const g = smallestGoldenCase()!;

describe(`probs tap (${g?.name})`, () => {
  it('is the softmax of the logits, and its gradient equals the probability target', async () => {
    const ctx = await gpuContext();
    using model = loadModelDir(ctx, g.dir);
    const [B] = g.shape('input');
    const C = model.config.numClasses;
    using x = ctx.upload(g.f32('input'), g.shape('input'));
    {
      using fwd = model.forward(x, { taps: ['probs'] });
      const logits = await fwd.logits!.read();
      const probs = await fwd.taps.get('probs')!.read();
      expect(relToMax(probs, softmaxCpu(Float64Array.from(logits), C))).toBeLessThan(1e-5);
    }
    const classes = Array.from({ length: B }, (_, b) => (b * 3) % C);
    using viaTarget = gradients(model, x, [probTarget(classes)], { grads: ['input'] });
    const expected = await viaTarget.grads.get('input')!.read();
    using fwd = model.forward(x, { record: true });
    const oneHot = new Float32Array(B * C);
    classes.forEach((k, b) => (oneHot[b * C + k] = 1));
    const bw = model.backward(fwd, { at: 'probs', grad: ctx.upload(oneHot, [B, C]), T: 1 }, ['input']);
    using got = bw.grads.get('input')!;
    expect(relToMax(await got.read(), expected)).toBeLessThan(1e-4);
  });
});
