/**
 * Checkpoint -> timm hub folder: the converted tensors equal torch's (after the renames each
 * release needs), the config describes them, the state dict choice is reported and can be
 * forced, and the architecture is inferred or refused with a reason.
 */
import { inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { convertCheckpoint, type ConvertOptions } from '../../src/convert/convert.js';
import { hubConfig, inferArchitecture } from '../../src/convert/infer-arch.js';
import type { SourceTensor } from '../../src/convert/state-dict.js';
import { remapToTimm } from '../../src/convert/timm-remap.js';
import { CheckpointError, ConfigError, VitlensError, WeightsError } from '../../src/errors.js';
import { parseSafetensors, serializeSafetensors, toFloat32, type TensorToWrite } from '../../src/io/safetensors.js';
import { configFromHub, configFromName } from '../../src/model/config.js';
import { expectedParams } from '../../src/model/weights.js';
import { expectedTensors, fixture } from '../helpers/checkpoints.js';
import { thrown as thrownOf } from '../helpers/thrown.js';

const thrown = (f: () => unknown) => thrownOf(f, VitlensError);

const inflate = (b: Uint8Array) => new Uint8Array(inflateRawSync(b));

function convert(name: string, opts: ConvertOptions = {}) {
  return convertCheckpoint(fixture(name), { source: name, numHeads: 2, inflate, ...opts });
}

/** The converted file holds exactly the expected tensors (names, shapes, float32 values). */
function expectSameTensors(safetensors: Uint8Array, expected: Map<string, { shape: number[]; data: Float32Array }>) {
  const got = parseSafetensors(safetensors).tensors;
  expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [name, exp] of expected) {
    const t = got.get(name)!;
    expect(t.dtype, name).toBe('F32');
    expect(t.shape, name).toEqual(exp.shape);
    expect(Array.from(toFloat32(t)), name).toEqual(Array.from(exp.data));
  }
}


describe('convert: round trips to torch\'s tensors', () => {
  it('timm_tiny.pth (under "model"; f16 / bf16 / f64, strided views) gives identical float32 tensors', () => {
    const r = convert('timm_tiny.pth');
    expect(r.key).toBe('model');
    expectSameTensors(r.safetensors, expectedTensors('timm_tiny'));
    expect(r.notes).toContain('state dict: "model" (33 tensors)');
    expect(r.notes.join('\n')).toMatch(/dropped 1 integer tensor: num_batches_tracked/);
    expect(r.notes.join('\n')).toMatch(/converted 12 F16, 1 BF16, 1 F64 tensors to F32/);
    // timm state_dict order
    const names = [...parseSafetensors(r.safetensors).tensors.keys()];
    expect(names).toEqual(expectedParams(r.vitConfig).map((p) => p.name));
  });

  it('writes a config.json that describes the weights', () => {
    const r = convert('timm_tiny.pth');
    expect(r.config).toMatchObject({
      architecture: 'vit_patch4_8_embed8_depth2',
      num_classes: 5,
      model_args: { img_size: 8, patch_size: 4, in_chans: 3, embed_dim: 8, depth: 2, num_heads: 2, mlp_ratio: 2, qkv_bias: true, class_token: true, global_pool: 'token' },
      pretrained_cfg: { input_size: [3, 8, 8], interpolation: 'bicubic', num_classes: 5 },
      conversion: { tool: 'vitlens convert', source: 'timm_tiny.pth', key: 'model' },
    });
    const c = configFromHub(JSON.parse(JSON.stringify(r.config)));
    expect([c.embedDim, c.depth, c.numHeads, c.mlpHidden, c.numClasses]).toEqual([8, 2, 2, 16, 5]);
  });

  it('a deflated archive converts to the same bytes', () => {
    expect(Buffer.from(convert('deflated.pth').safetensors).equals(Buffer.from(convert('timm_tiny.pth').safetensors))).toBe(true);
  });

  it('dino_tiny.pth: the teacher, backbone. stripped, q/k/v joined, DINO head dropped', () => {
    const r = convert('dino_tiny.pth');
    expect(r.key).toBe('teacher');
    expectSameTensors(r.safetensors, expectedTensors('dino_tiny'));
    const notes = r.notes.join('\n');
    expect(notes).toMatch(/other dicts of tensors, not used \(choose one with --key\): student \(28\), dino_loss \(1\)/);
    expect(notes).toMatch(/took the ViT under "backbone\."/);
    expect(notes).toMatch(/dropped 6 tensors outside "backbone\.": head\.mlp\.0\.weight.*DINO projection head/);
    expect(notes).toMatch(/joined separate q\/k\/v projections into attn\.qkv in 1 block/);
    expect(r.config.num_classes).toBe(0);
  });

  it('dino_tiny.pth --key student: module.backbone. stripped', () => {
    const r = convert('dino_tiny.pth', { key: 'student' });
    expect(r.key).toBe('student');
    expect(r.notes.join('\n')).toMatch(/removed the "module\." prefix from 28 names/);
    expect(parseSafetensors(r.safetensors).tensors.has('blocks.0.attn.qkv.weight')).toBe(true);
  });

  it('dinov2_tiny.pth: un-chunked blocks, registers, LayerScale, class position folded', () => {
    const r = convert('dinov2_tiny.pth');
    expect(r.key).toBe('');
    expectSameTensors(r.safetensors, expectedTensors('dinov2_tiny'));
    expect(r.config.model_args).toMatchObject({ reg_tokens: 2, no_embed_class: true, init_values: 1e-5, img_size: 8, num_classes: 0 });
    expect(r.vitConfig.layerScale).toBe(true);
  });

  it('a safetensors file in non-timm names converts too (no --key)', () => {
    const r = convertCheckpoint(convert('timm_tiny.pth').safetensors, { numHeads: 2 });
    expect(r.key).toBeNull();
    expectSameTensors(r.safetensors, expectedTensors('timm_tiny'));
    expect(thrown(() => convertCheckpoint(r.safetensors, { key: 'model' })).message).toMatch(/--key is for \.pth checkpoints/);
  });
});

