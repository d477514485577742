/**
 * Attention flow and Abnar rollout maps of a model's images: the attention probabilities come
 * from the GPU forward, the exact max-flow runs on the CPU (attention-graph.ts, maxflow.ts).
 */
import type { Tensor } from '../gpu/tensor.js';
import type { VisionTransformer } from '../model/vit.js';
import { abnarRollout, attentionFlowAsync, type FlowVariant, type ProgressCallback } from './attention-graph.js';
import { requireClassToken, type ExplanationMaps } from './maps.js';
import { tapOf, type ForwardTaps } from './sources.js';

/** All blocks' attention of each image as one [L, H, N, N] array (the layout attention-graph.ts takes). */
export interface AttentionStack {
  per: Float32Array[];
  grid: [number, number];
  N: number;
}

async function attentionStack(model: VisionTransformer, images: Tensor): Promise<AttentionStack> {
  using fwd = model.forward(images, { taps: ['attn.*'] });
  return await attentionStackFrom(model, fwd);
}

/** The attention stack of every image from a forward's kept `attn.*` taps. */
export async function attentionStackFrom(model: VisionTransformer, fwd: ForwardTaps): Promise<AttentionStack> {
  const { config } = model;
  const { B, N } = fwd;
  const H = config.numHeads;
  const block = H * N * N;
  const per = Array.from({ length: B }, () => new Float32Array(config.depth * block));
  for (let l = 0; l < config.depth; l++) {
    const a = await tapOf(fwd, `attn.${l}`).read();
    for (let b = 0; b < B; b++) per[b].set(a.subarray(b * block, (b + 1) * block), l * block);
  }
  return { per, grid: fwd.grid, N };
}

export interface FlowMapOptions {
  variant?: FlowVariant;
  onProgress?: ProgressCallback;
}

/** Attention flow from the class token to each patch token (maps[0][b]); index 0 = first patch. */
export async function attentionFlowMaps(model: VisionTransformer, images: Tensor, opts: FlowMapOptions = {}): Promise<ExplanationMaps> {
  requireClassToken(model, 'attention flow');
  return await flowMapsFrom(model, await attentionStack(model, images), opts);
}

/** attentionFlowMaps from an attention stack (the max-flows run in slices: no long task in a page). */
export async function flowMapsFrom(model: VisionTransformer, { per, grid, N }: AttentionStack, opts: FlowMapOptions = {}): Promise<ExplanationMaps> {
  requireClassToken(model, 'attention flow');
  const NP = model.numPrefix;
  const variant = opts.variant ?? 'abnar';
  const maps: Float32Array[] = [];
  for (const [b, attn] of per.entries()) {
    const f = await attentionFlowAsync(attn, model.config.depth, model.config.numHeads, N, {
      variant,
      onProgress: opts.onProgress ? (done, total) => opts.onProgress!(b * total + done, per.length * total) : undefined,
    });
    maps.push(Float32Array.from(f.subarray(NP)));
  }
  return { method: `flow-${variant}`, grid, signed: false, maps: [maps] };
}

/** Abnar & Zuidema rollout (rows of mean_h A + I normalised, float64), CLS row over the patches. */
export async function abnarRolloutMaps(model: VisionTransformer, images: Tensor): Promise<ExplanationMaps> {
  requireClassToken(model, 'Abnar rollout');
  return abnarMapsFrom(model, await attentionStack(model, images));
}

/** abnarRolloutMaps from an attention stack. */
export function abnarMapsFrom(model: VisionTransformer, { per, grid, N }: AttentionStack): ExplanationMaps {
  requireClassToken(model, 'Abnar rollout');
  const NP = model.numPrefix;
  const maps = per.map((attn) => Float32Array.from(abnarRollout(attn, model.config.depth, model.config.numHeads, N).subarray(NP)));
  return { method: 'rollout-abnar', grid, signed: false, maps: [maps] };
}
