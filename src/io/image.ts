/**
 * Plain 8-bit images and the small conversions the preprocessing needs. Browser-safe: no `node:`
 * imports and no decoders here (this module is bundled for browsers; decoding lives in
 * decode-node.ts for Node, and in the browser the canvas gives ImageData).
 *
 * Pixel layout is HWC, row-major, top row first: sample (y, x, c) is `data[(y * width + x) * channels + c]`.
 * Channel meaning follows PIL's 8-bit modes: 1 = 'L', 2 = 'LA', 3 = 'RGB', 4 = 'RGBA' (alpha not premultiplied).
 */
import { ImageError, InputError } from '../errors.js';

export type PixelData = Uint8Array | Uint8ClampedArray;

/** An 8-bit image with 1..4 interleaved channels (L, LA, RGB, RGBA). */
export interface RawImage {
  data: PixelData;
  width: number;
  height: number;
  channels: number;
}

/** A RawImage known to be RGB. */
export type RgbImage = RawImage & { channels: 3 };

/** What a canvas returns from getImageData (or anything shaped like it): RGBA, 4 bytes per pixel. */
export interface ImageDataLike {
  data: PixelData;
  width: number;
  height: number;
}

/** Channel counts that name a PIL 8-bit mode. */
export const MODE_NAMES: Record<number, string> = { 1: 'L', 2: 'LA', 3: 'RGB', 4: 'RGBA' };

/**
 * Throws an ImageError unless `img` is a well-formed image: positive integer sizes, a channel count
 * in `allowedChannels`, and exactly width * height * channels bytes. `what` names the image in messages.
 */
export function assertRawImage(img: RawImage, what = 'image', allowedChannels: readonly number[] = [1, 2, 3, 4]): void {
  if (img === null || typeof img !== 'object') {
    throw new ImageError('bad-image', `${what}: expected an object { data, width, height, channels }, got ${img === null ? 'null' : typeof img}`);
  }
  const { width, height, channels, data } = img;
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width <= 0 || height <= 0) {
    throw new ImageError('bad-size', `${what}: width and height must be positive integers, got ${width}x${height}`);
  }
  if (!allowedChannels.includes(channels)) {
    const names = allowedChannels.map((c) => `${c} (${MODE_NAMES[c] ?? '?'})`).join(', ');
    throw new ImageError('bad-channels', `${what}: expected ${names} channels, got ${channels}`);
  }
  // by tag rather than instanceof, so typed arrays from another realm (worker, iframe) pass too
  const tag = Object.prototype.toString.call(data);
  if (tag !== '[object Uint8Array]' && tag !== '[object Uint8ClampedArray]') {
    throw new ImageError('bad-data', `${what}: data must be a Uint8Array or Uint8ClampedArray of 8-bit samples`);
  }
  const expected = width * height * channels;
  if (data.length !== expected) {
    throw new ImageError('bad-data-length', `${what}: ${width}x${height}x${channels} needs ${expected} bytes of data, got ${data.length}`);
  }
}

/**
 * Wraps canvas ImageData (RGBA) as a RawImage without copying. `alpha: 'drop'` returns an RGB copy
 * instead (what PIL's convert('RGB') would give).
 */
export function fromImageData(img: ImageDataLike, opts: { alpha?: 'keep' | 'drop' } = {}): RawImage {
  const rgba: RawImage = { data: img.data, width: img.width, height: img.height, channels: 4 };
  assertRawImage(rgba, 'ImageData', [4]);
  return opts.alpha === 'drop' ? toRgb(rgba) : rgba;
}

/**
 * PIL `convert('RGB')` of an 8-bit image: L and LA replicate the grey level, RGBA and LA drop alpha
 * (no compositing onto a background, as PIL does). An RGB image is returned as is (not copied).
 */
export function toRgb(img: RawImage): RgbImage {
  assertRawImage(img);
  const { width, height, channels, data } = img;
  if (channels === 3) return img as RgbImage;
  const n = width * height;
  const out = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    const s = p * channels;
    if (channels <= 2) {
      out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = data[s];
    } else {
      out[3 * p] = data[s];
      out[3 * p + 1] = data[s + 1];
      out[3 * p + 2] = data[s + 2];
    }
  }
  return { data: out, width, height, channels: 3 };
}

/**
 * PIL `convert('L')`: ITU-R 601-2 luma in Pillow's 16-bit fixed point,
 * `L = (19595 R + 38470 G + 7471 B + 0x8000) >> 16` (weights = round(0.299 / 0.587 / 0.114 * 65536),
 * 0x8000 rounds to nearest). Alpha is ignored; LA drops it; L is returned as is.
 */
export function toGray(img: RawImage): RawImage {
  assertRawImage(img);
  const { width, height, channels, data } = img;
  if (channels === 1) return img;
  const n = width * height;
  const out = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    const s = p * channels;
    out[p] = channels === 2 ? data[s] : (data[s] * 19595 + data[s + 1] * 38470 + data[s + 2] * 7471 + 0x8000) >>> 16;
  }
  return { data: out, width, height, channels: 1 };
}

/** Copy of `img` without its alpha channel (RGBA -> RGB, LA -> L); images without alpha are returned as is. */
export function dropAlpha(img: RawImage): RawImage {
  assertRawImage(img);
  if (img.channels === 2) return toGray(img);
  if (img.channels === 4) return toRgb(img);
  return img;
}

/**
 * `img` composited onto an opaque `background` grey level (0..255): what a viewer shows for a
 * transparent image, where PIL's convert('RGB') (and `toRgb`) would keep the colour stored under
 * transparent pixels, which is often black or arbitrary. Images without alpha are returned as is;
 * `hadTransparency` says whether any pixel was not fully opaque.
 */
export function flattenAlpha(img: RawImage, background = 255): { image: RawImage; hadTransparency: boolean } {
  assertRawImage(img);
  if (img.channels !== 2 && img.channels !== 4) return { image: img, hadTransparency: false };
  if (!Number.isInteger(background) || background < 0 || background > 255) throw new InputError('bad-option', `background must be an integer 0..255, got ${background}`);
  const { width, height, channels: c, data } = img;
  const colour = c - 1;
  const out = new Uint8Array(width * height * colour);
  let hadTransparency = false;
  for (let p = 0; p < width * height; p++) {
    const a = data[p * c + colour];
    if (a !== 255) hadTransparency = true;
    for (let k = 0; k < colour; k++) out[p * colour + k] = Math.round((data[p * c + k] * a + background * (255 - a)) / 255);
  }
  return { image: { data: out, width, height, channels: colour }, hadTransparency };
}

/**
 * Stacks preprocessed CHW images (each of `chw = [C, H, W]`) into one NCHW batch tensor,
 * in the given order.
 */
export function stackBatch(images: readonly Float32Array[], chw: readonly [number, number, number]): { data: Float32Array; shape: [number, number, number, number] } {
  const [c, h, w] = chw;
  const per = c * h * w;
  if (!(per > 0) || !chw.every((d) => Number.isSafeInteger(d))) {
    throw new InputError('bad-shape', `stackBatch: shape [${chw.join(', ')}] must be three positive integers [C, H, W]`);
  }
  if (images.length === 0) throw new InputError('empty-batch', 'stackBatch: no images given');
  const out = new Float32Array(images.length * per);
  images.forEach((img, b) => {
    if (!(img instanceof Float32Array) || img.length !== per) {
      throw new InputError('bad-shape', `stackBatch: image ${b} has ${img?.length} values, expected C*H*W = ${c}*${h}*${w} = ${per}`);
    }
    out.set(img, b * per);
  });
  return { data: out, shape: [images.length, c, h, w] };
}
