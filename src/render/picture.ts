/**
 * Explanation maps as pictures: a patch-grid map upsampled bilinearly and laid over the image the
 * model saw, per-layer x per-head attention grids, and tiling. Browser-safe (plain pixels in and
 * out; `toImageData` hands a picture to a canvas; PNG encoding for Node is in encode-node.ts).
 *
 * Scaling: unsigned maps run min..max over the colour map; signed maps run -m..m with
 * m = max |value|, so zero is always the neutral middle colour and the two signs compare fairly.
 */
import { InputError } from '../errors.js';
import { colorAt, colormap, type ColormapName } from './colormap.js';
import { toRgb, type RawImage, type RgbImage } from '../io/image.js';
import { resizePil, upsampleBilinear } from '../io/resize.js';

export interface PictureOptions {
  /** Default: turbo for unsigned maps, rdbu (diverging) for signed ones. */
  colormap?: ColormapName;
  /** Longer side of the picture in pixels (default: the image's own, at least 224). */
  size?: number;
  /** Opacity of the heat map over the image (default 0.6). Signed maps fade out towards zero. */
  alpha?: number;
  /** Values mapped to the ends of the colour map (default: see the module comment). */
  range?: [number, number];
  /**
   * The part of the image the patch grid covers, in image pixels [height, width] from the top
   * left (default: all of it). timm's patch embedding drops the last rows / columns when the
   * input is not a multiple of the patch size; those pixels get no colour.
   */
  mapArea?: [number, number];
}

export interface MapPicture {
  image: RgbImage;
  /** The values at the two ends of the colour map. */
  range: [number, number];
  colormap: ColormapName;
}

const DEFAULT_SIZE = 224;

/** The value range a map is drawn with (see the module comment). */
export function mapRange(map: ArrayLike<number>, signed: boolean): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < map.length; i++) {
    const v = map[i];
    if (Number.isNaN(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (lo > hi) return signed ? [-1, 1] : [0, 1]; // all NaN
  if (signed) {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    return [-m, m];
  }
  return hi > lo ? [lo, hi] : [lo, lo + 1];
}

/** Display size for an image: the longer side becomes `size`. */
export function displaySize(width: number, height: number, size?: number): [number, number] {
  const target = size ?? Math.max(DEFAULT_SIZE, width, height);
  if (!Number.isInteger(target) || target < 1) throw new InputError('bad-option', `picture size must be a positive integer, got ${size}`);
  const s = target / Math.max(width, height);
  return [Math.max(1, Math.round(width * s)), Math.max(1, Math.round(height * s))];
}

/** The image as RGB at display size (bicubic, as PIL resizes). */
export function scaleImage(img: RawImage, width: number, height: number): RgbImage {
  const rgb = toRgb(img);
  return rgb.width === width && rgb.height === height ? rgb : (resizePil(rgb, width, height, 'bicubic') as RgbImage);
}

function checkMap(map: ArrayLike<number>, grid: readonly [number, number]): void {
  const [gh, gw] = grid;
  if (!Number.isInteger(gh) || !Number.isInteger(gw) || gh < 1 || gw < 1 || map.length !== gh * gw) {
    throw new InputError('bad-shape', `a map on a ${gh}x${gw} grid needs ${gh * gw} values, got ${map.length}`);
  }
}

/**
 * Lays `map` (gh x gw, row-major) over `base`. The map is upsampled bilinearly to the covered
 * area at display size; the image is scaled to the same size.
 */
export function overlayMap(base: RawImage, map: ArrayLike<number>, grid: readonly [number, number], signed: boolean, opts: PictureOptions = {}): MapPicture {
  checkMap(map, grid);
  const [W, H] = displaySize(base.width, base.height, opts.size);
  const img = scaleImage(base, W, H);
  const name = opts.colormap ?? (signed ? 'rdbu' : 'turbo');
  const cmap = colormap(name);
  const range = opts.range ?? mapRange(map, signed);
  const alpha = opts.alpha ?? 0.6;
  const [ah, aw] = opts.mapArea ?? [base.height, base.width];
  const mh = Math.max(1, Math.round((ah * H) / base.height));
  const mw = Math.max(1, Math.round((aw * W) / base.width));
  const up = upsampleBilinear(map, grid[0], grid[1], mh, mw);
  const out = new Uint8Array(W * H * 3);
  const span = range[1] - range[0] || 1;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * 3;
      if (y >= mh || x >= mw) {
        out.set(img.data.subarray(o, o + 3), o);
        continue;
      }
      const t = (up[y * mw + x] - range[0]) / span;
      const [r, g, b] = colorAt(cmap, t);
      // Signed: opacity grows with |value|, so "no effect" shows the image, not a white veil.
      const a = signed ? Math.min(1, alpha * 1.4) * Math.min(1, Math.abs(2 * t - 1)) : alpha * (0.3 + 0.7 * Math.min(1, Math.max(0, t)));
      out[o] = Math.round(img.data[o] * (1 - a) + r * a);
      out[o + 1] = Math.round(img.data[o + 1] * (1 - a) + g * a);
      out[o + 2] = Math.round(img.data[o + 2] * (1 - a) + b * a);
    }
  }
  return { image: { data: out, width: W, height: H, channels: 3 }, range, colormap: name };
}

