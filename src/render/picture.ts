/**
 * Explanation maps as pictures: a patch-grid map laid over the image the model saw, per-layer x
 * per-head attention grids, and tiling. Browser-safe (plain pixels in and out; `toImageData`
 * hands a picture to a canvas; PNG encoding for Node is in io/encode-node.ts).
 *
 * One resampling rule, here and wherever vitlens shows a map (the report, the browser example):
 * the input is the model's own view (after timm's resize and crop) enlarged nearest-neighbour,
 * so each model pixel is a block; a patch-grid map is drawn as one flat block per patch, on the
 * same pixel grid. A map has one value per patch and nothing in between: smoothing it would draw
 * gradients the model never computed and move peaks by up to half a patch.
 *
 * Colour: `colormapFor` (colormap.ts) picks the map. Unsigned maps run min..max over it; signed
 * maps run -m..m with m = max |value|, so zero is the neutral middle colour and the two signs
 * compare fairly. The map is blended at one constant opacity over a grey copy of the input: the
 * colour alone carries the value (an opacity that followed |value| drew dark rims where a signed
 * map crosses zero, which read as edges of the object), and the grey keeps the image's own
 * colours from mixing into the map's. An empty map (constant, or not finite; see map-status.ts)
 * is drawn as the grey input, hatched, with the reason written across the top, never as a
 * flat colour.
 */
import { InputError } from '../errors.js';
import { colorAt, colormap, colormapFor, type ColormapName } from './colormap.js';
import { toRgb, type RawImage, type RgbImage } from '../io/image.js';
import { drawLabel, hatch } from './label.js';
import { mapStatus, type MapStatus } from './map-status.js';

export interface PictureOptions {
  /**
   * The colour map asked for; what is drawn is `colormapFor(signed, colormap)`: a diverging map
   * applies to signed maps, any other to unsigned ones (defaults: turbo, rdbu).
   */
  colormap?: ColormapName;
  /** Longer side of the picture in pixels (default: the image's own, at least 224). */
  size?: number;
  /** Opacity of the colour over the grey image, the same everywhere (default 0.6). */
  alpha?: number;
  /** Values mapped to the ends of the colour map (default: see the module comment). */
  range?: [number, number];
  /**
   * The part of the image the patch grid covers, in image pixels [height, width] from the top
   * left (default: all of it). timm's patch embedding drops the last rows / columns when the
   * input is not a multiple of the patch size; those pixels get no colour.
   */
  mapArea?: [number, number];
  /** The method's map before its ReLU (GradCAM's raw map), to say why a map is empty. */
  beforeRelu?: ArrayLike<number>;
}

export interface MapPicture {
  image: RgbImage;
  /** The values at the two ends of the colour map (for an empty map: its finite range). */
  range: [number, number];
  colormap: ColormapName;
  /** Whether there was anything to draw, and if not, why. */
  status: MapStatus;
}

const DEFAULT_SIZE = 224;
const DEFAULT_ALPHA = 0.6;

