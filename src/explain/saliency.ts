/**
 * Gradient attributions in pixel space, with Captum's semantics:
 *  - saliency: |d score / d x| (Captum Saliency, abs=True) or the signed gradient;
 *  - gradient x input;
 *  - integrated gradients: (x - x0) * sum_i w_i grad(x0 + a_i (x - x0)) with Captum's
 *    approximation rules (riemann_trapezoid by default: a_i = linspace(0, 1, n), w_i = 1/n with the
 *    two ends halved — Captum's own weights, which sum to (n - 1)/n; also left, right, middle and
 *    gausslegendre), and the completeness gap sum(attr) - (F(x) - F(x0)) reported per map;
 *  - SmoothGrad: the mean gradient over noisy copies x + N(0, sigma^2), sigma = noiseLevel *
 *    (max x - min x) per image (the SmoothGrad paper) or an absolute stdev.
 * All copies of a path or noise batch go through one batched forward + backward per chunk.
 * Attributions are [C, H, W] per (target, image); `pixelMap` and `patchGrid` reduce them.
 */
import { InputError } from '../errors.js';
import type { Tensor } from '../gpu/tensor.js';
import { absolute } from '../kernels/elementwise.js';
import { perturb } from '../kernels/explain/perturb.js';
import { matmul } from '../kernels/matmul.js';
import { gradients } from '../model/gradients.js';
import { classTarget } from '../model/targets.js';
import type { VisionTransformer } from '../model/vit.js';
import { chunkSize, type ProgressFn } from './chunks.js';
import type { ExplanationMaps } from './maps.js';
import { normalizedFill } from './occlusion.js';
import { resolveClasses, type ClassSpec } from './targets.js';

export interface PixelAttributions {
  method: string;
  /** [C, H, W] of every attribution. */
  shape: [number, number, number];
  /** values[t][b]: C*H*W values. */
  values: Float32Array[][];
  classes: number[][];
  /** Values take both signs (plain gradients, gradient x input, IG); false for magnitudes. */
  signed: boolean;
  /** Integrated gradients: completeness gap per [t][b]. */
  completenessGap?: number[][];
}

/** Gradients of the targets' logits w.r.t. the input, [T][B] of C*H*W. */
async function inputGradients(model: VisionTransformer, images: Tensor, ids: number[][]): Promise<Float32Array[][]> {
  const g = gradients(model, images, ids.map((c) => classTarget(c)), { grads: ['input'] });
  try {
    const all = await g.grads.get('input')!.read();
    const B = images.shape[0];
    const n = images.size / B;
    return ids.map((_, t) => Array.from({ length: B }, (_, b) => all.slice((t * B + b) * n, (t * B + b + 1) * n)));
  } finally {
    g.release();
  }
}

function shapeOf(images: Tensor): [number, number, number] {
  return [images.shape[1], images.shape[2], images.shape[3]];
}

export async function saliency(model: VisionTransformer, images: Tensor, classes: ClassSpec | readonly ClassSpec[], opts: { abs?: boolean } = {}): Promise<PixelAttributions> {
  const ids = await resolveClasses(model, images, classes);
  const grads = await inputGradients(model, images, ids);
  const abs = opts.abs ?? true;
  return { method: 'saliency', shape: shapeOf(images), classes: ids, signed: !abs, values: abs ? grads.map((r) => r.map((g) => g.map(Math.abs))) : grads };
}

export async function gradientTimesInput(model: VisionTransformer, images: Tensor, classes: ClassSpec | readonly ClassSpec[]): Promise<PixelAttributions> {
  const ids = await resolveClasses(model, images, classes);
  const grads = await inputGradients(model, images, ids);
  const x = await images.read();
  const n = x.length / images.shape[0];
  return { method: 'grad-x-input', shape: shapeOf(images), classes: ids, signed: true, values: grads.map((r) => r.map((g, b) => g.map((v, i) => v * x[b * n + i]))) };
}

export type IgMethod = 'riemann_trapezoid' | 'riemann_left' | 'riemann_right' | 'riemann_middle' | 'gausslegendre';

/** Gauss-Legendre nodes and weights on [-1, 1] (Newton on the Legendre recurrence). */
function gaussLegendre(n: number): { x: number[]; w: number[] } {
  const x: number[] = [];
  const w: number[] = [];
  for (let i = 0; i < n; i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      let p0 = 1;
      let p1 = z;
      for (let k = 2; k <= n; k++) [p0, p1] = [p1, ((2 * k - 1) * z * p1 - (k - 1) * p0) / k];
      if (n === 1) [p0, p1] = [1, z];
      dp = (n * (z * p1 - p0)) / (z * z - 1);
      const dz = p1 / dp;
      z -= dz;
      if (Math.abs(dz) < 1e-15) break;
    }
    x.push(z);
    w.push(2 / ((1 - z * z) * dp * dp));
  }
  return { x, w };
}

