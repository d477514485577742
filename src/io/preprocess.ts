/**
 * timm's evaluation transform, `create_transform(**resolve_data_config({}, model), is_training=False)`
 * with torchvision on PIL images, reproduced on 8-bit RawImages:
 *
 *   convert mode (RGB, or 'L' for 1-channel models) -> Resize -> CenterCrop (or pad) -> ToTensor -> Normalize
 *
 * Geometry follows timm 0.9.16 `transforms_imagenet_eval` (the rules are restated at each function),
 * resizing is Pillow's (resize.ts, bit-exact), and ToTensor + Normalize are done in float32 exactly
 * as torch does, so the result matches timm's tensor bit for bit when the resize does.
 */
import { ConfigError, ImageError } from '../errors.js';
import { getLimits, short } from './limits.js';
import { assertRawImage, dropAlpha, toGray, toRgb, type RawImage } from './image.js';
import { resizePil, type PilFilter } from './resize.js';

/** The preprocessing part of a timm `pretrained_cfg` (snake_case, as in config.json). */
export interface PretrainedCfg {
  input_size?: readonly number[];
  interpolation?: string;
  crop_pct?: number;
  crop_mode?: string;
  mean?: readonly number[];
  std?: readonly number[];
}

export type CropMode = 'center' | 'squash' | 'border';

/** A resolved data config (timm `resolve_data_config`), every field set. */
export interface DataConfig {
  /** [C, H, W] */
  inputSize: [number, number, number];
  interpolation: PilFilter;
  cropPct: number;
  cropMode: CropMode;
  mean: number[];
  std: number[];
}

// timm defaults (timm.data.constants and resolve_data_config)
const DEFAULT_INPUT_SIZE: [number, number, number] = [3, 224, 224];
const DEFAULT_CROP_PCT = 0.875;
const IMAGENET_DEFAULT_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_DEFAULT_STD = [0.229, 0.224, 0.225];

/**
 * timm `resolve_data_config` for a pretrained_cfg: missing fields take timm's defaults
 * (input_size (3, 224, 224), interpolation 'bicubic', crop_pct 0.875, crop_mode 'center',
 * ImageNet mean/std). A single mean/std value is repeated for every channel. Unsupported
 * interpolations (box, hamming, lanczos, random) and inconsistent values throw ConfigError.
 */
export function resolveDataConfig(cfg: PretrainedCfg = {}): DataConfig {
  const size = cfg.input_size ?? DEFAULT_INPUT_SIZE;
  const maxSide = getLimits().maxInputSide;
  if (!Array.isArray(size) || size.length !== 3 || !size.every((v) => Number.isSafeInteger(v) && v > 0)) {
    throw new ConfigError('bad-input-size', `pretrained_cfg.input_size must be [C, H, W] positive integers, got ${short(size)}`);
  }
  if (size[1] > maxSide || size[2] > maxSide) {
    throw new ConfigError('bad-input-size', `pretrained_cfg.input_size [${size.join(', ')}] is larger than ${maxSide} on a side (raise it with setLimits({ maxInputSide }) if the device can take it)`);
  }
  const [c, h, w] = size;
  if (c !== 1 && c !== 3) {
    throw new ConfigError('bad-input-size', `pretrained_cfg.input_size has ${c} channels; vitlens preprocesses 1 (grayscale) or 3 (RGB) channel models`);
  }
  const interpolation = cfg.interpolation || 'bicubic';
  if (typeof interpolation !== 'string') throw new ConfigError('bad-interpolation', `pretrained_cfg.interpolation must be a string, got ${short(interpolation)}`);
  if (interpolation !== 'bicubic' && interpolation !== 'bilinear' && interpolation !== 'nearest') {
    throw new ConfigError('bad-interpolation', `pretrained_cfg.interpolation ${JSON.stringify(interpolation)} is not supported (use 'bicubic', 'bilinear' or 'nearest')`);
  }
  // timm uses `crop_pct or DEFAULT_CROP_PCT`: a missing or zero crop_pct means the default
  const cropPct = cfg.crop_pct || DEFAULT_CROP_PCT;
  const { minCropPct, maxCropPct } = getLimits();
  if (typeof cropPct !== 'number' || !(cropPct >= minCropPct && cropPct <= maxCropPct)) {
    throw new ConfigError('bad-crop-pct', `pretrained_cfg.crop_pct must be a number between ${minCropPct} and ${maxCropPct}, got ${short(cfg.crop_pct)}`);
  }
  const cropMode = cfg.crop_mode || 'center';
  if (cropMode !== 'center' && cropMode !== 'squash' && cropMode !== 'border') {
    throw new ConfigError('bad-crop-mode', `pretrained_cfg.crop_mode ${JSON.stringify(cropMode)} is not supported (use 'center', 'squash' or 'border')`);
  }
  const perChannel = (name: string, v: readonly number[] | undefined, dflt: number[]): number[] => {
    if (v !== undefined && v !== null && !Array.isArray(v)) throw new ConfigError(`bad-${name}`, `pretrained_cfg.${name} must be a list of numbers, got ${short(v)}`);
    const vals = v && v.length ? [...v] : c === 3 ? dflt : [];
    if (vals.length === 1) return Array(c).fill(vals[0]);
    if (vals.length !== c || !vals.every(Number.isFinite)) {
      throw new ConfigError(`bad-${name}`, `pretrained_cfg.${name} needs ${c} value(s) for a ${c}-channel model, got ${short(v)}`);
    }
    return vals;
  };
  const mean = perChannel('mean', cfg.mean, IMAGENET_DEFAULT_MEAN);
  const std = perChannel('std', cfg.std, IMAGENET_DEFAULT_STD);
  if (std.some((s) => s === 0)) throw new ConfigError('bad-std', `pretrained_cfg.std must not contain 0, got ${short(std)}`);
  return { inputSize: [c, h, w], interpolation, cropPct, cropMode, mean, std };
}

