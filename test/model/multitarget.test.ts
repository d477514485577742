/**
 * Multi-target backward: T targets in one backward equal T separate backwards (classes, logit
 * vectors, softmax probabilities, concepts), and the softmax-probability seed equals the chain
 * rule through the logit gradients. These are consistency checks, not reference comparisons, so
 * they run on the cheapest golden model.
 */
import { describe, expect, it } from 'vitest';
import { gradients } from '../../src/model/gradients.js';
import { classTarget, conceptTarget, probTarget, type Target } from '../../src/model/targets.js';
import { loadModelDir } from '../../src/node/load.js';
import { relToMax } from '../helpers/compare.js';
import { smallestGoldenCase } from '../helpers/golden.js';
import { gpuContext, randomArray, seededRandom } from '../helpers/gpu.js';

const g = smallestGoldenCase()!;

describe(`multi-target backward (${g?.name})`, () => {
  it('T targets at once equal T single-target backwards', async () => {
    const ctx = await gpuContext();
    const model = loadModelDir(ctx, g.dir);
    const [B] = g.shape('input');
    const C = model.config.numClasses;
    const L = model.config.depth;
    const x = ctx.upload(g.f32('input'), g.shape('input'));
    const rand = seededRandom(3);
    const targets: Target[] = [
      classTarget(Array.from({ length: B }, () => Math.floor(rand() * C))),
      classTarget(C - 1),
      { kind: 'logits', vector: randomArray(B * C, rand) },
    ];
    const taps = ['attn.0', `attn.${L - 1}`, `tokens.${L - 1}`, 'input'];
    const all = gradients(model, x, targets, { grads: taps });
    for (let t = 0; t < targets.length; t++) {
      const one = gradients(model, x, [targets[t]], { grads: taps });
      for (const name of taps) {
        const batched = await all.grads.get(name)!.read();
        const single = await one.grads.get(name)!.read();
        const per = single.length;
        expect(relToMax(batched.subarray(t * per, (t + 1) * per), single), `${name}, target ${t}`).toBeLessThanOrEqual(1e-5);
      }
      one.release();
    }
    all.release();
    x.release();
    model.dispose();
  });

  it('probability and concept targets batch the same way', async () => {
    const ctx = await gpuContext();
    const model = loadModelDir(ctx, g.dir);
    const [B] = g.shape('input');
    const L = model.config.depth;
    const x = ctx.upload(g.f32('input'), g.shape('input'));
    const tap = [`tokens.${L - 1}`];
    const rand = seededRandom(5);
    for (const targets of [
      [probTarget(0), probTarget(Array.from({ length: B }, (_, b) => b % model.config.numClasses))],
      [conceptTarget(randomArray(model.config.embedDim, rand)), conceptTarget(randomArray(B * model.config.embedDim, rand))],
    ]) {
      const all = gradients(model, x, targets, { grads: tap });
      const batched = await all.grads.get(tap[0])!.read();
      for (let t = 0; t < targets.length; t++) {
        const one = gradients(model, x, [targets[t]], { grads: tap });
        const single = await one.grads.get(tap[0])!.read();
        expect(relToMax(batched.subarray(t * single.length, (t + 1) * single.length), single)).toBeLessThanOrEqual(1e-5);
        one.release();
      }
      all.release();
    }
    x.release();
    model.dispose();
  });

  it('softmax-probability seed = chain rule through the logit gradients', async () => {
    const ctx = await gpuContext();
    const model = loadModelDir(ctx, g.dir);
    const [B] = g.shape('input');
    const C = model.config.numClasses;
    const x = ctx.upload(g.f32('input'), g.shape('input'));
    const k = 1;
    const viaProb = gradients(model, x, [probTarget(k)], { grads: ['input'] });
    const logits = await viaProb.forward.logits!.read();
    // d p_k / d x = sum_c p_k (delta_kc - p_c) d logit_c / d x, with the vector target doing the sum.
    const vec = new Float32Array(B * C);
    for (let b = 0; b < B; b++) {
      const row = Array.from(logits.subarray(b * C, (b + 1) * C));
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const s = e.reduce((a, c) => a + c, 0);
      const p = e.map((v) => v / s);
      for (let c = 0; c < C; c++) vec[b * C + c] = p[k] * ((c === k ? 1 : 0) - p[c]);
    }
    const viaVec = gradients(model, x, [{ kind: 'logits', vector: vec }], { grads: ['input'] });
    expect(relToMax(await viaProb.grads.get('input')!.read(), await viaVec.grads.get('input')!.read())).toBeLessThanOrEqual(1e-4);
    viaProb.release();
    viaVec.release();
    x.release();
    model.dispose();
  });
});