/** Captum's step sizes and alphas of an approximation method. */
export function integrationRule(method: IgMethod, n: number): { alphas: number[]; weights: number[] } {
  if (method === 'gausslegendre') {
    const { x, w } = gaussLegendre(n);
    return { alphas: x.map((v) => 0.5 * (1 + v)).reverse(), weights: w.map((v) => 0.5 * v).reverse() };
  }
  if (n < 2) throw new InputError('bad-option', `${method} needs at least 2 steps`);
  const weights = Array<number>(n).fill(1 / n);
  const lin = (a: number, b: number) => Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
  switch (method) {
    case 'riemann_trapezoid':
      weights[0] /= 2;
      weights[n - 1] /= 2;
      return { alphas: lin(0, 1), weights };
    case 'riemann_left':
      return { alphas: lin(0, 1 - 1 / n), weights };
    case 'riemann_right':
      return { alphas: lin(1 / n, 1), weights };
    case 'riemann_middle':
      return { alphas: lin(1 / (2 * n), 1 - 1 / (2 * n)), weights };
    default:
      throw new InputError('bad-option', `unknown integration method ${String(method)}`);
  }
}

/**
 * Weighted sum over `copies` of per-copy input gradients: acc[t, b, :] (+)= sum_s w[s] * g[t, s*B + b, :],
 * the copies of one chunk being the batch rows s*B + b.
 */
function accumulateCopies(model: VisionTransformer, grads: Tensor, weights: Tensor, acc: Tensor, T: number, copies: number, B: number, n: number, accumulate: boolean): void {
  matmul(model.ctx, {
    M: 1, N: B * n, K: copies, nz1: T, accumulate,
    a: { t: weights, rowStride: copies },
    b: { t: grads, rowStride: B * n, s1: copies * B * n },
    c: { t: acc, rowStride: B * n, s1: B * n },
  });
}

export interface IntegratedGradientsOptions {
  /** Baseline: 'black' (pixel value 0, the default), 'zero' (zero in normalised space) or a [B, C, H, W] tensor. */
  baseline?: 'black' | 'zero' | Tensor;
  steps?: number;
  method?: IgMethod;
  chunk?: number;
  onProgress?: ProgressFn;
}

export async function integratedGradients(model: VisionTransformer, images: Tensor, classes: ClassSpec | readonly ClassSpec[], opts: IntegratedGradientsOptions = {}): Promise<PixelAttributions> {
  const ids = await resolveClasses(model, images, classes);
  const { ctx, config } = model;
  const T = ids.length;
  const [B, C, H, W] = images.shape;
  const n = C * H * W;
  const steps = opts.steps ?? 50;
  const { alphas, weights } = integrationRule(opts.method ?? 'riemann_trapezoid', steps);
  let base: Tensor;
  if (opts.baseline && typeof opts.baseline === 'object') {
    if (opts.baseline.size !== images.size) throw new InputError('bad-shape', `baseline has ${opts.baseline.size} values, images ${images.size}`);
    base = opts.baseline.retain();
  } else {
    const fill = opts.baseline === 'zero' ? new Float32Array(C) : normalizedFill(model, 0);
    const data = new Float32Array(images.size);
    for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) data.fill(fill[c], (b * C + c) * H * W, (b * C + c + 1) * H * W);
    base = ctx.upload(data, images.shape);
  }
  const N = model.numPrefix + model.gridFor(H, W)[0] * model.gridFor(H, W)[1];
  const chunk = Math.max(1, Math.min(steps, opts.chunk ?? Math.floor(chunkSize(model, N) / (2 * B))));
  const acc = ctx.empty([T, B, n]);
  try {
    for (let first = 0; first < steps; first += chunk) {
      const count = Math.min(chunk, steps - first);
      const coef = ctx.upload(Float32Array.from({ length: count * B }, (_, z) => alphas[first + Math.floor(z / B)]));
      const batch = ctx.empty([count * B, C, H, W]);
      perturb(ctx, { x: images, base, coef, out: batch, copies: count, mode: 'lerp' });
      coef.release();
      const g = gradients(model, batch, ids.map((row) => classTarget(Array.from({ length: count }, () => row).flat())), { grads: ['input'] });
      batch.release();
      const w = ctx.upload(Float32Array.from(weights.slice(first, first + count)));
      accumulateCopies(model, g.grads.get('input')!, w, acc, T, count, B, n, first > 0);
      w.release();
      g.release();
      opts.onProgress?.(first + count, steps);
    }
    const sums = await acc.read();
    const x = await images.read();
    const x0 = await base.read();
    // F(x) and F(x0) for the completeness gap.
    const ends = ctx.empty([2 * B, C, H, W]);
    ctx.copy(images, 0, ends, 0, images.byteSize);
    ctx.copy(base, 0, ends, images.byteSize, images.byteSize);
    const r = model.forward(ends);
    ends.release();
    const logits = await r.logits!.read();
    r.release();
    const K = config.numClasses;
    const values = ids.map((_, t) => Array.from({ length: B }, (_, b) => Float32Array.from({ length: n }, (_, i) => (x[b * n + i] - x0[b * n + i]) * sums[(t * B + b) * n + i])));
    const completenessGap = ids.map((row, t) =>
      row.map((cls, b) => values[t][b].reduce((s, v) => s + v, 0) - (logits[b * K + cls] - logits[(B + b) * K + cls])),
    );
    return { method: 'integrated-gradients', shape: [C, H, W], classes: ids, signed: true, values, completenessGap };
  } finally {
    acc.release();
    base.release();
  }
}