/** Python's round(): halves go to the even neighbour (torchvision and timm round with it). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** One geometric step of the eval transform, in PIL terms. */
export type GeometryStep =
  | { op: 'resize'; width: number; height: number; filter: PilFilter }
  | { op: 'pad'; left: number; top: number; right: number; bottom: number; fill: number[] }
  | { op: 'crop'; left: number; top: number; width: number; height: number };

/**
 * torchvision `Resize(int)`: the shorter side becomes `size`, the longer one
 * `int(size * long / short)` (truncated). Returns [width, height].
 */
function resizeShorterSide(w: number, h: number, size: number): [number, number] {
  return w <= h ? [size, Math.trunc((size * h) / w)] : [Math.trunc((size * w) / h), size];
}

/**
 * timm `ResizeKeepRatio(size, longest)`: ratio = longest ? max(h/th, w/tw) : min(h/th, w/tw),
 * new size = Python round(side / ratio). Returns [width, height].
 */
function resizeKeepRatio(w: number, h: number, target: [number, number], longest: boolean): [number, number] {
  const [th, tw] = target;
  const rh = h / th;
  const rw = w / tw;
  const ratio = longest ? Math.max(rh, rw) : Math.min(rh, rw);
  return [roundHalfEven(w / ratio), roundHalfEven(h / ratio)];
}

/**
 * torchvision `CenterCrop((th, tw))` (timm's CenterCropOrPad is the same with a fill colour): if the
 * crop is larger than the image, first pad by `(t - s) // 2` before and `(t - s + 1) // 2` after;
 * then crop at `int(round((s - t) / 2))` with Python's half-to-even round (so 12.5 -> 12).
 */
function centerCropSteps(w: number, h: number, tw: number, th: number, fill: number[]): GeometryStep[] {
  const steps: GeometryStep[] = [];
  if (tw > w || th > h) {
    const padW = Math.max(tw - w, 0);
    const padH = Math.max(th - h, 0);
    steps.push({ op: 'pad', left: padW >> 1, top: padH >> 1, right: (padW + 1) >> 1, bottom: (padH + 1) >> 1, fill });
    w += padW;
    h += padH;
    if (w === tw && h === th) return steps;
  }
  steps.push({ op: 'crop', left: roundHalfEven((w - tw) / 2), top: roundHalfEven((h - th) / 2), width: tw, height: th });
  return steps;
}

/**
 * The geometric steps timm 0.9.16 `transforms_imagenet_eval` applies to a `width` x `height` image:
 *
 * - scale_size = (floor(H / crop_pct), floor(W / crop_pct)) (float64 division, as Python).
 * - 'center' (default): if scale_size is square, torchvision `Resize(scale)` of the shorter side
 *   (keeping aspect); otherwise timm's `ResizeKeepRatio(scale_size)` (shorter side relative to the
 *   target, Python-rounded) — note timm passes no interpolation there, so non-square input sizes are
 *   resized BILINEAR whatever the cfg says. Then `CenterCrop((H, W))`.
 * - 'squash': `Resize(scale_size)` to exactly that size (aspect not kept), then `CenterCrop((H, W))`.
 * - 'border': `ResizeKeepRatio(scale_size, longest=1)` (longer side fits), then `CenterCropOrPad`
 *   with fill `round(255 * mean_c)` per channel.
 *
 * A resize whose target equals the current size is dropped (Pillow returns a copy then).
 */