describe('convert: choices and refusals', () => {
  it('a --key that is missing or not a dict of tensors lists what there is', () => {
    const e = thrown(() => convert('dino_tiny.pth', { key: 'nope' }));
    expect(e).toBeInstanceOf(CheckpointError);
    expect(e.message).toMatch(/no key "nope"; dicts of tensors in it: student \(28 tensors\), teacher \(28 tensors\), dino_loss \(1 tensor\)/);
    expect(thrown(() => convert('dino_tiny.pth', { key: 'epoch' })).message).toMatch(/"epoch" holds number, not a dict of tensors/);
  });

  it('asks for --num-heads when the head count cannot be known', () => {
    const e = thrown(() => convertCheckpoint(fixture('timm_tiny.pth'), {}));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.code).toBe('unknown-heads');
    expect(e.message).toMatch(/pass --num-heads N or --arch NAME/);
  });

  it('refuses an --arch the weights do not fit, saying how', () => {
    const e = thrown(() => convert('timm_tiny.pth', { arch: 'deit_tiny_patch16_224' }));
    expect(e.code).toBe('arch-mismatch');
    expect(e.message).toMatch(/embed_dim 192 vs 8 in the weights; depth 12 vs 2/);
  });

  it('a dict of non-ViT tensors is refused as such', () => {
    const e = thrown(() => convert('bigendian.pth'));
    expect(e.code).toBe('not-vit');
  });

  it('Hugging Face transformers names are recognised and refused with the way out', () => {
    const e = thrown(() => inferArchitecture(new Map([['vit.embeddings.patch_embeddings.projection.weight', [8, 3, 4, 4]]])));
    expect(e.message).toMatch(/Hugging Face transformers ViT names/);
  });

  it('the dino_loss dict alone is not a ViT either', () => {
    expect(thrown(() => convert('dino_tiny.pth', { key: 'dino_loss' })).code).toBe('not-vit');
  });
});

/** Shape-only sources for remap and inference tests. */
function sources(shapes: Record<string, number[]>, fill = (name: string, i: number) => i + name.length): Map<string, SourceTensor> {
  return new Map(
    Object.entries(shapes).map(([name, shape]) => [
      name,
      { shape, dtype: 'F32', values: () => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => fill(name, i)) },
    ]),
  );
}

const shapesOf = (name: string) => new Map(expectedParams(configFromName(name)).map((p) => [p.name, p.shape]));

