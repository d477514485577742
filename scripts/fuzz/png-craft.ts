/**
 * Hand-made PNG files for the fuzzer and the bounds tests: any declared size, any image data,
 * valid chunk CRCs, so a decoder's size checks (not its CRC check) are what the file meets.
 */
import { crc32 } from '../../src/io/crc32.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** One chunk: length, type, data, CRC of type + data. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const c = new Uint8Array(12 + data.length);
  const v = new DataView(c.buffer);
  v.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) c[4 + i] = type.charCodeAt(i);
  c.set(data, 8);
  v.setUint32(8 + data.length, crc32(c.subarray(4, 8 + data.length)));
  return c;
}

export interface CraftedPng {
  width: number;
  height: number;
  /** The IDAT payload: a zlib stream, or anything else to test the reader. */
  idat: Uint8Array;
  interlace?: number;
  colorType?: number;
  depth?: number;
}

/** Signature, IHDR declaring `width` x `height`, one IDAT, IEND. */
export function craftPng(p: CraftedPng): Uint8Array {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, p.width);
  v.setUint32(4, p.height);
  ihdr.set([p.depth ?? 8, p.colorType ?? 2, 0, 0, p.interlace ?? 0], 8);
  const parts = [Uint8Array.from(SIGNATURE), pngChunk('IHDR', ihdr), pngChunk('IDAT', p.idat), pngChunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((a, x) => a + x.length, 0));
  let at = 0;
  for (const x of parts) {
    out.set(x, at);
    at += x.length;
  }
  return out;
}
