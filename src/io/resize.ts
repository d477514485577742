/**
 * Image and feature-map resampling that reproduces the references bit for bit (8-bit) or to float
 * rounding (float maps):
 *
 * - `resizePil`: Pillow 9.4 `Image.resize` of 8-bit images (BICUBIC, BILINEAR, NEAREST). Pillow
 *   resamples with a separable convolution: a horizontal pass into an intermediate 8-bit image, then
 *   a vertical pass. When downsampling, the filter is stretched by the scale factor (antialiasing).
 *   Weights are normalised to sum 1, converted to 22-bit fixed point, and each output sample is
 *   `clamp((2^21 + sum k_j * in_j) >> 22, 0, 255)`. LA / RGBA images are resampled with
 *   premultiplied alpha, as Pillow does.
 * - `resizeFloatAntialiased`: torch `F.interpolate(mode='bicubic'|'bilinear', antialias=True,
 *   align_corners=False)`, the same separable filter in floating point (used by timm to resample
 *   position embeddings).
 * - `upsampleBilinear`: torch `F.interpolate(mode='bilinear', align_corners=False)` / cv2.resize
 *   INTER_LINEAR of a float map (used to draw patch-grid maps at image size).
 *
 * Everything here is written from the definitions in ../shared/golden/README.md; the filter-weight
 * rules (centre, support, bounds, normalisation) are shared by the Pillow and the torch paths,
 * because torch's antialiased kernels follow Pillow's.
 */
import { ImageError, InputError } from '../errors.js';
import { assertRawImage, type RawImage } from './image.js';

export type PilFilter = 'bicubic' | 'bilinear' | 'nearest';
export type AntialiasMode = 'bicubic' | 'bilinear';

/** A separable resampling kernel: support radius at scale 1, and the kernel function. */
interface Kernel {
  support: number;
  at(x: number): number;
}

/** Keys' cubic convolution kernel with a = -0.5 (Pillow BICUBIC, torch antialiased bicubic). */
function cubicKernel(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

/** Triangle (tent) kernel: Pillow BILINEAR, torch antialiased bilinear. */
function triangleKernel(x: number): number {
  const t = Math.abs(x);
  return t < 1 ? 1 - t : 0;
}

const KERNELS: Record<AntialiasMode, Kernel> = {
  bicubic: { support: 2, at: cubicKernel },
  bilinear: { support: 1, at: triangleKernel },
};

/**
 * Filter taps of one axis (in -> out samples). Output i reads inputs `first[i] .. first[i] + count[i] - 1`
 * with weights `weights[i * taps + j]`, normalised to sum 1.
 */
export interface AxisWeights {
  first: Int32Array;
  count: Int32Array;
  weights: Float64Array;
  taps: number;
}

/**
 * Computes the antialiased filter taps for one axis. When downsampling (scale = in/out > 1) the
 * kernel is stretched by the scale so every input sample contributes (antialiasing); when
 * upsampling it is used as is. Both Pillow and torch evaluate the kernel at
 * `(j - center + 0.5) * (1 / filterScale)` (a multiplication by the reciprocal, kept here so the
 * doubles round the same way) and truncate `center -/+ support + 0.5` to get the bounds.
 */
export function axisWeights(inSize: number, outSize: number, mode: AntialiasMode): AxisWeights {
  const kernel = KERNELS[mode];
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = kernel.support * filterScale;
  const invFilterScale = 1 / filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * taps);
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    let total = 0;
    for (let j = lo; j < hi; j++) {
      const w = kernel.at((j - center + 0.5) * invFilterScale);
      weights[i * taps + (j - lo)] = w;
      total += w;
    }
    if (total !== 0) {
      for (let j = 0; j < hi - lo; j++) weights[i * taps + j] /= total;
    }
    first[i] = lo;
    count[i] = hi - lo;
  }
  return { first, count, weights, taps };
}

// ---------------------------------------------------------------------------------------------
// Pillow, 8-bit

