/**
 * A converted folder loads into a VisionTransformer (WebGPU): its parameters on the GPU are
 * torch's tensors, and its forward equals that of a model built from torch's expected tensors.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context.js';
import { serializeSafetensors, type TensorToWrite } from '../../src/io/safetensors.js';
import { configFromHub } from '../../src/model/config.js';
import { loadModelFromConfig } from '../../src/model/load.js';
import { convertCheckpointFile } from '../../src/node/convert.js';
import { loadModelDir } from '../../src/node/load.js';
import { expectedTensors, fixturePath } from '../helpers/checkpoints.js';
import { gpuContext, randomArray, seededRandom } from '../helpers/gpu.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await gpuContext();
});

const cases: [string, string][] = [
  ['timm_tiny.pth', 'timm_tiny'],
  ['dino_tiny.pth', 'dino_tiny'],
  ['dinov2_tiny.pth', 'dinov2_tiny'],
];

describe.each(cases)('%s converted and loaded on the GPU', (file, expectedName) => {
  const out = mkdtempSync(join(tmpdir(), 'vitlens-convert-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('its parameters are torch\'s tensors and its forward matches', async () => {
    convertCheckpointFile(fixturePath(file), out, { numHeads: 2 });
    const model = loadModelDir(ctx, out);
    const expected = expectedTensors(expectedName);
    for (const [name, exp] of expected) {
      if (['cls_token', 'pos_embed', 'reg_token'].includes(name)) continue; // not GPU params (checked by the forward below)
      expect(Array.from(await model.param(name).t.read()), name).toEqual(Array.from(exp.data));
    }
    // The same config with torch's own tensors gives the same outputs.
    const tensors: Record<string, TensorToWrite> = {};
    for (const [name, exp] of expected) tensors[name] = { dtype: 'F32', shape: exp.shape, data: exp.data };
    const config = configFromHub(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')));
    const reference = loadModelFromConfig(ctx, config, serializeSafetensors(tensors));
    const x = ctx.upload(randomArray(2 * 3 * 8 * 8, seededRandom(3)), [2, 3, 8, 8]);
    const a = model.forward(x);
    const b = reference.forward(x);
    expect(Array.from(await a.latent.read())).toEqual(Array.from(await b.latent.read()));
    if (config.numClasses > 0) expect(Array.from(await a.logits!.read())).toEqual(Array.from(await b.logits!.read()));
    else expect(a.logits).toBeNull();
    a.release();
    b.release();
    x.release();
    model.dispose();
    reference.dispose();
  });
});
