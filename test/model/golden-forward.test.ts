/**
 * Forward pass against timm, for every golden case: logits, latent, the tokens after the position
 * embedding and those entering the last attention, and every layer's attention probabilities.
 * Token count, prefix tokens and grid come from the case's own tensors (helpers/golden.ts
 * `geometry`), so register / distillation tokens and inputs of another size than img_size
 * (resampled position embedding) are checked like the plain ViT.
 * Tolerances (max abs): logits and features 1e-4 (issue 2), attention probabilities 1e-5.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context.js';
import type { ForwardResult, VisionTransformer } from '../../src/model/vit.js';
import { loadModelDir } from '../../src/node/load.js';
import { printParity, recordParity } from '../helpers/parity.js';
import { goldenCases, goldenDir, variantsDir, type GoldenCase } from '../helpers/golden.js';
import { gpuContext } from '../helpers/gpu.js';
import { GOLDEN_TOLERANCE } from '../helpers/tolerances.js';

const { featuresAbs, attentionAbs } = GOLDEN_TOLERANCE;

const cases = goldenCases();

describe.each(cases.map((c) => [c.name, c] as const))('golden forward: %s', (_name, g: GoldenCase) => {
  let ctx: GpuContext;
  let model: VisionTransformer;
  let result: ForwardResult;
  const L = g.config.model_args.depth as number;
  const table = `${g.name} forward`;
  const err = (name: string, got: ArrayLike<number>, expected: ArrayLike<number>) => recordParity(table, name, got, expected).maxAbs;

  beforeAll(async () => {
    ctx = await gpuContext();
    model = loadModelDir(ctx, g.dir);
    const x = ctx.upload(g.f32('input'), g.shape('input'));
    result = model.forward(x, { taps: ['attn.*', 'embed', `tokens.${L - 1}`] });
    x.release();
  });
  afterAll(() => {
    printParity(table);
    result?.release();
    model?.dispose();
  });

  it('token layout: prefix tokens, grid and token count as the case stores them', () => {
    const geo = g.geometry;
    expect(model.numPrefix, 'prefix tokens (class, distillation, register)').toBe(geo.NP);
    expect(result.grid).toEqual(geo.grid);
    expect(result.N).toBe(geo.N);
    expect(result.logits === null, 'a classifier exactly when the case stores logits').toBe(!g.has('logits'));
  });

  it.runIf(g.has('logits'))('logits within 1e-4', async () => {
    expect(err('logits', await result.logits!.read(), g.f32('logits'))).toBeLessThanOrEqual(featuresAbs);
  });

  it('latent, embed_tokens and tokens_last within 1e-4', async () => {
    expect(err('latent', await result.latent.read(), g.f32('latent'))).toBeLessThanOrEqual(featuresAbs);
    if (g.has('embed_tokens')) expect(err('embed_tokens', await result.taps.get('embed')!.read(), g.f32('embed_tokens'))).toBeLessThanOrEqual(featuresAbs);
    expect(err('tokens_last', await result.taps.get(`tokens.${L - 1}`)!.read(), g.f32('tokens_last'))).toBeLessThanOrEqual(featuresAbs);
  });

  it('attention probabilities of every layer within 1e-5', async () => {
    const shape = g.shape('attn');
    const per = shape.slice(2).reduce((a, b) => a * b, 1);
    const expected = g.f32('attn');
    const rows = g.batchIndices('attn');
    for (let l = 0; l < L; l++) {
      const got = await result.taps.get(`attn.${l}`)!.read();
      rows.forEach((b, row) => {
        const exp = expected.subarray((row * L + l) * per, (row * L + l + 1) * per);
        expect(err('attn', got.subarray(b * per, (b + 1) * per), exp), `layer ${l}, image ${b}`).toBeLessThanOrEqual(attentionAbs);
      });
    }
  });
});

describe('golden cases are present', () => {
  it('finds reference case folders (the committed variants alone do not count)', () => {
    expect(cases.filter((c) => c.root === goldenDir()).length, `no golden cases in ${goldenDir()}: set VITLENS_GOLDEN_DIR`).toBeGreaterThan(0);
  });
  it('finds the committed variant cases', () => {
    expect(cases.filter((c) => c.root === variantsDir()).length, `no cases in ${variantsDir()}: run test/fixtures/make_variant_cases.py`).toBeGreaterThan(0);
  });
});
