/**
 * A PNG decoder that believes no size before bounding it: the IHDR is read and checked against the
 * pixel limits (limits.ts) first, the exact number of bytes the declared image needs is computed,
 * and the image data is inflated with that number as zlib's output limit. No declared size reaches
 * zlib before it is bounded (pngjs passed one straight through as the chunk size, and a 69-byte
 * file could abort Node in zlib's native code), and data that inflates to more than the image
 * needs is refused instead of being held in memory.
 *
 * The result is PIL's 8-bit view of the file (decode-node.ts documents the modes): samples are
 * returned per channel (16-bit ones as their high byte, except 16-bit grey), and decode-node.ts
 * converts them.
 */
import { inflateSync } from 'node:zlib';
import { ImageError } from '../errors.js';
import { checkImageSize } from './limits.js';
import { crc32 } from './crc32.js';

export interface PngHeader {
  width: number;
  height: number;
  depth: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA. */
  colorType: number;
  interlaced: boolean;
}

export interface DecodedPng extends PngHeader {
  /** Samples per pixel in `samples`: 1 (grey / palette index), 2, 3 or 4. */
  channels: number;
  /**
   * Row-major samples, `channels` per pixel: the raw value for depths up to 8 (grey levels and
   * palette indices unscaled), the high byte of 16-bit samples, except 16-bit grey, kept whole in
   * a Uint16Array (PIL's mode 'I'). Holding 8 bits per sample keeps the decode near 12 bytes a pixel.
   */
  samples: Uint8Array | Uint16Array;
  /** PLTE as RGB triples (palette images). */
  palette?: Uint8Array;
  /** tRNS alpha per palette index (palette images). */
  paletteAlpha?: Uint8Array;
}

/** Largest single output chunk handed to zlib. */
const MAX_CHUNK = 1 << 30;
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
/** Adam7 passes: x start, y start, x step, y step. */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

const fail = (source: string) => (code: string, message: string): never => {
  throw new ImageError(code, message.startsWith(source) ? message : `${source}: ${message}`);
};

/** The passes (one, or Adam7's seven) as [x0, y0, dx, dy, width, height]. */
function passes(h: PngHeader): number[][] {
  const list = h.interlaced ? ADAM7 : [[0, 0, 1, 1]];
  return list.map(([x0, y0, dx, dy]) => [x0, y0, dx, dy, Math.ceil(Math.max(0, h.width - x0) / dx), Math.ceil(Math.max(0, h.height - y0) / dy)]);
}

/** Bytes the filtered image data of `h` inflates to: per non-empty pass, (1 + row bytes) per row. */
function rawSize(h: PngHeader): number {
  const bitsPerPixel = CHANNELS[h.colorType] * h.depth;
  let n = 0;
  for (const [, , , , w, ht] of passes(h)) if (w > 0 && ht > 0) n += ht * (1 + Math.ceil((w * bitsPerPixel) / 8));
  return n;
}

