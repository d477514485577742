/**
 * Text in PNG files: what a picture shows (method, class, value range, "empty: …") travels
 * inside the file as iTXt chunks (UTF-8 text; tEXt is Latin-1 only and "≤" is not in it), for
 * anyone who opens the PNG without the report. Plain bytes in and out: browser-safe.
 */

import { InputError } from '../errors.js';
import { crc32 } from '../io/crc32.js';

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

function isPng(png: Uint8Array): boolean {
  return png.length >= 33 && SIGNATURE.every((b, i) => png[i] === b);
}

/** An iTXt chunk: keyword, no compression, no language tag, UTF-8 text. */
function itxtChunk(keyword: string, text: string): Uint8Array {
  if (!/^[\x20-\x7e]{1,79}$/.test(keyword)) throw new InputError('bad-option', `PNG text keyword must be 1-79 printable ASCII characters, got "${keyword}"`);
  const enc = new TextEncoder();
  const body = [...enc.encode(keyword), 0, 0, 0, 0, 0, ...enc.encode(text)];
  const typed = new Uint8Array(4 + body.length);
  typed.set(enc.encode('iTXt'), 0);
  typed.set(body, 4);
  const chunk = new Uint8Array(12 + body.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, body.length);
  chunk.set(typed, 4);
  view.setUint32(8 + body.length, crc32(typed));
  return chunk;
}

/** `png` with `entries` as iTXt chunks right after the header chunk (IHDR). */
export function withPngText(png: Uint8Array, entries: Record<string, string>): Uint8Array {
  if (!isPng(png)) throw new InputError('bad-image', 'not a PNG file');
  const ihdrEnd = 8 + 12 + new DataView(png.buffer, png.byteOffset).getUint32(8);
  const chunks = Object.entries(entries).map(([k, v]) => itxtChunk(k, v));
  const out = new Uint8Array(png.length + chunks.reduce((n, c) => n + c.length, 0));
  out.set(png.subarray(0, ihdrEnd), 0);
  let o = ihdrEnd;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  out.set(png.subarray(ihdrEnd), o);
  return out;
}

/** The tEXt and iTXt entries of a PNG (uncompressed ones), keyword -> text. */
export function readPngText(png: Uint8Array): Record<string, string> {
  if (!isPng(png)) throw new InputError('bad-image', 'not a PNG file');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const dec = new TextDecoder();
  const latin1 = new TextDecoder('latin1');
  const out: Record<string, string> = {};
  for (let o = 8; o + 12 <= png.length; ) {
    const len = view.getUint32(o);
    const type = latin1.decode(png.subarray(o + 4, o + 8));
    const body = png.subarray(o + 8, Math.min(png.length, o + 8 + len));
    const nul = body.indexOf(0);
    if (nul > 0 && type === 'tEXt') out[latin1.decode(body.subarray(0, nul))] = latin1.decode(body.subarray(nul + 1));
    if (nul > 0 && type === 'iTXt' && body[nul + 1] === 0) {
      const lang = body.indexOf(0, nul + 3);
      const translated = lang < 0 ? -1 : body.indexOf(0, lang + 1);
      if (translated >= 0) out[latin1.decode(body.subarray(0, nul))] = dec.decode(body.subarray(translated + 1));
    }
    if (type === 'IEND') break;
    o += 12 + len;
  }
  return out;
}
