/**
 * What every explanation method returns: one map per (target, image), raw (no upsampling, no
 * colour mapping), row-major on `grid` — the patch grid (patch (r, c) at index r * gw + c) for
 * token-level methods, the input's pixel grid for gradient attributions (`resolution: 'pixel'`;
 * `poolToPatches` gives their patch-grid view). `signed` maps (CDAM, TAM, raw GradCAM, gradient
 * x input, IG) are meant for a diverging colour map centred on zero. Methods with more to say
 * return a subtype with extra fields (GradCAM's raw map, IG's completeness gap).
 */
import { InputError } from '../errors.js';
import type { Tensor } from '../gpu/tensor.js';
import type { VisionTransformer } from '../model/vit.js';

export interface ExplanationMaps {
  method: string;
  /** [rows, columns] of every map: [gh, gw] patches, or [H, W] pixels when resolution is 'pixel'. */
  grid: [number, number];
  /** maps[t][b], each rows * columns values. Target-independent methods have one row (t = 0). */
  maps: Float32Array[][];
  signed: boolean;
  /** Class id per [t][b] for class-specific methods. */
  classes?: number[][];
  /** What a grid cell is: a patch (the default when absent) or an input pixel. */
  resolution?: 'patch' | 'pixel';
}

/**
 * Methods that read the class token's row of a token-to-token matrix (attention, rollout,
 * gradient rollout, relevance, Abnar rollout / flow from CLS) have no definition for a model
 * without one (timm class_token=False with average pooling): token 0 is then a register or patch
 * token, and its row would be returned as if it were the class token's. Refused instead.
 */
export function requireClassToken(model: VisionTransformer, method: string): void {
  if (!model.config.classToken) {
    throw new InputError('no-class-token', `${method} explains the class token's row, and ${model.config.architecture} has no class token (class_token=False, ${model.config.globalPool} pooling); use a patch-token method (cdam, gradcam, tam, occlusion, saliency)`);
  }
}

/** Splits a [T*B, P] tensor's data into maps[t][b]. */
export async function readMaps(t: Tensor, T: number, B: number): Promise<Float32Array[][]> {
  const all = await t.read();
  const P = all.length / (T * B);
  return Array.from({ length: T }, (_, ti) => Array.from({ length: B }, (_, b) => all.slice((ti * B + b) * P, (ti * B + b + 1) * P)));
}

/** Divides a map by its maximum (vit-explain's final step; 0/0 gives NaN as in the reference). */
export function maxNormalize(m: Float32Array): Float32Array {
  let max = -Infinity;
  for (const v of m) max = Math.max(max, v);
  return m.map((v) => v / max);
}

/** pytorch-grad-cam's scale_cam_image at grid resolution: (c - min) / (1e-7 + max(c - min)). */
export function minMaxScale(m: Float32Array): Float32Array {
  let min = Infinity;
  for (const v of m) min = Math.min(min, v);
  let max = -Infinity;
  for (const v of m) max = Math.max(max, v - min);
  return m.map((v) => Math.fround(Math.fround(v - min) / Math.fround(1e-7 + max)));
}