/** Decodes PNG bytes. Every failure is an ImageError naming `source`. */
export function decodePngBytes(bytes: Uint8Array, source: string): DecodedPng {
  const bad = fail(source);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: PngHeader | null = null;
  let palette: Uint8Array | undefined;
  let trns: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let ended = false;
  for (let at = 8; at < bytes.length && !ended; ) {
    if (at + 12 > bytes.length) bad('corrupt-png', 'corrupt or truncated PNG (the file ends inside a chunk header)');
    const len = v.getUint32(at);
    const type = String.fromCharCode(bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]);
    if (len > 0x7fffffff) bad('corrupt-png', `corrupt or truncated PNG (chunk ${JSON.stringify(type)} declares ${len} bytes)`);
    if (at + 12 + len > bytes.length) bad('corrupt-png', `corrupt or truncated PNG (chunk ${JSON.stringify(type)} of ${len} bytes runs past the end of the ${bytes.length}-byte file)`);
    const data = bytes.subarray(at + 8, at + 8 + len);
    if (crc32(bytes.subarray(at + 4, at + 8 + len)) !== v.getUint32(at + 8 + len)) bad('corrupt-png', `corrupt or truncated PNG (chunk ${JSON.stringify(type)} fails its CRC check)`);
    at += 12 + len;
    if (!header && type !== 'IHDR') bad('corrupt-png', `corrupt or truncated PNG (the first chunk is ${JSON.stringify(type)}, not IHDR)`);
    switch (type) {
      case 'IHDR': {
        if (header) bad('corrupt-png', 'corrupt or truncated PNG (two IHDR chunks)');
        if (len !== 13) bad('corrupt-png', `corrupt or truncated PNG (IHDR has ${len} bytes, not 13)`);
        const dv = new DataView(data.buffer, data.byteOffset, 13);
        const h: PngHeader = { width: dv.getUint32(0), height: dv.getUint32(4), depth: data[8], colorType: data[9], interlaced: data[12] === 1 };
        if (!DEPTHS[h.colorType]?.includes(h.depth)) bad('corrupt-png', `unsupported PNG colour type ${h.colorType} with bit depth ${h.depth}`);
        if (data[10] !== 0 || data[11] !== 0 || data[12] > 1) bad('corrupt-png', `corrupt or truncated PNG (unknown compression ${data[10]}, filter ${data[11]} or interlace ${data[12]} method)`);
        checkImageSize(h.width, h.height, bytes.length, source, 'PNG', bad);
        header = h;
        break;
      }
      case 'PLTE':
        if (len % 3 !== 0 || len === 0 || len > 768) bad('corrupt-png', `corrupt or truncated PNG (palette of ${len} bytes)`);
        palette = data;
        break;
      case 'tRNS':
        trns = data;
        break;
      case 'IDAT':
        idat.push(data);
        break;
      case 'IEND':
        ended = true;
        break;
      default:
        // An unknown critical chunk (upper-case first letter) changes the meaning of the image.
        if (type.charCodeAt(0) < 97) bad('corrupt-png', `unsupported PNG (unknown critical chunk ${JSON.stringify(type)})`);
    }
  }
  if (!header) bad('corrupt-png', 'corrupt or truncated PNG (no IHDR chunk)');
  const h = header!;
  if (idat.length === 0) bad('corrupt-png', 'corrupt or truncated PNG (no image data)');
  if (h.colorType === 3 && !palette) bad('corrupt-png', 'corrupt or truncated PNG (a palette image without a PLTE chunk)');

  const need = rawSize(h);
  let raw: Uint8Array;
  try {
    // The size is bounded by now: inflating into one chunk of exactly that size avoids zlib's final
    // copy (half the peak memory); above 1 GiB (raised limits) zlib gathers chunks as usual.
    raw = inflateSync(idat.length === 1 ? idat[0] : Buffer.concat(idat), { maxOutputLength: Math.max(need, 1), chunkSize: Math.max(64, Math.min(need, MAX_CHUNK)) });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE') bad('corrupt-png', `corrupt or truncated PNG (the image data inflates to more than the ${need} bytes a ${h.width}x${h.height} image needs)`);
    return bad('corrupt-png', `corrupt or truncated PNG (the image data does not inflate: ${err.message})`);
  }
  if (raw.length < need) bad('corrupt-png', `corrupt or truncated PNG (the image data inflates to ${raw.length} bytes, the ${h.width}x${h.height} image needs ${need}; the file ends before the image data does)`);

  const channels = CHANNELS[h.colorType];
  const samples = h.depth === 16 && h.colorType === 0 ? new Uint16Array(h.width * h.height) : new Uint8Array(h.width * h.height * channels);
  const bpp = Math.max(1, (channels * h.depth) >> 3);
  let at = 0;
  for (const [x0, y0, dx, dy, w, ht] of passes(h)) {
    if (w === 0 || ht === 0) continue;
    const rowBytes = Math.ceil((w * channels * h.depth) / 8);
    let prev: Uint8Array = new Uint8Array(rowBytes);
    for (let y = 0; y < ht; y++) {
      const filter = raw[at];
      const row = raw.subarray(at + 1, at + 1 + rowBytes);
      at += 1 + rowBytes;
      unfilter(filter, row, prev, bpp, bad);
      writeRow(row, samples, h, channels, x0 + 0, (y0 + y * dy) * h.width, dx, w);
      prev = row;
    }
  }
  if (h.colorType === 3) {
    const colours = palette!.length / 3;
    for (let i = 0; i < samples.length; i++) if (samples[i] >= colours) bad('corrupt-png', `corrupt or truncated PNG (palette index ${samples[i]} but the palette has ${colours} colours)`);
  }
  const out: DecodedPng = { ...h, channels, samples };
  if (h.colorType === 3) {
    out.palette = palette;
    if (trns) {
      const alpha = new Uint8Array(256).fill(255);
      alpha.set(trns.subarray(0, 256));
      out.paletteAlpha = alpha;
    }
  }
  return out;
}

/** Undoes a row's filter in place (PNG spec 9.2), `prev` being the unfiltered previous row. */
function unfilter(filter: number, row: Uint8Array, prev: Uint8Array, bpp: number, bad: (c: string, m: string) => never): void {
  const n = row.length;
  switch (filter) {
    case 0:
      return;
    case 1:
      for (let i = bpp; i < n; i++) row[i] = (row[i] + row[i - bpp]) & 0xff;
      return;
    case 2:
      for (let i = 0; i < n; i++) row[i] = (row[i] + prev[i]) & 0xff;
      return;
    case 3:
      for (let i = 0; i < n; i++) row[i] = (row[i] + (((i >= bpp ? row[i - bpp] : 0) + prev[i]) >> 1)) & 0xff;
      return;
    case 4:
      for (let i = 0; i < n; i++) {
        const a = i >= bpp ? row[i - bpp] : 0;
        const b = prev[i];
        const c = i >= bpp ? prev[i - bpp] : 0;
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        row[i] = (row[i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 0xff;
      }
      return;
    default:
      bad('corrupt-png', `corrupt or truncated PNG (unknown row filter ${filter})`);
  }
}

/** Scatters one unfiltered row of a pass into the image: pixel i goes to column x0 + i * dx. */
function writeRow(row: Uint8Array, out: Uint8Array | Uint16Array, h: PngHeader, channels: number, x0: number, rowStart: number, dx: number, w: number): void {
  const d = h.depth;
  if (d === 8) {
    for (let i = 0; i < w; i++) {
      const o = (rowStart + x0 + i * dx) * channels;
      for (let c = 0; c < channels; c++) out[o + c] = row[i * channels + c];
    }
  } else if (d === 16) {
    for (let i = 0; i < w; i++) {
      const o = (rowStart + x0 + i * dx) * channels;
      if (out instanceof Uint16Array) out[o] = (row[2 * i] << 8) | row[2 * i + 1];
      else for (let c = 0; c < channels; c++) out[o + c] = row[2 * (i * channels + c)];
    }
  } else {
    // 1, 2 or 4 bits, one channel (grey or palette index), most significant bits first
    const mask = (1 << d) - 1;
    for (let i = 0; i < w; i++) {
      const bit = i * d;
      out[rowStart + x0 + i * dx] = (row[bit >> 3] >> (8 - d - (bit & 7))) & mask;
    }
  }
}
