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
import { classTarget } from '../model/targets.js';
import type { VisionTransformer } from '../model/vit.js';
import { minMaxScale, readMaps, type ExplanationMaps } from './maps.js';
import { resolveClasses, type ClassSpec } from './class-specs.js';

export interface GradCamMaps extends ExplanationMaps {
  classes: number[][];
  /** raw[t][b]: the signed class-weighted activations before the ReLU and the min-max scaling. */
  raw: Float32Array[][];
}

export async function gradCam(model: VisionTransformer, images: Tensor, classes: ClassSpec | readonly ClassSpec[]): Promise<GradCamMaps> {
  const ids = await resolveClasses(model, images, classes);
  const T = ids.length;
  const { ctx, config } = model;
  const D = config.embedDim;
  const last = `tokens.${config.depth - 1}`;
  const g = gradients(model, images, ids.map((c) => classTarget(c)), { taps: [last], grads: [last] });
  try {
    const { B, N } = g.forward;
    const NP = model.numPrefix;
    const P = N - NP;
    // w[z, d] = mean over patch tokens of dA[z, token, d]
    const w = ctx.empty([T * B, D]);
    meanRows(ctx, g.grads.get(last)!, w, { groups: T * B, rowsPerGroup: N, first: NP, count: P, D });
    // raw[z, i] = sum_d A[z mod B, NP + i, d] * w[z, d]
    const raw = ctx.empty([T * B, P]);
    matmul(ctx, {
      M: P, N: 1, K: D, nz1: T * B,
      a: { t: g.forward.taps.get(last)!, offset: NP * D, rowStride: D, s1: N * D, mod: B },
      b: { t: w, rowStride: 1, colStride: D, s1: D },
      c: { t: raw, rowStride: 1, s1: P },
    });
    w.release();
    const maps = await readMaps(raw, T, B);
    raw.release();
    const cams = maps.map((r) => r.map((m) => minMaxScale(minMaxScale(m.map((v) => Math.max(v, 0))))));
    return { method: 'gradcam', grid: g.forward.grid, classes: ids, signed: false, maps: cams, raw: maps };
  } finally {
    g.release();
  }
}
