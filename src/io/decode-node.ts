/**
 * Node-only image decoding (PNG via pngjs, JPEG via jpeg-js) to RawImage, matching what PIL's
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
import { PNG } from 'pngjs';
import { ImageError } from '../errors.js';
import type { RawImage } from './image.js';

export type ImageFormat = 'png' | 'jpeg';

export interface DecodeOptions {
  /** How 16-bit greyscale PNGs become 8-bit: high byte (default) or PIL's mode 'I' clamp to 0..255. */
  sixteenBitGray?: 'high-byte' | 'pil-clamp';
  /** jpeg-js refuses images above this many megapixels (default 100). */
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

/** Decoded PNG as pngjs returns it with skipRescale: RGBA samples at the file's bit depth. */
type PngjsResult = ReturnType<typeof PNG.sync.read> & { transColor?: number[] };

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

/** Decodes a PNG (any colour type and bit depth, interlaced or not) to an 8-bit RawImage. */
export function decodePng(bytes: Uint8Array, source = 'image.png', opts: DecodeOptions = {}): RawImage {
  let png: PngjsResult;
  try {
    // skipRescale: keep raw samples so the conversion to 8 bits is PIL's, not pngjs' rounding
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { skipRescale: true, checkCRC: true }) as PngjsResult;
  } catch (e) {
    const msg = (e as Error).message;
    // pngjs' own wording for "ran out of bytes" is cryptic
    const reason = /read requests waitng on finished stream/.test(msg) ? 'the file ends before the image data does' : msg;
    throw new ImageError('corrupt-png', `${source}: corrupt or truncated PNG (${reason})`);
  }
  const { width, height, depth } = png;
  const colorType: number = png.colorType; // includes 3 (palette), missing from @types/pngjs' ColorType
  assertNonEmpty(width, height, source, 'PNG');
  const rgba = png.data as unknown as ArrayLike<number>; // Buffer (<= 8 bits) or Uint16Array (16 bits)
  const n = width * height;
  const sixteen = opts.sixteenBitGray ?? 'high-byte';
  const to8 = (v: number) => (depth === 16 ? v >> 8 : v);

  if (colorType === 3) {
    // palette: pngjs has looked the colours up (8-bit) and put tRNS alpha in channel 3
    let hasAlpha = false;
    for (let p = 0; p < n && !hasAlpha; p++) hasAlpha = rgba[4 * p + 3] !== 255;
    return pickChannels(rgba, n, width, height, hasAlpha ? [0, 1, 2, 3] : [0, 1, 2], (v) => v);
  }
  const trans = png.transColor;
  // pngjs zeroes every sample of tRNS-keyed pixels; PIL keeps their colour, so restore it
  const restoreKey = (p: number, ch: number, v: number) => (trans && rgba[4 * p + 3] === 0 ? trans[ch] : v);
  switch (colorType) {
    case 0: {
      const out = new Uint8Array(n);
      for (let p = 0; p < n; p++) out[p] = grayTo8(restoreKey(p, 0, rgba[4 * p]), depth, sixteen);
      return { data: out, width, height, channels: 1 };
    }
    case 2: {
      const out = new Uint8Array(n * 3);
      for (let p = 0; p < n; p++) for (let ch = 0; ch < 3; ch++) out[3 * p + ch] = to8(restoreKey(p, ch, rgba[4 * p + ch]));
      return { data: out, width, height, channels: 3 };
    }
    case 4:
      return pickChannels(rgba, n, width, height, [0, 3], to8);
    case 6:
      return pickChannels(rgba, n, width, height, [0, 1, 2, 3], to8);
    default:
      throw new ImageError('corrupt-png', `${source}: unsupported PNG colour type ${colorType}`);
  }
}

/** Copies the listed RGBA channels of every pixel, converting each sample with `to8`. */
function pickChannels(rgba: ArrayLike<number>, n: number, width: number, height: number, chans: number[], to8: (v: number) => number): RawImage {
  const c = chans.length;
  const out = new Uint8Array(n * c);
  for (let p = 0; p < n; p++) for (let i = 0; i < c; i++) out[p * c + i] = to8(rgba[4 * p + chans[i]]);
  return { data: out, width, height, channels: c };
}

// ---------------------------------------------------------------------------------------------
// JPEG

/**
 * Number of colour components declared by the JPEG's start-of-frame marker (1 = greyscale), or 0
 * if none is found. jpeg-js always returns RGB, so this tells whether to keep one channel.
 */
function jpegComponents(b: Uint8Array): number {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return 0;
    const marker = b[i + 1];
    if (marker === 0xff) { i++; continue; } // fill byte
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue; } // no length
    const len = (b[i + 2] << 8) | b[i + 3];
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC): precision, height, width, components
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return i + 9 < b.length ? b[i + 9] : 0;
    }
    if (marker === 0xda || marker === 0xd9) return 0; // scan data before any frame header
    i += 2 + len;
  }
  return 0;
}

/** Decodes a baseline or progressive JPEG to 1 (greyscale) or 3 (RGB) channels. */
export function decodeJpeg(bytes: Uint8Array, source = 'image.jpg', opts: DecodeOptions = {}): RawImage {
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false, // fail on missing data like PIL does, rather than return grey blocks
      maxResolutionInMP: opts.maxMegapixels ?? 100,
      maxMemoryUsageInMB: 2048,
    });
  } catch (e) {
    throw new ImageError('corrupt-jpeg', `${source}: corrupt, truncated or unsupported JPEG (${(e as Error).message})`);
  }
  const { width, height, data } = img;
  assertNonEmpty(width, height, source, 'JPEG');
  if (data.length !== width * height * 3) {
    throw new ImageError('corrupt-jpeg', `${source}: JPEG decoder returned ${data.length} bytes for ${width}x${height} RGB`);
  }
  if (jpegComponents(bytes) !== 1) return { data, width, height, channels: 3 };
  const gray = new Uint8Array(width * height);
  for (let p = 0; p < gray.length; p++) gray[p] = data[3 * p];
  return { data: gray, width, height, channels: 1 };
}
