/** Randomly initialised timm-shaped models for benchmarks (no weights needed on disk). */
import type { GpuContext } from '../../src/gpu/context.js';
import { configFromName, type VitConfig } from '../../src/model/config.js';
import { VisionTransformer } from '../../src/model/vit.js';
import { expectedParams, type WeightMap } from '../../src/model/weights.js';
import { mulberry32 } from '../../src/random.js';


export function randomModel(ctx: GpuContext, name: string, overrides: Record<string, unknown> = {}): VisionTransformer {
  const cfg: VitConfig = configFromName(name, overrides);
  const rand = mulberry32(1);
  const weights: WeightMap = new Map();
  for (const p of expectedParams(cfg)) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    const fanIn = p.shape.length >= 2 ? n / p.shape[0] : 1;
    const scale = p.name.endsWith('norm1.weight') || p.name.endsWith('norm2.weight') || p.name === 'norm.weight' ? 0 : 1 / Math.sqrt(fanIn);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = scale === 0 ? 1 : (rand() * 2 - 1) * scale;
    weights.set(p.name, { shape: p.shape, data });
  }
  return VisionTransformer.fromWeights(ctx, cfg, weights);
}

/** Multiply-adds x 2 of a forward pass (matmuls only: patch embedding, blocks, head). */
export function forwardFlops(c: VitConfig, B: number, H = c.imgSize[0], W = c.imgSize[1]): number {
  const P = Math.floor(H / c.patchSize[0]) * Math.floor(W / c.patchSize[1]);
  const N = P + (c.classToken ? 1 : 0) + c.regTokens + (c.distilled ? 1 : 0);
  const D = c.embedDim;
  const patch = P * D * c.inChans * c.patchSize[0] * c.patchSize[1];
  const block = N * D * 3 * D + 2 * N * N * D + N * D * D + 2 * N * D * c.mlpHidden;
  return 2 * B * (patch + c.depth * block + D * c.numClasses);
}