export function evalGeometry(width: number, height: number, cfg: DataConfig): GeometryStep[] {
  const [, th, tw] = cfg.inputSize;
  const scaleH = Math.floor(th / cfg.cropPct);
  const scaleW = Math.floor(tw / cfg.cropPct);
  let size: [number, number];
  let filter = cfg.interpolation;
  let fill = Array(cfg.inputSize[0]).fill(0);
  if (cfg.cropMode === 'squash') {
    size = [scaleW, scaleH];
  } else if (cfg.cropMode === 'border') {
    size = resizeKeepRatio(width, height, [scaleH, scaleW], true);
    fill = cfg.mean.map((m) => roundHalfEven(255 * m));
  } else if (scaleH === scaleW) {
    size = resizeShorterSide(width, height, scaleH);
  } else {
    size = resizeKeepRatio(width, height, [scaleH, scaleW], false);
    filter = 'bilinear'; // timm quirk, see above
  }
  const steps: GeometryStep[] = [];
  if (size[0] !== width || size[1] !== height) steps.push({ op: 'resize', width: size[0], height: size[1], filter });
  return steps.concat(centerCropSteps(size[0], size[1], tw, th, fill));
}

/** PIL `Image.crop` / `ImageOps.expand` for our purposes: copies a window, areas outside get `fill`. */
function cropOrPad(img: RawImage, left: number, top: number, width: number, height: number, fill: number[]): RawImage {
  const c = img.channels;
  const out = new Uint8Array(width * height * c);
  for (let y = 0; y < height; y++) {
    const sy = y + top;
    for (let x = 0; x < width; x++) {
      const sx = x + left;
      const inside = sy >= 0 && sy < img.height && sx >= 0 && sx < img.width;
      for (let ch = 0; ch < c; ch++) {
        out[(y * width + x) * c + ch] = inside ? img.data[(sy * img.width + sx) * c + ch] : fill[ch] ?? 0;
      }
    }
  }
  return { data: out, width, height, channels: c };
}

/** Applies the steps of `evalGeometry` to an image. */
export function applyGeometry(img: RawImage, steps: readonly GeometryStep[]): RawImage {
  let cur = img;
  const maxPixels = getLimits().maxImagePixels;
  for (const s of steps) {
    // An extreme aspect ratio makes "shorter side to 256" a giant image: bounded before resizing.
    const [w, h] = s.op === 'resize' ? [s.width, s.height] : s.op === 'pad' ? [cur.width + s.left + s.right, cur.height + s.top + s.bottom] : [s.width, s.height];
    if (!(w > 0 && h > 0) || w * h > maxPixels) {
      throw new ImageError('too-large', `a ${img.width}x${img.height} image would be ${s.op === 'resize' ? 'resized' : s.op === 'pad' ? 'padded' : 'cropped'} to ${w}x${h} by the model's preprocessing, more than the ${maxPixels}-pixel limit (is its aspect ratio extreme?)`);
    }
    if (s.op === 'resize') cur = resizePil(cur, s.width, s.height, s.filter);
    else if (s.op === 'pad') cur = cropOrPad(cur, -s.left, -s.top, cur.width + s.left + s.right, cur.height + s.top + s.bottom, s.fill);
    else cur = cropOrPad(cur, s.left, s.top, s.width, s.height, []);
  }
  return cur;
}

export interface PreprocessOptions {
  /**
   * When the image already has the model's input size (H x W), use it as is instead of running
   * timm's resize + centre crop (which would zoom in by 1 / crop_pct). Default false (timm's behaviour).
   */
  skipGeometryAtTargetSize?: boolean;
  /**
   * Overrides the cfg's crop_mode. E.g. the golden "micro" recipe, PIL `resize((W, H))` of the whole
   * image, is `cropMode: 'squash'` with crop_pct 1 (for square photos it equals timm's 'center' rule).
   */
  cropMode?: CropMode;
}

