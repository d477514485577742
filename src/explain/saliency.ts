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
 * Each returns ExplanationMaps on the pixel grid (pixel-maps.ts): the channel sums as maps, the
 * [C, H, W] attributions beside them; `poolToPatches` gives the patch-grid view.
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
import { normalizedFill } from './baselines.js';
import { pixelMaps, type PixelMaps } from './pixel-maps.js';
import { classTargets, resolveClasses, type ClassSpec } from './class-specs.js';
import { tapOf, type TargetGradients } from './sources.js';

/** Integrated gradients' result: pixel maps and how far their sum is from F(x) - F(baseline). */
export interface IntegratedGradientsMaps extends PixelMaps {
  /** sum(attributions) - (F(x) - F(baseline)) per [t][b]: the error of the path integral. */
  completenessGap: number[][];
}

/** Gradients of the class specs' logits w.r.t. the input, [T][B] of C*H*W, and the classes explained. */
async function inputGradients(model: VisionTransformer, images: Tensor, classes: ClassSpec | readonly ClassSpec[]): Promise<{ grads: Float32Array[][]; ids: number[][] }> {
  using g = gradients(model, images, classTargets(model, images, classes), { grads: ['input'] });
  const ids = await g.classIds();
  return { grads: await inputGradientsOf(g, images.shape[0]), ids };
}

/** The `input` gradients of T targets, split per [t][b] (C*H*W each). */
export async function inputGradientsOf(g: TargetGradients, B: number): Promise<Float32Array[][]> {
  const all = await tapOf(g, 'input').read();
  const n = all.length / (g.T * B);
  return Array.from({ length: g.T }, (_, t) => Array.from({ length: B }, (_, b) => all.slice((t * B + b) * n, (t * B + b + 1) * n)));
}

function shapeOf(images: Tensor): [number, number, number] {
  return [images.shape[1], images.shape[2], images.shape[3]];
}

/** |d score / d x| (or the signed gradient with `abs: false`) on the pixel grid. */
export async function saliency(model: VisionTransformer, images: Tensor, classes: ClassSpec | readonly ClassSpec[], opts: { abs?: boolean } = {}): Promise<PixelMaps> {
  const { grads, ids } = await inputGradients(model, images, classes);
  return saliencyFrom(images, grads, ids, opts);
}

/** saliency from the targets' input gradients ([t][b] of C*H*W). */
export function saliencyFrom(images: Tensor, grads: Float32Array[][], ids: number[][], opts: { abs?: boolean } = {}): PixelMaps {
  const abs = opts.abs ?? true;
  return pixelMaps('saliency', shapeOf(images), abs ? grads.map((r) => r.map((g) => g.map(Math.abs))) : grads, ids, !abs);
}

/** Gradient times input on the pixel grid (signed). */
export async function gradientTimesInput(model: VisionTransformer, images: Tensor, classes: ClassSpec | readonly ClassSpec[]): Promise<PixelMaps> {
  const { grads, ids } = await inputGradients(model, images, classes);
  return gradientTimesInputFrom(images, await images.read(), grads, ids);
}

