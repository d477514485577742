/**
 * A minimal zip writer for the fuzzer: rebuilds a checkpoint archive after one entry was mutated,
 * with correct CRCs, so the mutation reaches the unpickler / tensor reader instead of failing the
 * CRC check. Entries are stored or raw-deflated; no ZIP64 (fuzz inputs are small).
 */
import { deflateRawSync } from 'node:zlib';
import { crc32 } from '../../src/io/crc32.js';

export interface ZipInput {
  name: string;
  data: Uint8Array;
  deflate?: boolean;
  /** Overrides the size written in the central directory (to craft lying directories). */
  declaredSize?: number;
}

export function writeZip(entries: readonly ZipInput[]): Uint8Array {
  // The same data under several names (overlapping-entry bombs) is deflated once.
  const deflated = new Map<Uint8Array, Uint8Array>();
  const crcs = new Map<Uint8Array, number>();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = new TextEncoder().encode(e.name);
    let body = e.data;
    if (e.deflate) {
      body = deflated.get(e.data) ?? new Uint8Array(deflateRawSync(e.data));
      deflated.set(e.data, body);
    }
    const crc = crcs.get(e.data) ?? crc32(e.data);
    crcs.set(e.data, crc);
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, e.deflate ? 8 : 0, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, body.length, true);
    lv.setUint32(22, e.data.length, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const cd = new Uint8Array(46 + name.length);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, e.deflate ? 8 : 0, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, body.length, true);
    cv.setUint32(24, e.declaredSize ?? e.data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    cd.set(name, 46);
    parts.push(local, body);
    central.push(cd);
    offset += local.length + body.length;
  }
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + cdSize + 22);
  let at = 0;
  for (const p of [...parts, ...central, eocd]) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
