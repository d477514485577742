/**
 * Every size a file or a config declares is checked against these limits before anything is
 * allocated, decoded or inflated. They are stated here once, with the reason for each value, and
 * can be raised explicitly (as Pillow's `Image.MAX_IMAGE_PIXELS` can):
 *
 *   import { setLimits } from 'vitlens';
 *   setLimits({ maxImagePixels: 200_000_000 });   // returns the previous limits
 *
 * In the CLI, `VITLENS_LIMITS="maxImagePixels=2e8,maxInflatedBytes=8e9"` does the same.
 * Browser-safe: no Node modules.
 */
import { ConfigError, InputError } from '../errors.js';

export interface Limits {
  /**
   * Largest image (width x height) decoded. Pillow warns above 89,478,485 pixels and refuses above
   * twice that. A ViT sees 224 x 224; a 49 MP 16-bit RGBA PNG already peaks at ~650 MiB while it
   * is decoded (inflated rows plus 8-bit samples), so 50 MP is refused rather than warned about.
   */
  maxImagePixels: number;
  /**
   * Pixels an image file may declare per byte of the file. A real 12 MP photo is megabytes; a
   * 2 KB file declaring 50 MP is a decompression bomb. Files under 1 MiB may always declare
   * 1 MP (icons, scans); above that, at most this many pixels per byte.
   */
  maxImagePixelsPerByte: number;
  /** Bytes one archive entry (a checkpoint storage) may inflate to: 8 GiB, above any ViT-g. */
  maxInflatedBytes: number;
  /**
   * Inflated bytes per compressed byte, for each entry and for the archive in total (overlapping
   * entries are the classic zip bomb). Weights barely compress (~1.1x); DEFLATE's own maximum is
   * 1032x, so 200x refuses only archives that inflate the same bytes many times. Entries under
   * 1 MiB are exempt (all-zero biases compress well).
   */
  maxInflateRatio: number;
  /** Elements of one tensor: 2^31 - 1 (a WebGPU binding cannot index more anyway). */
  maxTensorElements: number;
  /** Config bounds (see `checkConfigBounds` in model/config.ts for how each is used). */
  maxDepth: number;
  maxEmbedDim: number;
  maxHeads: number;
  maxInChans: number;
  /** Largest img_size / input_size side: 4096 (a ViT at 4096^2 with patch 16 has 65,536 tokens). */
  maxInputSide: number;
  maxNumClasses: number;
  maxMlpRatio: number;
  maxRegTokens: number;
  /** Smallest crop_pct: timm's models use 0.8 .. 1.0; 0.1 keeps the resize within 10x the input. */
  minCropPct: number;
  maxCropPct: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxImagePixels: 50_000_000,
  maxImagePixelsPerByte: 1024,
  maxInflatedBytes: 8 * 2 ** 30,
  maxInflateRatio: 200,
  maxTensorElements: 2 ** 31 - 1,
  maxDepth: 256,
  maxEmbedDim: 16_384,
  maxHeads: 256,
  maxInChans: 64,
  maxInputSide: 4096,
  maxNumClasses: 1_000_000,
  maxMlpRatio: 64,
  maxRegTokens: 256,
  minCropPct: 0.1,
  maxCropPct: 4,
});

/** Below this many file bytes an image may always declare SMALL_FILE_PIXELS pixels. */
const SMALL_FILE_BYTES = 1 << 20;
const SMALL_FILE_PIXELS = 1 << 20;
/** Entries below this many inflated bytes are exempt from the ratio limit. */
export const INFLATE_RATIO_FLOOR = 1 << 20;

let current: Limits = { ...DEFAULT_LIMITS };

/** The limits in force (a copy). */
export function getLimits(): Limits {
  return { ...current };
}

/**
 * Raises (or lowers) limits for this process; unnamed limits keep their value. Returns the
 * previous limits, so a caller can put them back: `const old = setLimits(...); ... setLimits(old)`.
 */