export interface SmoothGradOptions {
  samples?: number;
  /** Noise standard deviation relative to the image's value range (default 0.15). */
  noiseLevel?: number;
  /** Absolute noise standard deviation (overrides noiseLevel), as Captum's `stdevs`. */
  stdev?: number;
  /** Average |gradient| instead of the gradient (Captum's NoiseTunnel over Saliency). */
  abs?: boolean;
  seed?: number;
  chunk?: number;
  onProgress?: ProgressFn;
}

export async function smoothGrad(model: VisionTransformer, images: Tensor, classes: ClassSpec | readonly ClassSpec[], opts: SmoothGradOptions = {}): Promise<PixelAttributions> {
  const ids = await resolveClasses(model, images, classes);
  const { ctx } = model;
  const T = ids.length;
  const [B, C, H, W] = images.shape;
  const n = C * H * W;
  const samples = opts.samples ?? 25;
  if (!(samples >= 1)) throw new InputError('bad-option', `samples must be >= 1, got ${samples}`);
  const x = await images.read();
  const sigma = Array.from({ length: B }, (_, b) => {
    if (opts.stdev !== undefined) return opts.stdev;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = b * n; i < (b + 1) * n; i++) {
      lo = Math.min(lo, x[i]);
      hi = Math.max(hi, x[i]);
    }
    return (opts.noiseLevel ?? 0.15) * (hi - lo);
  });
  const N = model.numPrefix + model.gridFor(H, W)[0] * model.gridFor(H, W)[1];
  const chunk = Math.max(1, Math.min(samples, opts.chunk ?? Math.floor(chunkSize(model, N) / (2 * B))));
  const acc = ctx.empty([T, B, n]);
  try {
    for (let first = 0; first < samples; first += chunk) {
      const count = Math.min(chunk, samples - first);
      const batch = ctx.empty([count * B, C, H, W]);
      const coef = ctx.upload(Float32Array.from({ length: count * B }, (_, z) => sigma[z % B]));
      perturb(ctx, { x: images, coef, out: batch, copies: count, mode: 'noise', seed: ((opts.seed ?? 0) * 7919 + first) >>> 0 });
      coef.release();
      const g = gradients(model, batch, ids.map((row) => classTarget(Array.from({ length: count }, () => row).flat())), { grads: ['input'] });
      batch.release();
      let grads = g.grads.get('input')!;
      if (opts.abs) {
        const magnitudes = ctx.empty(grads.shape);
        absolute(ctx, grads, magnitudes);
        grads = magnitudes;
      }
      const w = ctx.upload(new Float32Array(count).fill(1 / samples));
      accumulateCopies(model, grads, w, acc, T, count, B, n, first > 0);
      w.release();
      if (opts.abs) grads.release();
      g.release();
      opts.onProgress?.(first + count, samples);
    }
    const sums = await acc.read();
    return {
      method: 'smoothgrad',
      shape: [C, H, W],
      classes: ids,
      signed: !opts.abs,
      values: ids.map((_, t) => Array.from({ length: B }, (_, b) => sums.slice((t * B + b) * n, (t * B + b + 1) * n))),
    };
  } finally {
    acc.release();
  }
}

/** Reduces [C, H, W] attributions to [H, W]: max |v| over channels, sum, or sum of |v|. */
export function pixelMap(values: Float32Array, shape: [number, number, number], reduce: 'max-abs' | 'sum' | 'sum-abs' = 'max-abs'): Float32Array {
  const [C, H, W] = shape;
  const out = new Float32Array(H * W);
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < H * W; i++) {
      const v = values[c * H * W + i];
      if (reduce === 'max-abs') out[i] = Math.max(out[i], Math.abs(v));
      else out[i] += reduce === 'sum' ? v : Math.abs(v);
    }
  }
  return out;
}

/** Sums a pixel map over each patch: the patch-grid view of a pixel attribution. */
export function patchGrid(map: Float32Array, H: number, W: number, ph: number, pw: number): Float32Array {
  const gh = Math.floor(H / ph);
  const gw = Math.floor(W / pw);
  const out = new Float32Array(gh * gw);
  for (let y = 0; y < gh * ph; y++) for (let x = 0; x < gw * pw; x++) out[Math.floor(y / ph) * gw + Math.floor(x / pw)] += map[y * W + x];
  return out;
}

/** Pixel attributions as patch-grid maps (sum over each patch of the channel-reduced map). */
export function attributionMaps(model: VisionTransformer, a: PixelAttributions, reduce: 'max-abs' | 'sum' | 'sum-abs' = 'sum'): ExplanationMaps {
  const [, H, W] = a.shape;
  const [ph, pw] = model.config.patchSize;
  return {
    method: a.method,
    grid: model.gridFor(H, W),
    signed: a.signed && reduce === 'sum',
    classes: a.classes,
    maps: a.values.map((row) => row.map((v) => patchGrid(pixelMap(v, a.shape, reduce), H, W, ph, pw))),
  };
}
