/**
 * The real trained model: ../shared/models/fmnist-vit loads as a timm hub folder, and its logits
 * on the 5,000 held-out images (preprocessed by vitlens from the raw uint8 pixels with the
 * model's own pretrained_cfg) reproduce timm's stored logits within 1e-4, and their accuracy.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSafetensors, toFloat32, toIntArray } from '../../src/io/safetensors.js';
import { imageBatch } from '../../src/model/input.js';
import { loadModelDir } from '../../src/node/load.js';
import { maxAbsDiff } from '../helpers/compare.js';
import { gpuContext } from '../helpers/gpu.js';
import { FMNIST_MODEL, FMNIST_TEST, haveFmnist } from '../helpers/shared.js';

describe.runIf(haveFmnist)('fmnist-vit (real trained model)', () => {
  it('reproduces timm logits on all held-out images, and their accuracy', async () => {
    const ctx = await gpuContext();
    const model = loadModelDir(ctx, FMNIST_MODEL);
    const data = parseSafetensors(new Uint8Array(readFileSync(FMNIST_TEST)), FMNIST_TEST);
    const images = data.tensors.get('images')!;
    const [n, h, w] = images.shape;
    const labels = toIntArray(data.tensors.get('labels')!);
    const expected = toFloat32(data.tensors.get('logits')!);
    const C = model.config.numClasses;
    let worst = 0;
    let correct = 0;
    let refCorrect = 0;
    const chunk = 1000;
    for (let s = 0; s < n; s += chunk) {
      const count = Math.min(chunk, n - s);
      const raw = Array.from({ length: count }, (_, i) => ({ data: images.bytes.subarray((s + i) * h * w, (s + i + 1) * h * w), width: w, height: h, channels: 1 }));
      const x = imageBatch(model, raw);
      const r = model.forward(x);
      const logits = await r.logits!.read();
      r.release();
      x.release();
      worst = Math.max(worst, maxAbsDiff(logits, expected.subarray(s * C, (s + count) * C)).max);
      for (let i = 0; i < count; i++) {
        const argmax = (a: ArrayLike<number>, o: number) => {
          let best = 0;
          for (let c = 1; c < C; c++) if (a[o + c] > a[o + best]) best = c;
          return best;
        };
        if (argmax(logits, i * C) === labels[s + i]) correct++;
        if (argmax(expected, (s + i) * C) === labels[s + i]) refCorrect++;
      }
    }
    model.dispose();
    console.log(`[parity] fmnist-vit: ${n} images, logits max abs error ${worst.toExponential(2)}, accuracy ${correct / n} (timm ${refCorrect / n})`);
    expect(worst).toBeLessThanOrEqual(1e-4);
    expect(correct).toBe(refCorrect);
    const cfg = JSON.parse(readFileSync(`${FMNIST_MODEL}/config.json`, 'utf8'));
    expect(correct / n).toBeCloseTo(cfg.training.test_accuracy, 3);
  });
});
