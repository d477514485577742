/**
 * The evaluation experiments on the bundled Fashion-MNIST model (assets/fmnist-vit) and images:
 * deletion ranks an oracle map above its reverse, the parameter-randomisation check tells a
 * gradient method's map on a randomised model from the original (which reproduces itself),
 * FGSM with an empty mask leaves the image untouched and batched attacks equal single ones, and
 * a streamed evaluation of many batches leaves the GPU buffer pool flat.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deletionInsertion, greedyDeletionMaps } from '../../src/explain/evaluate/deletion.js';
import { fgsmInsideOutside, maskedFgsm, regionMask, runnerUpClasses } from '../../src/explain/evaluate/fgsm.js';
import { Evaluation } from '../../src/explain/evaluate/run.js';
import { methodByName } from '../../src/explain/registry.js';
import { parseSafetensors } from '../../src/io/safetensors.js';
import { imageBatch } from '../../src/model/input.js';
import type { Tensor } from '../../src/gpu/tensor.js';
import { VisionTransformer } from '../../src/model/vit.js';
import { checkWeights } from '../../src/model/weights.js';
import { openImageSource } from '../../src/node/dataset.js';
import { readHubConfig } from '../../src/node/load.js';
import { gpuContext } from '../helpers/gpu.js';

const MODEL = join(__dirname, '../../assets/fmnist-vit');
const IMAGES = join(__dirname, '../../assets/images');

async function setup(n: number) {
  const ctx = await gpuContext();
  const config = readHubConfig(MODEL);
  const weights = checkWeights(config, parseSafetensors(new Uint8Array(readFileSync(join(MODEL, 'model.safetensors')))), 'model.safetensors');
  const model = VisionTransformer.fromWeights(ctx, config, weights);
  const raw = openImageSource(IMAGES, { limit: n }).batches(n).next().value!.images;
  const x = imageBatch(model, raw);
  return { ctx, model, weights, x };
}

async function predicted(model: VisionTransformer, x: Tensor): Promise<number[]> {
  const r = model.forward(x);
  const logits = await r.logits!.read();
  r.release();
  const K = model.config.numClasses;
  return Array.from({ length: x.shape[0] }, (_, b) => {
    let best = 0;
    for (let c = 1; c < K; c++) if (logits[b * K + c] > logits[b * K + best]) best = c;
    return best;
  });
}

describe('evaluation on the bundled fmnist model', () => {
  it('deletion: a perfect (greedy) oracle map has a lower AUC than its reverse', async () => {
    const { model, x } = await setup(2);
    const classes = await predicted(model, x);
    const oracle = await greedyDeletionMaps(model, x, classes);
    const good = await deletionInsertion(model, x, oracle, classes, { steps: 7 });
    const bad = await deletionInsertion(model, x, oracle.map((m) => m.map((v) => -v)), classes, { steps: 7 });
    expect(good.fractions).toHaveLength(8);
    for (let b = 0; b < 2; b++) {
      expect(good.deletionAuc[b]).toBeLessThan(bad.deletionAuc[b]);
      // Both curves start at the intact image and end at the all-black one.
      expect(good.deletion[b][0]).toBeCloseTo(bad.deletion[b][0], 6);
      expect(good.deletion[b][7]).toBeCloseTo(good.insertion[b][0], 6);
      expect(good.insertion[b][7]).toBeCloseTo(good.deletion[b][0], 6);
    }
    const blur = await deletionInsertion(model, x, oracle, classes, { steps: 2, baseline: 'blur' });
    expect(blur.deletionAuc.every(Number.isFinite)).toBe(true);
    x.release();
    model.dispose();
  });

  it('sanity: cascading randomisation changes a gradient map; the original model reproduces it', async () => {
    const { model, weights, x } = await setup(4);
    const ev = new Evaluation(model, { methods: ['grad-x-input'], metrics: ['sanity'], weights, sanityImages: 4 });
    await ev.add({ images: x });
    const r = await ev.finish();
    const c = r.sanity!.cascading;
    expect(c.levels[0]).toBe('original');
    const m = c.methods['grad-x-input'];
    expect(m.spearman[0].count).toBe(4);
    expect(m.spearman[0].mean).toBeCloseTo(1, 9);
    expect(m.spearman[0].quantiles[0]).toBeCloseTo(1, 9);
    const allBlocks = c.levels.indexOf('head..block 0');
    expect(allBlocks).toBeGreaterThan(0);
    expect(m.spearman[allBlocks].mean).toBeLessThan(0.8);
    expect(m.spearmanAbs[allBlocks].mean).toBeLessThan(0.8);
    expect(r.sanity!.independent.levels).toEqual(['original', 'head', 'block 3', 'block 2', 'block 1', 'block 0', 'embedding']);
    x.release();
    model.dispose();
  });

  it('fgsm: an empty mask never changes the image; batched attacks equal single ones', async () => {
    const { ctx, model, x } = await setup(3);
    const targets = await runnerUpClasses(model, x);
    const P = 49;
    const r = await maskedFgsm(model, x, { imageOf: [0, 1, 2], targets, masks: new Float32Array(3 * P) }, { maxSteps: 4, keepImages: true });
    expect(r.steps).toEqual([5, 5, 5]);
    const before = await x.read();
    const after = await r.images!.read();
    expect(after.length).toBe(before.length);
    expect(after.every((v, i) => Object.is(v, before[i]))).toBe(true);
    r.images!.release();

    const maps = (await methodByName('saliency')!.run({ model, images: x, targets: 'top' })).maps[0];
    const together = await fgsmInsideOutside(model, x, maps, { maxSteps: 12, targets });
    for (let b = 0; b < 3; b++) {
      const alone = await maskedFgsm(model, x, { imageOf: [b], targets: [targets[b]], masks: regionMask(maps[b], 0.1) }, { maxSteps: 12 });
      expect(alone.steps[0]).toBe(together.inside[b]);
    }
    expect(together.outside.every((s) => s >= 0 && s <= 13)).toBe(true);
    expect(ctx.stats().pool.inUse).toBeGreaterThan(0);
    x.release();
    model.dispose();
  });

  it('memory: evaluating many batches keeps the buffer pool flat and releases everything', async () => {
    const { ctx, model, weights, x } = await setup(2);
    await predicted(model, x); // caches the position embedding
    const idle = ctx.stats().pool.inUse;
    const ev = new Evaluation(model, {
      methods: ['attention', 'saliency', 'random'], metrics: ['agreement', 'deletion', 'fgsm', 'sanity'], weights,
      deletionImages: Infinity, fgsmImages: Infinity, sanityImages: 2, deletionSteps: 4, fgsm: { maxSteps: 3 },
    });
    await ev.add({ images: x, labels: [0, 1] });
    const first = ctx.stats().pool;
    for (let i = 0; i < 5; i++) await ev.add({ images: x, labels: [0, 1] });
    const later = ctx.stats().pool;
    expect(later.created).toBe(first.created);
    expect(later.live).toBe(first.live);
    expect(later.inUse).toBe(first.inUse);
    const r = await ev.finish();
    expect(r.images).toBe(12);
    expect(r.sanity!.images).toBe(2);
    expect(r.deletion!.methods.attention.images).toBe(12);
    expect(ctx.stats().pool.inUse).toBe(idle);
    x.release();
    model.dispose();
  });
});