/**
 * Converts an image to the model's channel layout the way a timm dataset does before the transform:
 * 3-channel models get PIL convert('RGB') (L replicated, alpha dropped without compositing),
 * 1-channel models get PIL convert('L'). Grey + alpha (2 channels) converts like PIL's LA mode.
 */
export function toModelChannels(img: RawImage, channels: number): RawImage {
  assertRawImage(img, 'input image', [1, 2, 3, 4]);
  const flat = img.channels === 2 ? dropAlpha(img) : img;
  if (channels === 3) return toRgb(flat);
  if (channels === 1) return toGray(flat);
  throw new ImageError('bad-channels', `model expects ${channels} input channels; vitlens preprocesses for 1 or 3`);
}

function dataConfigOf(cfg: PretrainedCfg | DataConfig): DataConfig {
  return 'inputSize' in cfg ? cfg : resolveDataConfig(cfg);
}

/**
 * The uint8 image timm feeds to ToTensor: channel conversion, then resize and crop/pad to the
 * model's input size (HWC, 1 or 3 channels).
 */
export function resizeAndCrop(img: RawImage, cfg: PretrainedCfg | DataConfig, opts: PreprocessOptions = {}): RawImage {
  const dc = dataConfigOf(cfg);
  const [c, h, w] = dc.inputSize;
  const converted = toModelChannels(img, c);
  if (opts.skipGeometryAtTargetSize && converted.width === w && converted.height === h) return converted;
  const steps = evalGeometry(converted.width, converted.height, opts.cropMode ? { ...dc, cropMode: opts.cropMode } : dc);
  return applyGeometry(converted, steps);
}

/**
 * torchvision ToTensor + Normalize in float32: `x = (float32(u8) / 255 - mean_c) / std_c`, each step
 * rounded to float32 as torch does (mean and std are float32 tensors). HWC uint8 in, CHW float32 out.
 */
export function normalizeToTensor(img: RawImage, mean: readonly number[], std: readonly number[]): Float32Array {
  assertRawImage(img, 'normalize input');
  const { width, height, channels: c, data } = img;
  if (mean.length !== c || std.length !== c) {
    throw new ImageError('bad-channels', `normalize: image has ${c} channel(s) but mean/std have ${mean.length}/${std.length} values`);
  }
  const f = Math.fround;
  const plane = width * height;
  const out = new Float32Array(c * plane);
  for (let ch = 0; ch < c; ch++) {
    const m = f(mean[ch]);
    const s = f(std[ch]);
    // a lookup table per channel: only 256 possible values, each computed exactly as torch does
    const lut = new Float32Array(256);
    for (let v = 0; v < 256; v++) lut[v] = f(f(f(v / 255) - m) / s);
    for (let p = 0; p < plane; p++) out[ch * plane + p] = lut[data[p * c + ch]];
  }
  return out;
}

/**
 * The full timm eval transform: image -> normalised CHW float32 tensor of `input_size`.
 * `cfg` is a pretrained_cfg (as in config.json) or an already resolved DataConfig.
 */
export function preprocess(img: RawImage, cfg: PretrainedCfg | DataConfig, opts: PreprocessOptions = {}): Float32Array {
  const dc = dataConfigOf(cfg);
  return normalizeToTensor(resizeAndCrop(img, dc, opts), dc.mean, dc.std);
}

/** What the eval transform does to one image, for people: where the model's view lies and what changed. */
export interface PreprocessSummary {
  /** The original image's size [width, height]. */
  source: [number, number];
  /** The model's input size [width, height]. */
  input: [number, number];
  /**
   * The area of the original image the model's input shows, in original pixels (fractional; it
   * extends past the image where the transform pads).
   */
  view: { left: number; top: number; width: number; height: number };
  /** Part of the image is cut off. */
  cropped: boolean;
  /** The model's input has borders that are not in the image. */
  padded: boolean;
  /** Width and height are scaled differently (crop_mode 'squash'). */
  squashed: boolean;
  /** A colour image went to a one-channel model. */
  toGrey: boolean;
  /** Pixels were not fully opaque (see `notes` for what became of them). */
  transparency: boolean;
  /** One sentence per thing worth saying, in the order they happen. */
  notes: string[];
}

/** Whether any pixel of an RGB(A) image has different channel values. */
function hasColour(img: RawImage): boolean {
  if (img.channels < 3) return false;
  const { data, channels: c } = img;
  for (let i = 0; i < data.length; i += c) if (data[i] !== data[i + 1] || data[i + 1] !== data[i + 2]) return true;
  return false;
}