/** Pillow's fixed-point precision for 8-bit resampling: 32 - 8 - 2 bits. */
const PRECISION_BITS = 22;
const FIXED_ONE = 1 << PRECISION_BITS;
const FIXED_HALF = 1 << (PRECISION_BITS - 1);

/** Weights rounded half away from zero to 22-bit fixed point, as Pillow does for 8-bit images. */
function toFixedPoint(w: AxisWeights): Int32Array {
  const k = new Int32Array(w.weights.length);
  for (let i = 0; i < k.length; i++) {
    const v = w.weights[i];
    k[i] = v < 0 ? Math.trunc(-0.5 + v * FIXED_ONE) : Math.trunc(0.5 + v * FIXED_ONE);
  }
  return k;
}

/** Fixed-point accumulator -> 8-bit sample: the sum carries the 2^21 rounding bias already. */
function clip8(acc: number): number {
  const v = acc >> PRECISION_BITS; // |acc| < 2^31 for 8-bit inputs and normalised weights
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** One Pillow pass along x: (h, inW, c) -> (h, outW, c). */
function pilHorizontalPass(src: Uint8Array, h: number, inW: number, c: number, outW: number, mode: AntialiasMode): Uint8Array {
  const w = axisWeights(inW, outW, mode);
  const k = toFixedPoint(w);
  const out = new Uint8Array(h * outW * c);
  for (let y = 0; y < h; y++) {
    const row = y * inW * c;
    for (let x = 0; x < outW; x++) {
      const base = row + w.first[x] * c;
      const n = w.count[x];
      const kOff = x * w.taps;
      for (let ch = 0; ch < c; ch++) {
        let acc = FIXED_HALF;
        for (let j = 0; j < n; j++) acc += src[base + j * c + ch] * k[kOff + j];
        out[(y * outW + x) * c + ch] = clip8(acc);
      }
    }
  }
  return out;
}

/** One Pillow pass along y: (inH, w, c) -> (outH, w, c). */
function pilVerticalPass(src: Uint8Array, inH: number, w: number, c: number, outH: number, mode: AntialiasMode): Uint8Array {
  const wy = axisWeights(inH, outH, mode);
  const k = toFixedPoint(wy);
  const rowLen = w * c;
  const out = new Uint8Array(outH * rowLen);
  for (let y = 0; y < outH; y++) {
    const base = wy.first[y] * rowLen;
    const n = wy.count[y];
    const kOff = y * wy.taps;
    for (let i = 0; i < rowLen; i++) {
      let acc = FIXED_HALF;
      for (let j = 0; j < n; j++) acc += src[base + j * rowLen + i] * k[kOff + j];
      out[y * rowLen + i] = clip8(acc);
    }
  }
  return out;
}

/**
 * Pillow's NEAREST resize: an affine scale whose source coordinate is accumulated in doubles,
 * `xo = scale / 2, then xo += scale` per output pixel, truncated (sources outside the image give 0).
 */
function nearestIndices(inSize: number, outSize: number): Int32Array {
  const scale = inSize / outSize;
  const idx = new Int32Array(outSize);
  let xo = scale * 0.5;
  for (let i = 0; i < outSize; i++) {
    const xin = xo < 0 ? -1 : Math.trunc(xo);
    idx[i] = xin < inSize ? xin : -1;
    xo += scale;
  }
  return idx;
}

function pilNearest(src: RawImage, outW: number, outH: number): Uint8Array {
  const c = src.channels;
  const xs = nearestIndices(src.width, outW);
  const ys = nearestIndices(src.height, outH);
  const out = new Uint8Array(outW * outH * c);
  for (let y = 0; y < outH; y++) {
    if (ys[y] < 0) continue;
    for (let x = 0; x < outW; x++) {
      if (xs[x] < 0) continue;
      const s = (ys[y] * src.width + xs[x]) * c;
      for (let ch = 0; ch < c; ch++) out[(y * outW + x) * c + ch] = src.data[s + ch];
    }
  }
  return out;
}

/** PIL RGBA -> RGBa (and LA -> La): colour * alpha / 255 with Pillow's rounding `((t >> 8) + t) >> 8`, t = c * a + 128. */
function premultiply(data: Uint8Array, c: number): Uint8Array {
  const out = new Uint8Array(data);
  for (let p = 0; p < out.length; p += c) {
    const a = out[p + c - 1];
    for (let ch = 0; ch < c - 1; ch++) {
      const t = out[p + ch] * a + 128;
      out[p + ch] = ((t >> 8) + t) >> 8;
    }
  }
  return out;
}

/** PIL RGBa -> RGBA (and La -> LA): colour * 255 / alpha in integers, clipped; alpha 0 and 255 keep the colour. */
function unpremultiply(data: Uint8Array, c: number): Uint8Array {
  for (let p = 0; p < data.length; p += c) {
    const a = data[p + c - 1];
    if (a === 0 || a === 255) continue;
    for (let ch = 0; ch < c - 1; ch++) data[p + ch] = Math.min(255, Math.trunc((255 * data[p + ch]) / a));
  }
  return data;
}

export interface PilResizeOptions {
  /**
   * Resample colour with premultiplied alpha (Pillow's behaviour for LA and RGBA with BILINEAR /
   * BICUBIC). Default true for 2- and 4-channel images; false treats every channel independently.
   */
  premultiplyAlpha?: boolean;
}

/**
 * Pillow 9.4 `image.resize((width, height), filter)` of an 8-bit image with 1..4 channels
 * (L, LA, RGB, RGBA), bit-exact. Returns a new image (a copy when the size does not change, as
 * Pillow does).
 */
export function resizePil(src: RawImage, width: number, height: number, filter: PilFilter, opts: PilResizeOptions = {}): RawImage {
  assertRawImage(src, 'resize source');
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width <= 0 || height <= 0) {
    throw new ImageError('bad-size', `resize: target size must be positive integers, got ${width}x${height}`);
  }
  if (filter !== 'bicubic' && filter !== 'bilinear' && filter !== 'nearest') {
    throw new InputError('bad-filter', `resize: unknown filter ${JSON.stringify(filter)} (expected 'bicubic', 'bilinear' or 'nearest')`);
  }
  const c = src.channels;
  const data = src.data instanceof Uint8Array ? src.data : new Uint8Array(src.data.buffer, src.data.byteOffset, src.data.byteLength);
  if (width === src.width && height === src.height) {
    return { data: new Uint8Array(data), width, height, channels: c };
  }
  if (filter === 'nearest') {
    return { data: pilNearest(src, width, height), width, height, channels: c };
  }
  const alpha = (c === 2 || c === 4) && opts.premultiplyAlpha !== false;
  let buf = alpha ? premultiply(data, c) : data;
  let w = src.width;
  if (width !== src.width) {
    buf = pilHorizontalPass(buf, src.height, src.width, c, width, filter);
    w = width;
  }
  if (height !== src.height) buf = pilVerticalPass(buf, src.height, w, c, height, filter);
  if (alpha) buf = unpremultiply(buf, c); // buf is a fresh array: at least one pass ran
  return { data: buf, width, height, channels: c };
}

