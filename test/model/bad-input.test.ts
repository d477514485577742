/**
 * Bad input reaches the user as a typed error that names the problem: weights that do not fit,
 * unsupported architectures, broken configs, wrong image shapes, NaN, out-of-range classes.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, InputError, SafetensorsError, WeightsError } from '../../src/errors.js';
import { parseSafetensors, serializeSafetensors, toFloat32 } from '../../src/io/safetensors.js';
import { configFromHub, configFromName } from '../../src/model/config.js';
import { gradients } from '../../src/model/gradients.js';
import { inputTensor } from '../../src/model/input.js';
import { classTarget } from '../../src/model/targets.js';
import { checkWeights, checkWeightsAsync } from '../../src/model/weights.js';
import { TimeSlice } from '../../src/time-slice.js';
import { loadModelFromBytesAsync, loadModelFromConfig } from '../../src/model/load.js';
import { loadModelDir } from '../../src/node/load.js';
import { smallestGoldenCase } from '../helpers/golden.js';
import { gpuContext } from '../helpers/gpu.js';
import { thrown } from '../helpers/thrown.js';

const g = smallestGoldenCase()!;


describe('weights that do not fit the model', () => {
  const cfg = configFromHub(g.config);
  const file = parseSafetensors(new Uint8Array(readFileSync(join(g.dir, 'model.safetensors'))));

  it('lists every missing, unexpected and mis-shaped tensor in one WeightsError', () => {
    const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
    for (const [name, t] of file.tensors) {
      if (name === 'head.bias' || name === 'blocks.0.norm1.weight') continue;
      const data = toFloat32(t);
      tensors[name] = name === 'blocks.1.attn.qkv.weight'
        ? { dtype: 'F32', shape: [t.shape[0], t.shape[1] - 1], data: data.subarray(0, t.shape[0] * (t.shape[1] - 1)) }
        : { dtype: 'F32', shape: t.shape, data };
    }
    tensors['extra.weight'] = { dtype: 'F32', shape: [2], data: new Float32Array(2) };
    const broken = parseSafetensors(serializeSafetensors(tensors));
    const e = thrown(() => checkWeights(cfg, broken, 'broken.safetensors')) as WeightsError;
    expect(e).toBeInstanceOf(WeightsError);
    expect(e.missing.sort()).toEqual(['blocks.0.norm1.weight', 'head.bias']);
    expect(e.unexpected).toEqual(['extra.weight']);
    expect(e.mismatched.map((m) => m.name)).toEqual(['blocks.1.attn.qkv.weight']);
    expect(e.message).not.toContain('\n');
    expect(e.message).toMatch(/missing \(2\): .*; unexpected \(1\): extra\.weight; shape mismatch \(1\): blocks\.1\.attn\.qkv\.weight is/);
  });

  it('names a few of many missing tensors and counts the rest, on one line', () => {
    const one = parseSafetensors(serializeSafetensors({ 'norm.weight': { dtype: 'F32', shape: [2], data: new Float32Array(2) } }));
    const e = thrown(() => checkWeights(cfg, one, 'one.safetensors')) as WeightsError;
    expect(e.missing.length).toBeGreaterThan(10);
    expect(e.message).not.toContain('\n');
    expect(e.message).toContain(`missing (${e.missing.length}): ${e.missing.slice(0, 5).join(', ')} and ${e.missing.length - 5} more;`);
    expect(e.message).toContain('shape mismatch (1): norm.weight is [2]');
  });

  it('refuses weights with NaN', () => {
    const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
    for (const [name, t] of file.tensors) tensors[name] = { dtype: 'F32', shape: t.shape, data: toFloat32(t) };
    tensors['norm.weight'].data[3] = NaN;
    expect(() => checkWeights(cfg, parseSafetensors(serializeSafetensors(tensors)), 'nan.safetensors')).toThrow(/norm\.weight contains NaN/);
    // The yielding variant refuses it the same way (a zero budget yields before every tensor).
    return expect(checkWeightsAsync(cfg, parseSafetensors(serializeSafetensors(tensors)), 'nan.safetensors', new TimeSlice(0))).rejects.toThrow(/norm\.weight contains NaN/);
  });

  it('the yielding checkWeightsAsync gives the same weights and the same errors as checkWeights', async () => {
    const sync = checkWeights(cfg, file, 'model.safetensors');
    const yielded = await checkWeightsAsync(cfg, file, 'model.safetensors', new TimeSlice(0));
    expect([...yielded.keys()]).toEqual([...sync.keys()]);
    for (const [name, w] of sync) {
      expect(yielded.get(name)!.shape).toEqual(w.shape);
      expect(yielded.get(name)!.data).toEqual(w.data);
    }
    const one = parseSafetensors(serializeSafetensors({ 'norm.weight': { dtype: 'F32', shape: [2], data: new Float32Array(2) } }));
    const e = await checkWeightsAsync(cfg, one, 'one.safetensors').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WeightsError);
    expect((e as Error).message).toBe((thrown(() => checkWeights(cfg, one, 'one.safetensors')) as Error).message);
  });

  it('a truncated model file is a SafetensorsError naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitlens-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify(g.config));
    const bytes = readFileSync(join(g.dir, 'model.safetensors'));
    writeFileSync(join(dir, 'model.safetensors'), bytes.subarray(0, bytes.length - 100));
    return gpuContext().then(async (ctx) => {
      const e = thrown(() => loadModelDir(ctx, dir));
      expect(e).toBeInstanceOf(SafetensorsError);
      expect(e.message).toContain(join(dir, 'model.safetensors'));
      // The page's loader (yields while it decodes) refuses it the same way.
      await expect(loadModelFromBytesAsync(ctx, g.config, bytes.subarray(0, bytes.length - 100), { source: 'cut.safetensors' })).rejects.toThrow(SafetensorsError);
    });
  });

  it('a folder without weights or config says what is missing', async () => {
    const ctx = await gpuContext();
    const dir = mkdtempSync(join(tmpdir(), 'vitlens-'));
    expect(() => loadModelDir(ctx, join(dir, 'nope'))).toThrow(/does not exist/);
    expect(() => loadModelDir(ctx, dir)).toThrow(/has no config.json/);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(g.config));
    expect(() => loadModelDir(ctx, dir)).toThrow(/has no model.safetensors/);
    writeFileSync(join(dir, 'config.json'), '{"architecture": ');
    expect(() => loadModelDir(ctx, dir)).toThrow(ConfigError);
  });
});

describe('configurations vitlens cannot build', () => {
  const code = (f: () => unknown) => (thrown(f) as ConfigError).code;
  it('unknown architecture without model_args', () => {
    expect(code(() => configFromHub({ architecture: 'resnet50', num_classes: 1000 }))).toBe('unsupported-architecture');
    expect(code(() => configFromName('swin_tiny_patch4_window7_224'))).toBe('unsupported-architecture');
  });
  it('unsupported timm options are refused, not ignored', () => {
    for (const args of [{ qk_norm: true }, { global_pool: 'map' }, { mlp_layer: 'SwiGLUPacked' }, { class_token: false }]) {
      expect(thrown(() => configFromHub({ architecture: 'vit_small_patch16_224', model_args: args }))).toBeInstanceOf(ConfigError);
    }
  });
  it('inconsistent arguments', () => {
    expect(thrown(() => configFromHub({ architecture: 'x', model_args: { embed_dim: 100, num_heads: 3, depth: 1 } })).message).toMatch(/not divisible/);
    expect(thrown(() => configFromHub({ architecture: 'vit_tiny_patch16_224', pretrained_cfg: { input_size: [3, 224, 224], mean: [0.5], std: [0] } }))).toBeInstanceOf(ConfigError);
  });
  it('known names build the timm architectures', () => {
    const c = configFromName('deit_small_distilled_patch16_224');
    expect([c.embedDim, c.depth, c.numHeads, c.distilled]).toEqual([384, 12, 6, true]);
    const d = configFromName('vit_small_patch14_reg4_dinov2');
    expect([d.patchSize[0], d.regTokens, d.noEmbedClass, d.layerScale]).toEqual([14, 4, true, true]);
  });
});

describe('bad inputs to a loaded model', async () => {
  const ctx = await gpuContext();
  const model = loadModelDir(ctx, g.dir);
  const [B, C, H, W] = g.shape('input');

  it('wrong channel count', () => {
    const e = thrown(() => inputTensor(model, new Float32Array(B * (C + 1) * H * W), [B, C + 1, H, W]));
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toMatch(new RegExp(`must be \\[B, ${C}, H, W\\]`));
  });
  it('data not matching the shape', () => {
    expect(() => inputTensor(model, new Float32Array(5), [1, C, H, W])).toThrow(InputError);
  });
  it('NaN in the input', () => {
    const data = new Float32Array(C * H * W);
    data[10] = NaN;
    expect(() => inputTensor(model, data, [1, C, H, W])).toThrow(/NaN at flat index 10/);
  });
  it('an image smaller than one patch', () => {
    const p = model.config.patchSize[0];
    const x = ctx.upload(new Float32Array(C * (p - 1) * W), [1, C, p - 1, W]);
    expect(() => model.forward(x)).toThrow(/smaller than one/);
    x.release();
  });
  it('an input a dynamic_img_pad model would pad', () => {
    const cfg = configFromHub({ ...g.config, model_args: { ...g.config.model_args, dynamic_img_pad: true } });
    const padded = loadModelFromConfig(ctx, cfg, new Uint8Array(readFileSync(join(g.dir, 'model.safetensors'))));
    const x = ctx.upload(new Float32Array(C * (H + 1) * W), [1, C, H + 1, W]);
    expect(() => padded.forward(x)).toThrow(new RegExp(`pads inputs to whole .* patches \\(dynamic_img_pad\\).*got ${H + 1}x${W}`));
    x.release();
    padded.dispose();
  });
  it('out-of-range class ids', () => {
    const x = ctx.upload(g.f32('input'), g.shape('input'));
    const nc = model.config.numClasses;
    model.forward(x).release(); // the model caches its position embedding on first use
    const inUse = ctx.stats().pool.inUse;
    for (const bad of [nc, -1, 1.5]) {
      const e = thrown(() => gradients(model, x, [classTarget(bad)], { grads: ['input'] }));
      expect(e).toBeInstanceOf(InputError);
      expect(e.message).toMatch(new RegExp(`class id ${bad} is out of range: this model has ${nc} classes`));
    }
    expect(() => gradients(model, x, [classTarget([0])], { grads: ['input'] })).toThrow(/got 1 class ids for a batch of/);
    // the failed calls released the forward they had started
    expect(ctx.stats().pool.inUse).toBe(inUse);
    x.release();
  });
});
