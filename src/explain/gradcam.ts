/**
 * GradCAM for ViTs with pytorch-grad-cam's semantics: target layer = the last block's norm1,
 * `vit_reshape_transform` (prefix tokens dropped, patches as a gh x gw grid of D channels),
 * channel weights = mean gradient over the patch tokens, cam = sum_d w_d * A_d, ReLU, then the
 * library's min-max scaling (applied per layer and again after aggregating layers). Returns the
 * library's map as `maps` and, as `raw`, the signed weighted sum before the ReLU and scaling.
 */
import type { Tensor } from '../gpu/tensor.js';
import { matmul } from '../kernels/matmul.js';
import { meanRows } from '../kernels/rows.js';
import { gradients } from '../model/gradients.js';
import type { VisionTransformer } from '../model/vit.js';
import { minMaxScale, readMaps, type ExplanationMaps } from './maps.js';
import { classTargets, type ClassSpec } from './class-specs.js';
import { tapOf, type ForwardTaps, type TargetGradients } from './sources.js';

export interface GradCamMaps extends ExplanationMaps {
  classes: number[][];
  /** raw[t][b]: the signed class-weighted activations before the ReLU and the min-max scaling. */
  raw: Float32Array[][];
}

export async function gradCam(model: VisionTransformer, images: Tensor, classes: ClassSpec | readonly ClassSpec[]): Promise<GradCamMaps> {
  const last = gradCamTap(model);
  using g = gradients(model, images, classTargets(model, images, classes), { taps: [last], grads: [last] });
  const ids = await g.classIds();
  return await gradCamFrom(model, g.forward, g, ids);
}

/** The target layer (forward tensor and gradient): the last block's norm1 output. */
export function gradCamTap(model: VisionTransformer): string {
  return `tokens.${model.config.depth - 1}`;
}

/** GradCAM from the kept target-layer activations and the targets' gradients there. */
export async function gradCamFrom(model: VisionTransformer, fwd: ForwardTaps, g: TargetGradients, ids: number[][]): Promise<GradCamMaps> {
  const T = g.T;
  const { ctx, config } = model;
  const D = config.embedDim;
  const last = gradCamTap(model);
  const { B, N } = fwd;
  const NP = model.numPrefix;
  const P = N - NP;
  // w[z, d] = mean over patch tokens of dA[z, token, d]
  using w = ctx.empty([T * B, D]);
  meanRows(ctx, tapOf(g, last), w, { groups: T * B, rowsPerGroup: N, first: NP, count: P, D });
  // raw[z, i] = sum_d A[z mod B, NP + i, d] * w[z, d]
  using raw = ctx.empty([T * B, P]);
  matmul(ctx, {
    M: P, N: 1, K: D, nz1: T * B,
    a: { t: tapOf(fwd, last), offset: NP * D, rowStride: D, s1: N * D, mod: B },
    b: { t: w, rowStride: 1, colStride: D, s1: D },
    c: { t: raw, rowStride: 1, s1: P },
  });
  const maps = await readMaps(raw, T, B);
  const cams = maps.map((r) => r.map((m) => minMaxScale(minMaxScale(m.map((v) => Math.max(v, 0))))));
  return { method: 'gradcam', grid: fwd.grid, classes: ids, signed: false, maps: cams, raw: maps };
}