// ---------------------------------------------------------------------------------------------
// torch, float

function assertMapArgs(fn: string, src: ArrayLike<number>, c: number, inH: number, inW: number, outH: number, outW: number): void {
  for (const [name, v] of Object.entries({ C: c, inH, inW, outH, outW })) {
    if (!Number.isSafeInteger(v) || v <= 0) throw new InputError('bad-shape', `${fn}: ${name} must be a positive integer, got ${v}`);
  }
  if (src.length !== c * inH * inW) {
    throw new InputError('bad-shape', `${fn}: input has ${src.length} values, expected C*inH*inW = ${c}*${inH}*${inW} = ${c * inH * inW}`);
  }
}

/**
 * torch `F.interpolate(x, size=(outH, outW), mode, antialias=True, align_corners=False)` of a CHW
 * float map (C planes of inH x inW). Separable like torch: a horizontal pass into a float32
 * intermediate, then a vertical pass; sums are taken in float64, so results differ from torch's
 * float32 arithmetic by rounding only (~1e-7 relative).
 */
export function resizeFloatAntialiased(src: ArrayLike<number>, C: number, inH: number, inW: number, outH: number, outW: number, mode: AntialiasMode): Float32Array {
  assertMapArgs('resizeFloatAntialiased', src, C, inH, inW, outH, outW);
  if (mode !== 'bicubic' && mode !== 'bilinear') {
    throw new InputError('bad-mode', `resizeFloatAntialiased: mode must be 'bicubic' or 'bilinear', got ${JSON.stringify(mode)}`);
  }
  const wx = axisWeights(inW, outW, mode);
  const wy = axisWeights(inH, outH, mode);
  const tmp = new Float32Array(C * inH * outW);
  for (let row = 0; row < C * inH; row++) {
    for (let x = 0; x < outW; x++) {
      let acc = 0;
      const base = row * inW + wx.first[x];
      for (let j = 0; j < wx.count[x]; j++) acc += src[base + j] * wx.weights[x * wx.taps + j];
      tmp[row * outW + x] = acc;
    }
  }
  const out = new Float32Array(C * outH * outW);
  for (let ch = 0; ch < C; ch++) {
    for (let y = 0; y < outH; y++) {
      for (let x = 0; x < outW; x++) {
        let acc = 0;
        const base = (ch * inH + wy.first[y]) * outW + x;
        for (let j = 0; j < wy.count[y]; j++) acc += tmp[base + j * outW] * wy.weights[y * wy.taps + j];
        out[(ch * outH + y) * outW + x] = acc;
      }
    }
  }
  return out;
}