/** The map alone in colour at `width` x `height` (bilinear; `nearest` shows the patches as blocks). */
export function heatmapImage(map: ArrayLike<number>, grid: readonly [number, number], signed: boolean, width: number, height: number, opts: Pick<PictureOptions, 'colormap' | 'range'> & { nearest?: boolean } = {}): MapPicture {
  checkMap(map, grid);
  const name = opts.colormap ?? (signed ? 'rdbu' : 'turbo');
  const cmap = colormap(name);
  const range = opts.range ?? mapRange(map, signed);
  const [gh, gw] = grid;
  const up = opts.nearest ? null : upsampleBilinear(map, gh, gw, height, width);
  const out = new Uint8Array(width * height * 3);
  const span = range[1] - range[0] || 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = up ? up[y * width + x] : map[Math.min(gh - 1, Math.floor((y * gh) / height)) * gw + Math.min(gw - 1, Math.floor((x * gw) / width))];
      out.set(colorAt(cmap, (v - range[0]) / span), (y * width + x) * 3);
    }
  }
  return { image: { data: out, width, height, channels: 3 }, range, colormap: name };
}

/** Tiles pictures row by row with `gap` pixels of `background` between them (rows may differ in length). */
export function tileImages(rows: readonly (readonly RgbImage[])[], gap = 4, background = 255): RgbImage {
  if (rows.length === 0 || rows.every((r) => r.length === 0)) throw new InputError('bad-shape', 'nothing to tile');
  const tw = Math.max(...rows.flat().map((t) => t.width));
  const th = Math.max(...rows.flat().map((t) => t.height));
  const cols = Math.max(...rows.map((r) => r.length));
  const W = cols * tw + (cols + 1) * gap;
  const H = rows.length * th + (rows.length + 1) * gap;
  const out = new Uint8Array(W * H * 3).fill(background);
  rows.forEach((row, r) =>
    row.forEach((tile, c) => {
      const x0 = gap + c * (tw + gap);
      const y0 = gap + r * (th + gap);
      for (let y = 0; y < tile.height; y++) {
        out.set(tile.data.subarray(y * tile.width * 3, (y + 1) * tile.width * 3), ((y0 + y) * W + x0) * 3);
      }
    }),
  );
  return { data: out, width: W, height: H, channels: 3 };
}

/**
 * Per-layer x per-head CLS attention laid over the image: tiles[l][h] for block l (first block
 * first) and head h, plus a last column with the mean over heads. Each tile is scaled on its own
 * (the attention of different heads differs in range by orders of magnitude).
 */
export function attentionTiles(base: RawImage, perHead: readonly (readonly ArrayLike<number>[])[], grid: readonly [number, number], opts: PictureOptions & { tile?: number } = {}): RgbImage[][] {
  const tile = opts.tile ?? 96;
  return perHead.map((heads) => {
    const mean = new Float32Array(heads[0].length);
    for (const h of heads) for (let i = 0; i < mean.length; i++) mean[i] += h[i] / heads.length;
    return [...heads, mean].map((m) => overlayMap(base, m, grid, false, { ...opts, size: tile, range: undefined }).image);
  });
}

/** The attention tiles as one picture: rows are blocks, columns heads, the last column the mean. */
export function attentionGridPicture(base: RawImage, perHead: readonly (readonly ArrayLike<number>[])[], grid: readonly [number, number], opts: PictureOptions & { tile?: number } = {}): RgbImage {
  return tileImages(attentionTiles(base, perHead, grid, opts), 3);
}

/**
 * A picture as canvas ImageData contents (RGBA): `new ImageData(p.data, p.width, p.height)`.
 * `data` is typed over a plain ArrayBuffer because TypeScript's DOM types (5.7+) refuse an
 * ImageData over `ArrayBufferLike` (it could be shared memory).
 */
export function toImageData(img: RawImage): { data: Uint8ClampedArray<ArrayBuffer>; width: number; height: number } {
  const rgb = toRgb(img);
  const n = rgb.width * rgb.height;
  const data = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    data[i * 4] = rgb.data[i * 3];
    data[i * 4 + 1] = rgb.data[i * 3 + 1];
    data[i * 4 + 2] = rgb.data[i * 3 + 2];
    data[i * 4 + 3] = 255;
  }
  return { data, width: rgb.width, height: rgb.height };
}
