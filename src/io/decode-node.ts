/**
 * Node-only image decoding (PNG by png-decode.ts, JPEG via jpeg-js) to RawImage, matching what PIL's
 * `Image.open(path)` gives for 8-bit modes. The format is sniffed from the magic bytes, never from
 * the file name. Every failure is an ImageError that names the file and the reason.
 *
 * PNG, by colour type (PIL mode in brackets):
 *   grey [L, or '1' / 'I' for 1- and 16-bit] -> 1 channel; grey+alpha [LA] -> 2; RGB -> 3; RGBA -> 4;
 *   palette [P] -> 3 channels, or 4 (RGBA) when the palette has transparency (tRNS).
 *   1/2/4-bit grey are scaled to 8 bits as PIL does (x255, x85, x17); 16-bit samples keep their
 *   high byte, as PIL's ';16B' unpackers do for RGB(A)/LA. 16-bit grey is the exception: PIL opens it
 *   as mode 'I' (0..65535) and convert('RGB'/'L') then clamps to 255, which saturates almost every
 *   pixel; the default here is the high byte, `sixteenBitGray: 'pil-clamp'` reproduces PIL.
 *   A tRNS colour key on grey/RGB images is ignored (PIL keeps such images as L / RGB).
 * JPEG: baseline and progressive, greyscale -> 1 channel, colour -> 3 (YCbCr / Adobe CMYK converted
 *   by jpeg-js). jpeg-js is not libjpeg: its IDCT and nearest-neighbour chroma upsampling differ from
 *   PIL's libjpeg(-turbo) decoding by a few levels, so JPEG pixels are close to PIL's, not identical.
 * EXIF orientation is not applied (PIL's Image.open does not apply it either).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import jpeg from 'jpeg-js';
import { ImageError } from '../errors.js';
import type { RawImage } from './image.js';
import { checkImageSize, getLimits } from './limits.js';
import { decodePngBytes } from './png-decode.js';

export type ImageFormat = 'png' | 'jpeg';

export interface DecodeOptions {
  /** How 16-bit greyscale PNGs become 8-bit: high byte (default) or PIL's mode 'I' clamp to 0..255. */
  sixteenBitGray?: 'high-byte' | 'pil-clamp';
  /** Refuse JPEGs above this many megapixels (the pixel limit of limits.ts applies in any case). */
  maxMegapixels?: number;
}

/** Names of other common formats, only to say what a refused file is. */
const OTHER_MAGIC: [string, (b: Uint8Array) => boolean][] = [
  ['GIF', (b) => b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38],
  ['BMP', (b) => b[0] === 0x42 && b[1] === 0x4d],
  ['WebP', (b) => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP'],
  ['TIFF', (b) => (b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a && b[3] === 0) || (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 0x2a)],
];

function ascii(b: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...b.subarray(from, to));
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The image format named by the first bytes, or null when it is neither PNG nor JPEG. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((v, i) => bytes[i] === v)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

/** Decodes PNG or JPEG bytes; `source` (a file name) is used in error messages. */
export function decodeImage(bytes: Uint8Array | ArrayBuffer, source = 'image', opts: DecodeOptions = {}): RawImage {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (b.length === 0) throw new ImageError('empty-file', `${source}: file is empty`);
  const format = sniffImageFormat(b);
  if (format === 'png') return decodePng(b, source, opts);
  if (format === 'jpeg') return decodeJpeg(b, source, opts);
  const other = OTHER_MAGIC.find(([, test]) => b.length >= 12 && test(b));
  throw new ImageError(
    'unknown-format',
    other ? `${source}: ${other[0]} images are not supported; vitlens decodes PNG and JPEG (convert the file first)` : `${source}: not a PNG or JPEG file (unrecognised first bytes ${hex(b.subarray(0, 8))})`,
  );
}

function hex(b: Uint8Array): string {
  return Array.from(b, (v) => v.toString(16).padStart(2, '0')).join(' ');
}

/** Reads and decodes an image file (async). */
export async function readImageFile(path: string, opts: DecodeOptions = {}): Promise<RawImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw unreadable(path, e);
  }
  return decodeImage(bytes, path, opts);
}

/** Reads and decodes an image file (sync). */
export function readImageFileSync(path: string, opts: DecodeOptions = {}): RawImage {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw unreadable(path, e);
  }
  return decodeImage(bytes, path, opts);
}

function unreadable(path: string, e: unknown): ImageError {
  const err = e as NodeJS.ErrnoException;
  return new ImageError('unreadable', `${path}: cannot read the file (${err.code ?? err.message})`);
}

function assertNonEmpty(width: number, height: number, source: string, format: string): void {
  if (!(width > 0 && height > 0)) throw new ImageError('bad-size', `${source}: ${format} declares an empty ${width}x${height} image`);
}

// ---------------------------------------------------------------------------------------------
// PNG