describe('architecture inference', () => {
  it('names timm architectures from their shapes alone', () => {
    expect(inferArchitecture(shapesOf('deit_tiny_patch16_224')).architecture).toBe('vit_tiny_patch16_224');
    expect(inferArchitecture(shapesOf('deit_small_distilled_patch16_224')).architecture).toBe('deit_small_distilled_patch16_224');
    expect(inferArchitecture(shapesOf('vit_base_patch32_384')).architecture).toBe('vit_base_patch32_384');
    const v2 = inferArchitecture(shapesOf('vit_small_patch14_reg4_dinov2'));
    expect(v2.architecture).toBe('vit_small_patch14_reg4_dinov2');
    expect(v2.modelArgs).toMatchObject({ reg_tokens: 4, no_embed_class: true, img_size: 518, num_heads: 6 });
    expect((hubConfig(v2).pretrained_cfg as { crop_pct: number }).crop_pct).toBe(1);
  });

  it('uses a name hint that fits and ignores one that does not', () => {
    const a = inferArchitecture(shapesOf('deit_small_patch16_224'), { nameHints: [{ name: 'deit_small_patch16_224-cd65a155', from: 'the file name' }] });
    expect(a.architecture).toBe('deit_small_patch16_224');
    expect(a.notes).toContain('architecture deit_small_patch16_224 from the file name');
    const b = inferArchitecture(shapesOf('deit_small_patch16_224'), { nameHints: [{ name: 'vit_base_patch16_224', from: 'x' }] });
    expect(b.notes[0]).toMatch(/ignored the name vit_base_patch16_224 \(x\): embed_dim 768 vs 384/);
    expect(b.architecture).toBe('vit_small_patch16_224');
  });

  it('keeps an --arch with another native size, and says so', () => {
    const a = inferArchitecture(shapesOf('vit_small_patch16_384'), { arch: 'vit_small_patch16_224' });
    expect(a.modelArgs.img_size).toBe(384);
    expect(a.notes.join('\n')).toMatch(/the weights are for 384 px/);
  });

  it('average pooling with fc_norm, no class token, norm_pre', () => {
    const s = shapesOf('vit_tiny_patch16_224');
    s.delete('cls_token');
    s.delete('norm.weight');
    s.delete('norm.bias');
    s.set('fc_norm.weight', [192]).set('fc_norm.bias', [192]).set('norm_pre.weight', [192]).set('norm_pre.bias', [192]);
    s.set('pos_embed', [1, 196, 192]);
    const a = inferArchitecture(s);
    expect(a.modelArgs).toMatchObject({ class_token: false, global_pool: 'avg', pre_norm: true });
    expect(a.modelArgs.fc_norm).toBeUndefined(); // timm's default for avg pooling
    const cfg = configFromHub(hubConfig(a));
    expect([cfg.fcNorm, cfg.preNorm, cfg.classToken]).toEqual([true, true, false]);
  });

  it('refuses what vitlens cannot run, by name', () => {
    const s = shapesOf('vit_tiny_patch16_224');
    expect(() => inferArchitecture(new Map([...s, ['blocks.0.attn.q_norm.weight', [64]]]))).toThrow(/qk_norm/);
    expect(() => inferArchitecture(new Map([...s, ['blocks.0.mlp.w12.weight', [64]]]))).toThrow(/SwiGLU/);
    expect(() => inferArchitecture(new Map([...s, ['pos_embed', [1, 200, 192]]]))).toThrow(/not a square patch grid/);
    expect(() => inferArchitecture(s, { numHeads: 5 })).toThrow(/num_heads 5 does not divide embed_dim 192/);
  });
});

describe('remap rules', () => {
  it('LayerScale gamma_1 / gamma_2 (DeiT III) become ls1.gamma / ls2.gamma', () => {
    const r = remapToTimm(sources({ 'blocks.0.gamma_1': [4], 'blocks.0.gamma_2': [4], 'blocks.0.norm1.weight': [4] }));
    expect([...r.tensors.keys()]).toEqual(['blocks.0.ls1.gamma', 'blocks.0.ls2.gamma', 'blocks.0.norm1.weight']);
  });

  it('q / k / v with BEiT-style q_bias / v_bias: the key bias is zero', () => {
    const r = remapToTimm(sources({
      'blocks.0.attn.q.weight': [2, 2], 'blocks.0.attn.k.weight': [2, 2], 'blocks.0.attn.v.weight': [2, 2],
      'blocks.0.attn.q_bias': [2], 'blocks.0.attn.v_bias': [2],
    }, (name, i) => (name.includes('.q') ? 10 : name.includes('.k') ? 20 : 30) + i));
    expect([...r.tensors.keys()].sort()).toEqual(['blocks.0.attn.qkv.bias', 'blocks.0.attn.qkv.weight']);
    expect(Array.from(r.tensors.get('blocks.0.attn.qkv.weight')!.values())).toEqual([10, 11, 12, 13, 20, 21, 22, 23, 30, 31, 32, 33]);
    expect(Array.from(r.tensors.get('blocks.0.attn.qkv.bias')!.values())).toEqual([10, 11, 0, 0, 30, 31]);
  });

  it('refuses a state dict with two ViTs in it', () => {
    expect(() => remapToTimm(sources({ 'a.patch_embed.proj.weight': [1, 1, 1, 1], 'b.patch_embed.proj.weight': [1, 1, 1, 1] }))).toThrow(/several ViTs/);
  });

  it('refuses renames that collide', () => {
    expect(() => remapToTimm(sources({ 'module.x': [1], x: [1] }))).toThrow(CheckpointError);
  });
});

describe('the converted weights must pass the engine\'s own check', () => {
  it('a missing tensor is reported in one line with the fix', () => {
    const e = thrown(() => convertCheckpoint(stripNorm(), { numHeads: 2 }));
    expect(e).toBeInstanceOf(WeightsError);
    expect(e.message).not.toMatch(/\n/);
    expect(e.message).toMatch(/do not fit vit_patch4_8_embed8_depth2: missing norm\.weight, norm\.bias/);
  });
});

/** timm_tiny's converted safetensors without norm.weight / norm.bias. */
function stripNorm(): Uint8Array {
  const f = parseSafetensors(convert('timm_tiny.pth').safetensors);
  const kept: Record<string, TensorToWrite> = {};
  for (const [name, t] of f.tensors) if (!name.startsWith('norm.')) kept[name] = { dtype: 'F32', shape: t.shape, data: toFloat32(t) };
  return serializeSafetensors(kept);
}