export function setLimits(changes: Partial<Limits>): Limits {
  const before = getLimits();
  for (const [k, v] of Object.entries(changes)) {
    if (!(k in DEFAULT_LIMITS)) throw new InputError('bad-limit', `unknown limit "${k}" (known: ${Object.keys(DEFAULT_LIMITS).join(', ')})`);
    if (typeof v !== 'number' || !(v > 0) || Number.isNaN(v)) throw new InputError('bad-limit', `limit ${k} must be a positive number, got ${JSON.stringify(v)}`);
  }
  current = { ...current, ...changes };
  return before;
}

/** Parses `name=value,name=value` (the CLI's VITLENS_LIMITS) into limit changes. */
export function parseLimits(spec: string): Partial<Limits> {
  const out: Record<string, number> = {};
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\w+)\s*=\s*(.+)$/.exec(part);
    const v = m ? Number(m[2]) : NaN;
    if (!m || !(m[1] in DEFAULT_LIMITS) || !(v > 0)) {
      throw new InputError('bad-limit', `VITLENS_LIMITS: cannot read "${part}" (expected name=positive number; names: ${Object.keys(DEFAULT_LIMITS).join(', ')})`);
    }
    out[m[1]] = v;
  }
  return out as Partial<Limits>;
}

const RAISE = (name: keyof Limits, need: number) => `raise it with setLimits({ ${name}: ${Math.ceil(need)} }) or VITLENS_LIMITS=${name}=${Math.ceil(need)} if you trust the file`;

/** Refuses an image whose declared size exceeds the pixel limits, before it is decoded. */
export function checkImageSize(width: number, height: number, fileBytes: number, source: string, format: string, fail: (code: string, msg: string) => never): void {
  if (!(width > 0 && height > 0)) fail('bad-size', `${source}: ${format} declares an empty ${width}x${height} image`);
  const pixels = width * height;
  const l = current;
  if (pixels > l.maxImagePixels) {
    fail('too-large', `${source}: ${format} declares ${width}x${height} = ${pixels} pixels, more than the ${l.maxImagePixels}-pixel limit (${RAISE('maxImagePixels', pixels)})`);
  }
  const allowed = fileBytes < SMALL_FILE_BYTES ? Math.max(SMALL_FILE_PIXELS, fileBytes * l.maxImagePixelsPerByte) : fileBytes * l.maxImagePixelsPerByte;
  if (pixels > allowed) {
    fail(
      'too-large',
      `${source}: a ${fileBytes}-byte ${format} declares ${width}x${height} pixels, more than ${l.maxImagePixelsPerByte} per byte of file (a decompression bomb or a corrupt header; ${RAISE('maxImagePixelsPerByte', pixels / fileBytes)})`,
    );
  }
}

/** Refuses an archive entry whose declared inflated size is out of bounds, before inflating it. */
export function checkInflatedSize(inflated: number, compressed: number, what: string, fail: (code: string, msg: string) => never): void {
  const l = current;
  if (inflated > l.maxInflatedBytes) fail('too-large', `${what} declares ${inflated} inflated bytes, more than the ${l.maxInflatedBytes}-byte limit (${RAISE('maxInflatedBytes', inflated)})`);
  if (inflated > INFLATE_RATIO_FLOOR && inflated > compressed * l.maxInflateRatio) {
    fail('too-large', `${what} declares ${inflated} bytes from ${compressed} compressed bytes, a ratio above ${l.maxInflateRatio} (a zip bomb or a corrupt directory; ${RAISE('maxInflateRatio', inflated / Math.max(1, compressed))})`);
  }
}

/** Refuses a config value outside [min, max] with a message naming the field and the bounds. */
export function checkBound(value: number, min: number, max: number, field: string, limitName?: keyof Limits): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const how = limitName && value > max ? ` (${RAISE(limitName, value)})` : '';
    throw new ConfigError('out-of-bounds', `${field} must be between ${min} and ${max}, got ${short(value)}${how}`);
  }
  return value;
}

/** A JSON value shortened for an error message (a config can hold megabytes). */
export function short(v: unknown, max = 80): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > max ? `${s.slice(0, max)}… (${s.length} characters)` : s;
}