/** PIL's scaling of a raw grey sample of `depth` bits to 8 bits. */
function grayTo8(v: number, depth: number, sixteen: 'high-byte' | 'pil-clamp'): number {
  switch (depth) {
    case 1: return v * 255;
    case 2: return v * 85;
    case 4: return v * 17;
    case 8: return v;
    default: return sixteen === 'pil-clamp' ? Math.min(v, 255) : v >> 8;
  }
}

/**
 * Decodes a PNG (any colour type and bit depth, interlaced or not) to an 8-bit RawImage. The
 * declared size is bounded (limits.ts) before any image data is inflated (png-decode.ts).
 */
export function decodePng(bytes: Uint8Array, source = 'image.png', opts: DecodeOptions = {}): RawImage {
  const png = decodePngBytes(bytes, source);
  const { width, height, depth, colorType, samples } = png;
  const n = width * height;
  const sixteen = opts.sixteenBitGray ?? 'high-byte';

  if (colorType === 3) {
    // palette: look the colours up; RGBA when tRNS makes any used colour transparent (PIL 'P' -> 'RGBA')
    const pal = png.palette!;
    const alpha = png.paletteAlpha;
    let hasAlpha = false;
    if (alpha) for (let p = 0; p < n && !hasAlpha; p++) hasAlpha = alpha[samples[p]] !== 255;
    const c = hasAlpha ? 4 : 3;
    const out = new Uint8Array(n * c);
    for (let p = 0; p < n; p++) {
      const i = samples[p];
      out[p * c] = pal[3 * i];
      out[p * c + 1] = pal[3 * i + 1];
      out[p * c + 2] = pal[3 * i + 2];
      if (hasAlpha) out[p * c + 3] = alpha![i];
    }
    return { data: out, width, height, channels: c };
  }
  // A tRNS colour key on grey / RGB is ignored: PIL keeps such images as L / RGB.
  if (colorType === 0) {
    const out = new Uint8Array(n);
    for (let p = 0; p < n; p++) out[p] = grayTo8(samples[p], depth, sixteen);
    return { data: out, width, height, channels: 1 };
  }
  // grey + alpha, RGB, RGBA: the samples are already 8-bit (16-bit ones as their high byte, as PIL)
  return { data: samples as Uint8Array, width, height, channels: png.channels };
}

// ---------------------------------------------------------------------------------------------
// JPEG

/** What a JPEG's start-of-frame marker declares. */
interface JpegFrame {
  width: number;
  height: number;
  /** 1 = greyscale. */
  components: number;
}

/**
 * The JPEG's start-of-frame (size and colour components), read before decoding so the size is
 * bounded first; null when no frame header comes before the scan data.
 */
function jpegFrame(b: Uint8Array): JpegFrame | null {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1];
    if (marker === 0xff) { i++; continue; } // fill byte
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue; } // no length
    const len = (b[i + 2] << 8) | b[i + 3];
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC): precision, height, width, components
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (i + 9 >= b.length) return null;
      return { height: (b[i + 5] << 8) | b[i + 6], width: (b[i + 7] << 8) | b[i + 8], components: b[i + 9] };
    }
    if (marker === 0xda || marker === 0xd9) return null; // scan data before any frame header
    i += 2 + len;
  }
  return null;
}

/** Bytes jpeg-js may allocate per pixel (component planes, coefficients, output): bounds its memory limit. */
const JPEG_BYTES_PER_PIXEL = 20;

/** Decodes a baseline or progressive JPEG to 1 (greyscale) or 3 (RGB) channels. */
export function decodeJpeg(bytes: Uint8Array, source = 'image.jpg', opts: DecodeOptions = {}): RawImage {
  const frame = jpegFrame(bytes);
  const bad = (code: string, msg: string): never => {
    throw new ImageError(code, msg);
  };
  if (!frame) bad('corrupt-jpeg', `${source}: corrupt or truncated JPEG (no frame header before the image data)`);
  checkImageSize(frame!.width, frame!.height, bytes.length, source, 'JPEG', bad);
  const maxPixels = Math.min(getLimits().maxImagePixels, (opts.maxMegapixels ?? Infinity) * 1e6);
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false, // fail on missing data like PIL does, rather than return grey blocks
      maxResolutionInMP: maxPixels / 1e6,
      maxMemoryUsageInMB: Math.ceil((maxPixels * JPEG_BYTES_PER_PIXEL) / 2 ** 20),
    });
  } catch (e) {
    throw new ImageError('corrupt-jpeg', `${source}: corrupt, truncated or unsupported JPEG (${(e as Error).message})`);
  }
  const { width, height, data } = img;
  assertNonEmpty(width, height, source, 'JPEG');
  if (data.length !== width * height * 3) {
    throw new ImageError('corrupt-jpeg', `${source}: JPEG decoder returned ${data.length} bytes for ${width}x${height} RGB`);
  }
  if (frame!.components !== 1) return { data, width, height, channels: 3 };
  const gray = new Uint8Array(width * height);
  for (let p = 0; p < gray.length; p++) gray[p] = data[3 * p];
  return { data: gray, width, height, channels: 1 };
}
