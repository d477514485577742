/**
 * Deletion and insertion curves (pixel flipping by patch, most relevant first): for the
 * fractions f = 0, 1/n, ..., 1 of patches ranked by a map, the target's softmax probability when
 * those patches are replaced by a baseline (deletion, falls fast for a faithful map) or when only
 * they are kept over the baseline (insertion, rises fast). Baselines: black pixels, or the image
 * blurred (a Gaussian with sigma = half a patch). Every point of every curve of a batch is one
 * composed image; they go through the model in a few batched forwards.
 */
import { InputError } from '../../errors.js';
import type { Tensor } from '../../gpu/tensor.js';
import { composePatches } from '../../kernels/explain/compose.js';
import { gaussianBlur } from '../../kernels/explain/image-ops.js';
import { softmax } from '../../model/predict.js';
import type { VisionTransformer } from '../../model/vit.js';
import { chunkSize } from '../chunks.js';
import { normalizedFill } from '../occlusion.js';
import { auc, topIndices } from './metrics.js';

export interface CurveOptions {
  /** Points per curve minus one (fractions 0, 1/steps, ..., 1). Default: one per patch up to 20. */
  steps?: number;
  baseline?: 'black' | 'blur';
  chunk?: number;
}

export interface Curves {
  fractions: number[];
  /** [b][i]: target probability after deleting / inserting fraction i. */
  deletion: number[][];
  insertion: number[][];
  deletionAuc: number[];
  insertionAuc: number[];
}

function gaussianTaps(sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(2 * sigma));
  const w = Float32Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / s);
}

/** The baseline images (black or blurred), [B, C, H, W]. */
export function baselineImages(model: VisionTransformer, images: Tensor, kind: 'black' | 'blur'): Tensor {
  const { ctx, config } = model;
  const [B, C, H, W] = images.shape;
  if (kind === 'black') {
    const fill = normalizedFill(model, 0);
    const data = new Float32Array(images.size);
    for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) data.fill(fill[c], (b * C + c) * H * W, (b * C + c + 1) * H * W);
    return ctx.upload(data, images.shape);
  }
  const out = ctx.empty(images.shape);
  const tmp = ctx.empty([1, C, H, W]);
  const one = ctx.empty([1, C, H, W]);
  const taps = ctx.upload(gaussianTaps(Math.max(config.patchSize[0], config.patchSize[1]) / 2));
  const n = C * H * W * 4;
  for (let b = 0; b < B; b++) {
    ctx.copy(images, b * n, one, 0, n);
    gaussianBlur(ctx, one, tmp, taps, { C, H, W });
    ctx.copy(one, 0, out, b * n, n);
  }
  for (const t of [tmp, one, taps]) t.release();
  return out;
}

export async function deletionInsertion(model: VisionTransformer, images: Tensor, maps: readonly Float32Array[], classes: readonly number[], opts: CurveOptions = {}): Promise<Curves> {
  const { ctx, config } = model;
  const [B, C, H, W] = images.shape;
  const [gh, gw] = model.gridFor(H, W);
  const P = gh * gw;
  if (maps.length !== B || maps.some((m) => m.length !== P)) throw new InputError('bad-shape', `need ${B} maps of ${P} patches`);
  const steps = opts.steps ?? Math.min(P, 20);
  const fractions = Array.from({ length: steps + 1 }, (_, i) => i / steps);
  const orders = maps.map((m) => topIndices(m, P));
  // Copy s: image b, point i, deletion (0) or insertion (1).
  const items: { b: number; i: number; kind: 0 | 1 }[] = [];
  for (let b = 0; b < B; b++) for (const kind of [0, 1] as const) for (let i = 0; i <= steps; i++) items.push({ b, i, kind });
  const base = baselineImages(model, images, opts.baseline ?? 'black');
  const N = model.numPrefix + P;
  const chunk = Math.min(items.length, opts.chunk ?? chunkSize(model, N));
  const probs = new Float64Array(items.length);
  try {
    for (let first = 0; first < items.length; first += chunk) {
      const part = items.slice(first, first + chunk);
      const keep = new Float32Array(part.length * P);
      part.forEach(({ b, i, kind }, s) => {
        const k = Math.round(fractions[i] * P);
        // Deletion keeps the image outside the top k; insertion keeps only the top k.
        if (kind === 0) keep.fill(1, s * P, (s + 1) * P);
        for (let r = 0; r < k; r++) keep[s * P + orders[b][r]] = kind === 0 ? 0 : 1;
      });
      const keepT = ctx.upload(keep, [part.length, P]);
      const imageOf = ctx.upload(Uint32Array.from(part, (it) => it.b));
      const batch = ctx.empty([part.length, C, H, W]);
      composePatches(ctx, { a: images, base, keep: keepT, imageOf, out: batch, S: part.length, C, H, W, ph: config.patchSize[0], pw: config.patchSize[1], gw, P });
      keepT.release();
      imageOf.release();
      const r = model.forward(batch);
      batch.release();
      const logits = await r.logits!.read();
      r.release();
      const K = config.numClasses;
      part.forEach(({ b }, s) => (probs[first + s] = softmax(logits.subarray(s * K, (s + 1) * K))[classes[b]]));
    }
  } finally {
    base.release();
  }
  const curve = (b: number, kind: 0 | 1) => fractions.map((_, i) => probs[(b * 2 + kind) * (steps + 1) + i]);
  const deletion = Array.from({ length: B }, (_, b) => curve(b, 0));
  const insertion = Array.from({ length: B }, (_, b) => curve(b, 1));
  return {
    fractions,
    deletion,
    insertion,
    deletionAuc: deletion.map((c) => auc(fractions, c)),
    insertionAuc: insertion.map((c) => auc(fractions, c)),
  };
}
