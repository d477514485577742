/**
 * Properties the methods must have whatever the model: rollout rows are probability vectors,
 * the integrated-gradients completeness gap shrinks with the number of steps, batched token
 * ablation equals one-at-a-time ablation, multi-target CDAM equals CDAM per target, and batches
 * give the same maps as single images. Run on the bundled trained model (real attention).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenAblation } from '../../src/explain/ablation.js';
import { cdam } from '../../src/explain/cdam.js';
import { gradientRollout } from '../../src/explain/grad-rollout.js';
import { chainClsRow, discardAndNormalize } from '../../src/explain/rollout.js';
import { integratedGradients } from '../../src/explain/saliency.js';
import { fuseHeads } from '../../src/kernels/explain/fuse-heads.js';
import type { Tensor } from '../../src/gpu/tensor.js';
import { imageBatch } from '../../src/model/input.js';
import type { VisionTransformer } from '../../src/model/vit.js';
import { readImageFileSync } from '../../src/io/decode-node.js';
import { loadModelDir } from '../../src/node/load.js';
import { maxAbs, maxAbsDiff } from '../helpers/compare.js';
import { gpuContext } from '../helpers/gpu.js';

const ASSETS = new URL('../../assets/', import.meta.url).pathname;

describe('explanation axioms (bundled Fashion-MNIST ViT)', () => {
  let model: VisionTransformer;
  let x: Tensor;

  beforeAll(async () => {
    model = loadModelDir(await gpuContext(), `${ASSETS}fmnist-vit`);
    x = imageBatch(model, ['0-t-shirt-top', '7-sneaker', '8-bag'].map((n) => readImageFileSync(`${ASSETS}images/${n}.png`)));
  });
  afterAll(() => {
    x?.release();
    model?.dispose();
  });

  it('row-normalised rollout: the CLS row of the product sums to 1, with and without discard', async () => {
    const fwd = model.forward(x, { taps: ['attn.*'] });
    const { B, N } = fwd;
    for (const discardRatio of [0, 0.5, 0.9]) {
      const fused = model.ctx.empty([B, N, N]);
      const row = chainClsRow(model, B, N, (l, out) => {
        fuseHeads(model.ctx, { attn: fwd.taps.get(`attn.${l}`)!, out: fused, B, H: model.config.numHeads, N, fusion: 'max' });
        discardAndNormalize(model, fused, out, B, N, discardRatio, true, 'rows');
      }, 'product');
      const v = await row.read();
      row.release();
      fused.release();
      for (let b = 0; b < B; b++) {
        const sum = v.subarray(b * N, (b + 1) * N).reduce((a, c) => a + c, 0);
        expect(Math.abs(sum - 1), `discard ${discardRatio}, image ${b}`).toBeLessThan(1e-5);
        expect(Math.min(...v.subarray(b * N, (b + 1) * N))).toBeGreaterThanOrEqual(0);
      }
    }
    fwd.release();
  });

  it('integrated gradients: the completeness gap shrinks as steps grow', async () => {
    const gaps: number[] = [];
    for (const steps of [4, 16, 64]) {
      const ig = await integratedGradients(model, x, 'top', { steps });
      gaps.push(Math.max(...ig.completenessGap!.flat().map(Math.abs)));
    }
    expect(gaps[1]).toBeLessThan(gaps[0]);
    expect(gaps[2]).toBeLessThan(gaps[1]);
    // Gauss-Legendre integrates the smooth path almost exactly.
    const gl = await integratedGradients(model, x, 'top', { steps: 64, method: 'gausslegendre' });
    expect(Math.max(...gl.completenessGap!.flat().map(Math.abs))).toBeLessThan(1e-3);
  });

  it('token ablation batched equals one token at a time', async () => {
    const batched = await tokenAblation(model, x, 'top');
    const single = await tokenAblation(model, x, 'top', { chunk: 1, patches: [0, 7, 24, 48] });
    for (let b = 0; b < 3; b++) {
      for (const p of [0, 7, 24, 48]) expect(Math.abs(batched.maps[0][b][p] - single.maps[0][b][p])).toBeLessThan(1e-4);
    }
  });

  it('CDAM with all targets at once equals CDAM per target', async () => {
    const targets = [0, 3, 9];
    const all = await cdam(model, x, targets);
    for (let t = 0; t < targets.length; t++) {
      const one = await cdam(model, x, targets[t]);
      for (let b = 0; b < 3; b++) {
        expect(maxAbsDiff(all.maps[t][b], one.maps[0][b]).max).toBeLessThanOrEqual(1e-5 * Math.max(1, maxAbs(one.maps[0][b])));
      }
    }
  });

  it('a batch gives the same maps as each image alone', async () => {
    const batch = await gradientRollout(model, x, 'top', { discardRatio: 0.5 });
    for (const [b, name] of ['0-t-shirt-top', '7-sneaker', '8-bag'].entries()) {
      const one = imageBatch(model, [readImageFileSync(`${ASSETS}images/${name}.png`)]);
      const m = await gradientRollout(model, one, 'top', { discardRatio: 0.5 });
      one.release();
      expect(maxAbsDiff(batch.maps[0][b], m.maps[0][0]).max).toBeLessThan(1e-4);
    }
  });
});