/** Source index and weight of the upper neighbour for align_corners=False linear interpolation. */
function linearTaps(inSize: number, outSize: number): { i0: Int32Array; i1: Int32Array; t: Float64Array } {
  const scale = inSize / outSize;
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const t = new Float64Array(outSize);
  for (let i = 0; i < outSize; i++) {
    // pixel centres line up: src = (dst + 0.5) * scale - 0.5, clamped at the first sample
    const s = Math.max((i + 0.5) * scale - 0.5, 0);
    const lo = Math.min(Math.floor(s), inSize - 1);
    i0[i] = lo;
    i1[i] = Math.min(lo + 1, inSize - 1);
    t[i] = s - lo;
  }
  return { i0, i1, t };
}

/**
 * Bilinear resize of one float map (h x w, row-major) to outH x outW with align_corners=False
 * semantics (torch F.interpolate(mode='bilinear') without antialias; cv2.resize INTER_LINEAR on
 * float maps). No antialiasing, so meant for upsampling patch-grid maps to image size.
 */
export function upsampleBilinear(map: ArrayLike<number>, h: number, w: number, outH: number, outW: number): Float32Array {
  assertMapArgs('upsampleBilinear', map, 1, h, w, outH, outW);
  const xs = linearTaps(w, outW);
  const ys = linearTaps(h, outH);
  const out = new Float32Array(outH * outW);
  for (let y = 0; y < outH; y++) {
    const r0 = ys.i0[y] * w;
    const r1 = ys.i1[y] * w;
    const ty = ys.t[y];
    for (let x = 0; x < outW; x++) {
      const tx = xs.t[x];
      const top = (1 - tx) * map[r0 + xs.i0[x]] + tx * map[r0 + xs.i1[x]];
      const bottom = (1 - tx) * map[r1 + xs.i0[x]] + tx * map[r1 + xs.i1[x]];
      out[y * outW + x] = (1 - ty) * top + ty * bottom;
    }
  }
  return out;
}
