/**
 * Configs of timm VisionTransformer variants: every golden case's config.json resolves to the
 * token layout its tensors have, and the timm rules that model_args leave implicit are applied
 * (DeiT distillation is a class, not an argument; PatchEmbed bias = not pre_norm; LayerScale only
 * for a truthy init_values).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSafetensors } from '../../src/io/safetensors.js';
import { configFromArgs, configFromHub, numPrefixTokens } from '../../src/model/config.js';
import { loadModelFromBytes } from '../../src/model/load.js';
import { configForWeights, expectedParams } from '../../src/model/weights.js';
import { maxAbsDiff } from '../helpers/compare.js';
import { goldenCases } from '../helpers/golden.js';
import { gpuContext } from '../helpers/gpu.js';

describe('every golden config resolves to the layout of its tensors', () => {
  for (const g of goldenCases()) {
    it(g.name, () => {
      const file = parseSafetensors(new Uint8Array(readFileSync(join(g.dir, 'model.safetensors'))));
      const cfg = configForWeights(configFromHub(g.config), file);
      expect(numPrefixTokens(cfg)).toBe(g.geometry.NP);
      expect(cfg.inChans).toBe(g.geometry.C);
      expect(cfg.patchSize).toEqual(g.geometry.patch);
      // exactly the parameters the file has
      expect(expectedParams(cfg).map((p) => p.name).sort()).toEqual([...file.tensors.keys()].sort());
    });
  }
});

describe('timm rules model_args leave implicit', () => {
  it('pre_norm drops the patch-embedding bias', () => {
    expect(configFromArgs('x', { embed_dim: 8, depth: 1, num_heads: 2, pre_norm: true }).patchEmbedBias).toBe(false);
    expect(expectedParams(configFromArgs('x', { embed_dim: 8, depth: 1, num_heads: 2, pre_norm: true })).some((p) => p.name === 'patch_embed.proj.bias')).toBe(false);
    expect(configFromArgs('x', { embed_dim: 8, depth: 1, num_heads: 2 }).patchEmbedBias).toBe(true);
  });
  it('init_values 0 or null is no LayerScale', () => {
    for (const v of [0, null, undefined]) expect(configFromArgs('x', { embed_dim: 8, depth: 1, num_heads: 2, init_values: v }).layerScale).toBe(false);
    expect(configFromArgs('x', { embed_dim: 8, depth: 1, num_heads: 2, init_values: 1e-5 }).layerScale).toBe(true);
  });
  it('timm_class VisionTransformerDistilled means a distillation token', () => {
    const args = { embed_dim: 8, depth: 1, num_heads: 2 };
    expect(configFromHub({ architecture: 'x', model_args: args, timm_class: 'timm.models.deit.VisionTransformerDistilled' }).distilled).toBe(true);
    expect(configFromHub({ architecture: 'x', model_args: args, timm_class: 'timm.models.vision_transformer.VisionTransformer' }).distilled).toBe(false);
  });

  const distilled = goldenCases().filter((g) => /Distilled$/.test(g.config.timm_class ?? ''));
  it.runIf(distilled.length > 0)('a distilled checkpoint whose config names no class loads from its weights (dist_token, head_dist)', async () => {
    const ctx = await gpuContext();
    for (const g of distilled) {
      const { timm_class: _drop, ...config } = g.config;
      const model = loadModelFromBytes(ctx, config, new Uint8Array(readFileSync(join(g.dir, 'model.safetensors'))));
      try {
        expect(model.config.distilled).toBe(true);
        const x = ctx.upload(g.f32('input'), g.shape('input'));
        const r = model.forward(x);
        const logits = await r.logits!.read();
        r.release();
        x.release();
        expect(maxAbsDiff(logits, g.f32('logits')).max).toBeLessThanOrEqual(1e-4);
      } finally {
        model.dispose();
      }
    }
  });
});