function hasTransparency(img: RawImage): boolean {
  if (img.channels !== 2 && img.channels !== 4) return false;
  const { data, channels: c } = img;
  for (let i = c - 1; i < data.length; i += c) if (data[i] !== 255) return true;
  return false;
}

const px = (w: number, h: number) => `${w}×${h}`;

/**
 * What `resizeAndCrop(img, cfg, opts)` does to `img`, without doing it: the part of the image the
 * model sees (from `evalGeometry`'s steps, walked backwards), and notes such as "cropped: the model
 * sees the central 480×480 of 640×480". `flattenedOnto` says the caller composited transparency onto
 * that grey level before preprocessing (`flattenAlpha`); pass the image as it was before that.
 */
export function describePreprocessing(img: RawImage, cfg: PretrainedCfg | DataConfig, opts: PreprocessOptions & { flattenedOnto?: number } = {}): PreprocessSummary {
  assertRawImage(img, 'input image');
  const dc = dataConfigOf(cfg);
  const [c, th, tw] = dc.inputSize;
  const { width: w, height: h } = img;
  const skip = opts.skipGeometryAtTargetSize && w === tw && h === th;
  const steps = skip ? [] : evalGeometry(w, h, opts.cropMode ? { ...dc, cropMode: opts.cropMode } : dc);
  // Image size before each step, then the final window [0, tw) x [0, th) mapped back step by step.
  const sizes: [number, number][] = [[w, h]];
  for (const s of steps) {
    const [cw, ch] = sizes[sizes.length - 1];
    sizes.push(s.op === 'resize' ? [s.width, s.height] : s.op === 'pad' ? [cw + s.left + s.right, ch + s.top + s.bottom] : [s.width, s.height]);
  }
  let [x0, y0, x1, y1] = [0, 0, tw, th];
  for (let i = steps.length - 1; i >= 0; i--) {
    const s = steps[i];
    const [pw, ph] = sizes[i];
    if (s.op === 'crop') [x0, y0, x1, y1] = [x0 + s.left, y0 + s.top, x1 + s.left, y1 + s.top];
    else if (s.op === 'pad') [x0, y0, x1, y1] = [x0 - s.left, y0 - s.top, x1 - s.left, y1 - s.top];
    else {
      const fx = pw / s.width;
      const fy = ph / s.height;
      [x0, y0, x1, y1] = [x0 * fx, y0 * fy, x1 * fx, y1 * fy];
    }
  }
  const view = { left: x0, top: y0, width: x1 - x0, height: y1 - y0 };
  // Half a source pixel of slack: rounding in the resize rules is not a crop.
  const cropped = x0 > 0.5 || y0 > 0.5 || x1 < w - 0.5 || y1 < h - 0.5;
  const padded = steps.some((s) => s.op === 'pad');
  const resize = steps.find((s) => s.op === 'resize');
  const squashed = resize !== undefined && Math.abs(resize.width / w - resize.height / h) > Math.max(1 / w, 1 / h);
  const toGrey = c === 1 && hasColour(img);
  const transparency = hasTransparency(img);
  const notes: string[] = [];
  if (transparency) {
    notes.push(opts.flattenedOnto !== undefined
      ? `transparent areas flattened onto ${opts.flattenedOnto === 255 ? 'white' : opts.flattenedOnto === 0 ? 'black' : `grey ${opts.flattenedOnto}`}`
      : 'transparency dropped: transparent pixels show the colour stored under them (PIL convert)');
  }
  if (toGrey) notes.push('converted to grey: the model takes one channel');
  if (resize) notes.push(`resized ${px(w, h)} → ${px(resize.width, resize.height)} (${resize.filter}${squashed ? ', aspect ratio not kept' : ''})`);
  if (cropped) {
    const vw = Math.min(x1, w) - Math.max(x0, 0);
    const vh = Math.min(y1, h) - Math.max(y0, 0);
    notes.push(`cropped: the model sees ${Math.round(vw)}×${Math.round(vh)} of the ${px(w, h)} image (${Math.round((100 * vw * vh) / (w * h))} % of it)`);
  }
  if (padded) notes.push(`padded to ${px(tw, th)}: the borders are not in the image`);
  if (notes.length === 0 && w === tw && h === th) notes.push('used as is: the image already has the model\'s input size');
  return { source: [w, h], input: [tw, th], view, cropped, padded, squashed, toGrey, transparency, notes };
}