/** The value range a map is drawn with (see the module comment). */
export function mapRange(map: ArrayLike<number>, signed: boolean): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < map.length; i++) {
    const v = map[i];
    if (!Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (lo > hi) return signed ? [-1, 1] : [0, 1]; // nothing finite
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

/**
 * The source index that display pixel `i` of `dstSize` shows, out of `srcSize`: the pixel whose
 * area contains the display pixel's centre. The one sampling rule for images and maps alike.
 */
export function nearestIndex(i: number, dstSize: number, srcSize: number): number {
  return Math.min(srcSize - 1, Math.floor(((i + 0.5) * srcSize) / dstSize));
}

/** The image as RGB at display size, nearest-neighbour (each model pixel a block). */
export function scaleImage(img: RawImage, width: number, height: number): RgbImage {
  const rgb = toRgb(img);
  if (rgb.width === width && rgb.height === height) return rgb;
  const out = new Uint8Array(width * height * 3);
  const src = rgb.data;
  for (let y = 0; y < height; y++) {
    const sy = nearestIndex(y, height, rgb.height);
    for (let x = 0; x < width; x++) {
      const s = (sy * rgb.width + nearestIndex(x, width, rgb.width)) * 3;
      const o = (y * width + x) * 3;
      out[o] = src[s];
      out[o + 1] = src[s + 1];
      out[o + 2] = src[s + 2];
    }
  }
  return { data: out, width, height, channels: 3 };
}

/** Luminance (ITU-R 601, as PIL's convert('L')) of an RGB picture, as grey RGB. */
function greyed(img: RgbImage): RgbImage {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i += 3) {
    const l = Math.round((img.data[i] * 299 + img.data[i + 1] * 587 + img.data[i + 2] * 114) / 1000);
    out[i] = out[i + 1] = out[i + 2] = l;
  }
  return { data: out, width: img.width, height: img.height, channels: 3 };
}

function checkMap(map: ArrayLike<number>, grid: readonly [number, number]): void {
  const [gh, gw] = grid;
  if (!Number.isInteger(gh) || !Number.isInteger(gw) || gh < 1 || gw < 1 || map.length !== gh * gw) {
    throw new InputError('bad-shape', `a map on a ${gh}x${gw} grid needs ${gh * gw} values, got ${map.length}`);
  }
}

/**
 * Patch index per display pixel along one axis: display pixel i shows image pixel
 * nearestIndex(i), which lies in patch floor(pixel * cells / covered), or -1 outside the covered area.
 */
function patchIndex(display: number, imageSize: number, covered: number, cells: number): Int32Array {
  const idx = new Int32Array(display);
  for (let i = 0; i < display; i++) {
    const p = nearestIndex(i, display, imageSize);
    idx[i] = p < covered ? Math.min(cells - 1, Math.floor((p * cells) / covered)) : -1;
  }
  return idx;
}

/**
 * Lays `map` (gh x gw, row-major) over `base`, the image as the model saw it: both are sampled
 * nearest-neighbour at display size (see the module comment).
 */
export function overlayMap(base: RawImage, map: ArrayLike<number>, grid: readonly [number, number], signed: boolean, opts: PictureOptions = {}): MapPicture {
  checkMap(map, grid);
  const [W, H] = displaySize(base.width, base.height, opts.size);
  const img = greyed(scaleImage(base, W, H));
  const name = colormapFor(signed, opts.colormap);
  const status = mapStatus(map, { beforeRelu: opts.beforeRelu });
  if (status.empty && !opts.range) {
    hatch(img, Math.max(6, Math.round(W / 28)));
    drawLabel(img, status.note!);
    return { image: img, range: status.range, colormap: name, status };
  }
  const cmap = colormap(name);
  const range = opts.range ?? mapRange(map, signed);
  const a = opts.alpha ?? DEFAULT_ALPHA;
  const [ah, aw] = opts.mapArea ?? [base.height, base.width];
  const rows = patchIndex(H, base.height, ah, grid[0]);
  const cols = patchIndex(W, base.width, aw, grid[1]);
  const out = img.data;
  const span = range[1] - range[0] || 1;
  // One colour per patch, looked up once.
  const colours = new Float32Array(map.length * 3);
  for (let i = 0; i < map.length; i++) colours.set(colorAt(cmap, (map[i] - range[0]) / span).map((c) => c * a), i * 3);
  for (let y = 0; y < H; y++) {
    if (rows[y] < 0) continue;
    const row = rows[y] * grid[1];
    for (let x = 0; x < W; x++) {
      if (cols[x] < 0) continue;
      const o = (y * W + x) * 3;
      const c = (row + cols[x]) * 3;
      for (let k = 0; k < 3; k++) out[o + k] = Math.round(out[o + k] * (1 - a) + colours[c + k]);
    }
  }
  return { image: img, range, colormap: name, status };
}

/** The map alone in colour at `width` x `height`, one block per patch. */
export function heatmapImage(map: ArrayLike<number>, grid: readonly [number, number], signed: boolean, width: number, height: number, opts: Pick<PictureOptions, 'colormap' | 'range'> = {}): MapPicture {
  checkMap(map, grid);
  const name = colormapFor(signed, opts.colormap);
  const cmap = colormap(name);
  const status = mapStatus(map);
  const range = opts.range ?? mapRange(map, signed);
  const [gh, gw] = grid;
  const out = new Uint8Array(width * height * 3);
  const span = range[1] - range[0] || 1;
  for (let y = 0; y < height; y++) {
    const r = nearestIndex(y, height, gh);
    for (let x = 0; x < width; x++) {
      out.set(colorAt(cmap, (map[r * gw + nearestIndex(x, width, gw)] - range[0]) / span), (y * width + x) * 3);
    }
  }
  return { image: { data: out, width, height, channels: 3 }, range, colormap: name, status };
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

/** About 96 px, a whole multiple of the image's longer side when that is smaller (even blocks). */
export function attentionTileSize(base: { width: number; height: number }, about = 96): number {
  const side = Math.max(base.width, base.height);
  return side >= about ? about : side * Math.floor(about / side);
}

/**
 * Per-layer x per-head CLS attention laid over the image: tiles[l][h] for block l (first block
 * first) and head h, plus a last column with the mean over heads. Each tile is scaled on its own
 * (the attention of different heads differs in range by orders of magnitude).
 */
export function attentionTiles(base: RawImage, perHead: readonly (readonly ArrayLike<number>[])[], grid: readonly [number, number], opts: PictureOptions & { tile?: number } = {}): RgbImage[][] {
  const tile = opts.tile ?? attentionTileSize(base);
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