/** gradientTimesInput from the images' values and the targets' input gradients ([t][b] of C*H*W). */
export function gradientTimesInputFrom(images: Tensor, x: Float32Array, grads: Float32Array[][], ids: number[][]): PixelMaps {
  const n = x.length / images.shape[0];
  return pixelMaps('grad-x-input', shapeOf(images), grads.map((r) => r.map((g, b) => g.map((v, i) => v * x[b * n + i]))), ids, true);
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

/** One chunk of `copies` perturbed copies of a [B, C, H, W] batch, and how they enter the sum. */
interface Chunk {
  copies: number;
  /** perturb()'s per-row coefficient (copy s of image b is row s*B + b). */
  coef: Float32Array;
  /** Weight of each copy's gradient in the sum. */
  weights: Float32Array;
  /** Fills `out` [copies*B, C, H, W] with the copies, given the uploaded coefficients. */
  fill: (coef: Tensor, out: Tensor) => void;
  /** Sum |gradient| instead of the gradient. */
  abs?: boolean;
}

/**
 * acc[t, b, :] (+)= sum_s w[s] * g[t, s*B + b, :]: the targets' input gradients at the chunk's
 * copies, weighted and summed over copies in one matmul. Every tensor made here is released,
 * also when a step throws.
 */
function accumulateChunk(model: VisionTransformer, images: Tensor, ids: number[][], acc: Tensor, chunk: Chunk, accumulate: boolean): void {
  const { ctx } = model;
  const [B, C, H, W] = images.shape;
  const n = C * H * W;
  const T = ids.length;
  const { copies } = chunk;
  const batch = ctx.empty([copies * B, C, H, W]);
  let g: ReturnType<typeof gradients>;
  try {
    const coef = ctx.upload(chunk.coef);
    try {
      chunk.fill(coef, batch);
    } finally {
      coef.release();
    }
    g = gradients(model, batch, ids.map((row) => classTarget(Array.from({ length: copies }, () => row).flat())), { grads: ['input'] });
  } finally {
    batch.release();
  }
  const owned: Tensor[] = [];
  try {
    let grads = g.grads.get('input')!;
    if (chunk.abs) {
      const magnitudes = ctx.empty(grads.shape);
      owned.push(magnitudes);
      absolute(ctx, grads, magnitudes);
      grads = magnitudes;
    }
    const w = ctx.upload(chunk.weights);
    owned.push(w);
    matmul(ctx, {
      M: 1, N: B * n, K: copies, nz1: T, accumulate,
      a: { t: w, rowStride: copies },
      b: { t: grads, rowStride: B * n, s1: copies * B * n },
      c: { t: acc, rowStride: B * n, s1: B * n },
    });
  } finally {
    for (const t of owned) t.release();
    g.release();
  }
}

/** Logits of the images and of the baseline, [2B, K], from one forward. */
async function endLogits(model: VisionTransformer, images: Tensor, base: Tensor): Promise<Float32Array> {
  const { ctx } = model;
  const [B, C, H, W] = images.shape;
  const ends = ctx.empty([2 * B, C, H, W]);
  let r: ReturnType<VisionTransformer['forward']>;
  try {
    ctx.copy(images, 0, ends, 0, images.byteSize);
    ctx.copy(base, 0, ends, images.byteSize, images.byteSize);
    r = model.forward(ends);
  } finally {
    ends.release();
  }
  try {
    return await r.logits!.read();
  } finally {
    r.release();
  }
}

export interface IntegratedGradientsOptions {
  /** Baseline: 'black' (pixel value 0, the default), 'zero' (zero in normalised space) or a [B, C, H, W] tensor. */
  baseline?: 'black' | 'zero' | Tensor;
  steps?: number;
  method?: IgMethod;
  chunk?: number;
  onProgress?: ProgressFn;
}

export async function integratedGradients(model: VisionTransformer, images: Tensor, classes: ClassSpec | readonly ClassSpec[], opts: IntegratedGradientsOptions = {}): Promise<IntegratedGradientsMaps> {
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
      const copies = Math.min(chunk, steps - first);
      accumulateChunk(model, images, ids, acc, {
        copies,
        coef: Float32Array.from({ length: copies * B }, (_, z) => alphas[first + Math.floor(z / B)]),
        weights: Float32Array.from(weights.slice(first, first + copies)),
        fill: (coef, out) => perturb(ctx, { x: images, base, coef, out, copies, mode: 'lerp' }),
      }, first > 0);
      opts.onProgress?.(first + copies, steps);
    }
    const sums = await acc.read();
    const x = await images.read();
    const x0 = await base.read();
    // F(x) and F(x0) for the completeness gap.
    const logits = await endLogits(model, images, base);
    const K = config.numClasses;
    const values = ids.map((_, t) => Array.from({ length: B }, (_, b) => Float32Array.from({ length: n }, (_, i) => (x[b * n + i] - x0[b * n + i]) * sums[(t * B + b) * n + i])));
    const completenessGap = ids.map((row, t) =>
      row.map((cls, b) => values[t][b].reduce((s, v) => s + v, 0) - (logits[b * K + cls] - logits[(B + b) * K + cls])),
    );
    return { ...pixelMaps('integrated-gradients', [C, H, W], values, ids, true), completenessGap };
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

export async function smoothGrad(model: VisionTransformer, images: Tensor, classes: ClassSpec | readonly ClassSpec[], opts: SmoothGradOptions = {}): Promise<PixelMaps> {
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
      const copies = Math.min(chunk, samples - first);
      const seed = ((opts.seed ?? 0) * 7919 + first) >>> 0;
      accumulateChunk(model, images, ids, acc, {
        copies,
        coef: Float32Array.from({ length: copies * B }, (_, z) => sigma[z % B]),
        weights: new Float32Array(copies).fill(1 / samples),
        fill: (coef, out) => perturb(ctx, { x: images, coef, out, copies, mode: 'noise', seed }),
        abs: opts.abs,
      }, first > 0);
      opts.onProgress?.(first + copies, samples);
    }
    const sums = await acc.read();
    const values = ids.map((_, t) => Array.from({ length: B }, (_, b) => sums.slice((t * B + b) * n, (t * B + b + 1) * n)));
    return pixelMaps('smoothgrad', [C, H, W], values, ids, !opts.abs);
  } finally {
    acc.release();
  }
}
