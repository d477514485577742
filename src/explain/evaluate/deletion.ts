/**
 * Deletion and insertion curves (pixel flipping by patch, most relevant first): for the
 * fractions f = 0, 1/n, ..., 1 of patches ranked by a map, the target's softmax probability when
 * those patches are replaced by a baseline (deletion, falls fast for a faithful map) or when only
 * they are kept over the baseline (insertion, rises fast). Baselines: black pixels, or the image
 * blurred (a Gaussian with sigma = half a patch). Every point of every curve of a batch is one
 * composed image; they go through the model in a few batched forwards. Fractions are of whole
 * patches: point i removes / keeps round(i / steps * P) patches. AUCs are over x in [0, 1], so
 * they are mean probabilities along the curve (lower is better for deletion, higher for
 * insertion).
 */
import { InputError } from '../../errors.js';
import type { Tensor } from '../../gpu/tensor.js';
import { composePatches } from '../../kernels/explain/compose.js';
import { gaussianBlur } from '../../kernels/explain/image-ops.js';
import { softmax } from '../../model/predict.js';
import type { VisionTransformer } from '../../model/vit.js';
import { chunkSize } from '../chunks.js';
import { normalizedFill } from '../baselines.js';
import { auc, rankOrder } from './metrics.js';

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

/** Probabilities of `classes[imageOf[s]]` for the images composed from `keep` rows ([S, P]), in chunks. */
async function composedProbs(model: VisionTransformer, images: Tensor, base: Tensor, keep: Float32Array, imageOf: readonly number[], classes: readonly number[], chunk: number): Promise<Float64Array> {
  const { ctx, config } = model;
  const [, C, H, W] = images.shape;
  const [gh, gw] = model.gridFor(H, W);
  const P = gh * gw;
  const K = config.numClasses;
  const S = imageOf.length;
  const probs = new Float64Array(S);
  for (let first = 0; first < S; first += chunk) {
    const n = Math.min(chunk, S - first);
    const keepT = ctx.upload(keep.subarray(first * P, (first + n) * P), [n, P]);
    const imageT = ctx.upload(Uint32Array.from(imageOf.slice(first, first + n)));
    const batch = ctx.empty([n, C, H, W]);
    composePatches(ctx, { a: images, base, keep: keepT, imageOf: imageT, out: batch, S: n, C, H, W, ph: config.patchSize[0], pw: config.patchSize[1], gw, P });
    keepT.release();
    imageT.release();
    let logits: Float32Array;
    try {
      const r = model.forward(batch);
      try {
        logits = await r.logits!.read();
      } finally {
        r.release();
      }
    } finally {
      batch.release();
    }
    for (let s = 0; s < n; s++) probs[first + s] = softmax(logits.subarray(s * K, (s + 1) * K))[classes[imageOf[first + s]]];
  }
  return probs;
}

/**
 * The greedy deletion oracle: patches ordered by removing, at each step, the one whose removal
 * (on top of those already removed) lowers the class's probability most. Returned as maps
 * (P for the first patch removed, down to 1 for the last), so their deletion curve is the greedy
 * curve — a near-optimal reference for deletion AUCs. Costs P(P+1)/2 forwards per image, in P
 * batched rounds.
 */
export async function greedyDeletionMaps(model: VisionTransformer, images: Tensor, classes: readonly number[], opts: { baseline?: 'black' | 'blur'; chunk?: number } = {}): Promise<Float32Array[]> {
  const [B, , H, W] = images.shape;
  const [gh, gw] = model.gridFor(H, W);
  const P = gh * gw;
  if (classes.length !== B) throw new InputError('bad-shape', `need ${B} classes, got ${classes.length}`);
  const chunk = Math.max(1, opts.chunk ?? chunkSize(model, model.numPrefix + P));
  const base = baselineImages(model, images, opts.baseline ?? 'black');
  const kept = Array.from({ length: B }, () => new Uint8Array(P).fill(1));
  const maps = Array.from({ length: B }, () => new Float32Array(P));
  try {
    for (let t = 0; t < P; t++) {
      const cand: { b: number; p: number }[] = [];
      for (let b = 0; b < B; b++) for (let p = 0; p < P; p++) if (kept[b][p]) cand.push({ b, p });
      const keep = new Float32Array(cand.length * P);
      cand.forEach(({ b, p }, s) => {
        keep.set(kept[b], s * P);
        keep[s * P + p] = 0;
      });
      const probs = await composedProbs(model, images, base, keep, cand.map((c) => c.b), classes, chunk);
      const best = new Array<number>(B).fill(-1);
      cand.forEach(({ b }, s) => {
        if (best[b] < 0 || probs[s] < probs[best[b]]) best[b] = s;
      });
      for (let b = 0; b < B; b++) {
        const { p } = cand[best[b]];
        kept[b][p] = 0;
        maps[b][p] = P - t;
      }
    }
  } finally {
    base.release();
  }
  return maps;
}

export async function deletionInsertion(model: VisionTransformer, images: Tensor, maps: readonly Float32Array[], classes: readonly number[], opts: CurveOptions = {}): Promise<Curves> {
  const [B, , H, W] = images.shape;
  const [gh, gw] = model.gridFor(H, W);
  const P = gh * gw;
  if (maps.length !== B || maps.some((m) => m.length !== P)) throw new InputError('bad-shape', `need ${B} maps of ${P} patches`);
  if (classes.length !== B) throw new InputError('bad-shape', `need ${B} classes, got ${classes.length}`);
  const steps = opts.steps ?? Math.min(P, 20);
  if (!Number.isInteger(steps) || steps < 1) throw new InputError('bad-option', `deletion steps must be an integer >= 1, got ${steps}`);
  const fractions = Array.from({ length: steps + 1 }, (_, i) => i / steps);
  // Most relevant first; ties in a fixed pseudo-random order, NaN scores (0/0 of a
  // max-normalised map) last.
  const orders = maps.map((m) => rankOrder(m));
  // Copy s: image b, point i, deletion (0) or insertion (1).
  const items: { b: number; i: number; kind: 0 | 1 }[] = [];
  for (let b = 0; b < B; b++) for (const kind of [0, 1] as const) for (let i = 0; i <= steps; i++) items.push({ b, i, kind });
  const chunk = Math.max(1, Math.min(items.length, opts.chunk ?? chunkSize(model, model.numPrefix + P)));
  const keep = new Float32Array(items.length * P);
  items.forEach(({ b, i, kind }, s) => {
    const k = Math.round(fractions[i] * P);
    // Deletion keeps the image outside the top k; insertion keeps only the top k.
    if (kind === 0) keep.fill(1, s * P, (s + 1) * P);
    for (let r = 0; r < k; r++) keep[s * P + orders[b][r]] = kind === 0 ? 0 : 1;
  });
  const base = baselineImages(model, images, opts.baseline ?? 'black');
  let probs: Float64Array;
  try {
    probs = await composedProbs(model, images, base, keep, items.map((it) => it.b), classes, chunk);
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
