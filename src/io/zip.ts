/**
 * A small ZIP archive reader (PKWARE APPNOTE layout), enough for torch.save checkpoints and other
 * single-disk archives: the central directory (with ZIP64 records, which torch always writes),
 * stored entries, and deflated entries through an inflate function the caller injects (Node passes
 * zlib's; the core stays browser-safe). Entry data is checked against its CRC-32 when read.
 *
 * Sizes and offsets come from the central directory, never from the local headers: torch writes
 * its entries with data descriptors, so the local headers hold zero sizes.
 */
import { CheckpointError } from '../errors.js';
import { checkInflatedSize, getLimits, INFLATE_RATIO_FLOOR } from './limits.js';
import { crc32 } from './crc32.js';

/**
 * Decompresses raw DEFLATE data (no zlib header) to exactly `size` bytes, and must not produce
 * more than `size` (Node: `inflateRawSync(data, { maxOutputLength: size })`).
 */
export type Inflate = (compressed: Uint8Array, size: number) => Uint8Array;

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  compressedSize: number;
  /** Uncompressed size in bytes. */
  size: number;
  crc32: number;
  /** Offset of the entry's local header in the archive. */
  localHeaderOffset: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;

/** True when the bytes start like a zip archive (a local file header). */
export function looksLikeZip(data: Uint8Array): boolean {
  return data.byteLength >= 4 && data[0] === 0x50 && data[1] === 0x4b && data[2] === 0x03 && data[3] === 0x04;
}

export class ZipArchive {
  readonly entries = new Map<string, ZipEntry>();
  private readonly view: DataView;

  constructor(
    private readonly data: Uint8Array,
    readonly source: string,
    private readonly inflate?: Inflate,
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.readCentralDirectory();
  }

  private fail(code: string, message: string): never {
    throw new CheckpointError(code, `${this.source}: ${message}`);
  }

  private u64(at: number, what: string): number {
    const v = this.view.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail('bad-zip', `${what} ${v} is out of range`);
    return Number(v);
  }

  /** Finds the end-of-central-directory record: it sits in the last 22 + 65535 (comment) bytes. */
  private findEocd(): number {
    const n = this.data.byteLength;
    for (let at = n - 22; at >= Math.max(0, n - 22 - U16_MAX); at--) {
      if (this.view.getUint32(at, true) === SIG_EOCD) return at;
    }
    return this.fail(
      looksLikeZip(this.data) ? 'truncated' : 'not-zip',
      looksLikeZip(this.data)
        ? 'the zip archive has no end-of-central-directory record: the file is truncated (incomplete download?)'
        : 'not a zip archive (no end-of-central-directory record)',
    );
  }

  private readCentralDirectory(): void {
    if (this.data.byteLength < 22) this.fail(looksLikeZip(this.data) ? 'truncated' : 'not-zip', `${this.data.byteLength} bytes is too short for a zip archive (truncated?)`);
    const eocd = this.findEocd();
    const v = this.view;
    if (v.getUint16(eocd + 4, true) !== 0 || v.getUint16(eocd + 6, true) !== 0) this.fail('bad-zip', 'multi-disk (split) zip archives are not supported');
    let count = v.getUint16(eocd + 10, true);
    let cdSize = v.getUint32(eocd + 12, true);
    let cdOffset = v.getUint32(eocd + 16, true);
    const loc = eocd - 20;
    if (loc >= 0 && v.getUint32(loc, true) === SIG_ZIP64_LOCATOR) {
      const z = this.u64(loc + 8, 'ZIP64 end-of-central-directory offset');
      if (z + 56 > this.data.byteLength || v.getUint32(z, true) !== SIG_ZIP64_EOCD) this.fail('bad-zip', 'the ZIP64 end-of-central-directory record is missing or corrupt');
      count = this.u64(z + 32, 'entry count');
      cdSize = this.u64(z + 40, 'central directory size');
      cdOffset = this.u64(z + 48, 'central directory offset');
    } else if (count === U16_MAX || cdSize === U32_MAX || cdOffset === U32_MAX) {
      this.fail('bad-zip', 'the archive needs ZIP64 records but has none');
    }
    if (cdOffset + cdSize > this.data.byteLength) this.fail('truncated', `the central directory [${cdOffset}, ${cdOffset + cdSize}) runs past the end of the ${this.data.byteLength}-byte file (truncated?)`);
    // Each entry needs at least 46 directory bytes: a count beyond that is a lie, refused before the loop.
    if (count > cdSize / 46) this.fail('bad-zip', `the directory declares ${count} entries but has room for ${Math.floor(cdSize / 46)}`);
    let at = cdOffset;
    let inflatedTotal = 0;
    for (let i = 0; i < count; i++) {
      if (at + 46 > cdOffset + cdSize || v.getUint32(at, true) !== SIG_CENTRAL) this.fail('bad-zip', `central directory entry ${i} of ${count} is corrupt`);
      const flags = v.getUint16(at + 8, true);
      const method = v.getUint16(at + 10, true);
      const crc = v.getUint32(at + 16, true);
      let csize = v.getUint32(at + 20, true);
      let size = v.getUint32(at + 24, true);
      const nameLen = v.getUint16(at + 28, true);
      const extraLen = v.getUint16(at + 30, true);
      const commentLen = v.getUint16(at + 32, true);
      let offset = v.getUint32(at + 42, true);
      const nameStart = at + 46;
      if (nameStart + nameLen + extraLen + commentLen > cdOffset + cdSize) this.fail('bad-zip', `central directory entry ${i} runs past the directory`);
      const name = new TextDecoder().decode(this.data.subarray(nameStart, nameStart + nameLen));
      // ZIP64 extended information: the 64-bit values of the fields that read 0xFFFFFFFF, in this order.
      for (let e = nameStart + nameLen; e + 4 <= nameStart + nameLen + extraLen; ) {
        const id = v.getUint16(e, true);
        const len = v.getUint16(e + 2, true);
        if (id === 0x0001) {
          let f = e + 4;
          const take = () => {
            if (f + 8 > e + 4 + len) this.fail('bad-zip', `entry "${name}" has a short ZIP64 extra field`);
            const x = this.u64(f, `entry "${name}" ZIP64 field`);
            f += 8;
            return x;
          };
          if (size === U32_MAX) size = take();
          if (csize === U32_MAX) csize = take();
          if (offset === U32_MAX) offset = take();
        }
        e += 4 + len;
      }
      if (flags & 0x1) this.fail('unsupported-zip', `entry "${name}" is encrypted`);
      if (method !== 0 && method !== 8) this.fail('unsupported-zip', `entry "${name}" uses compression method ${method} (only stored and deflated entries are supported)`);
      if (this.entries.has(name)) this.fail('bad-zip', `entry "${name}" appears twice in the archive`);
      if (method === 8) {
        // Bounded before anything is inflated: per entry, and in total (overlapping entries
        // that inflate the same compressed bytes many times are the classic zip bomb).
        checkInflatedSize(size, csize, `${this.source}: entry "${name}"`, (code, msg) => this.fail(code, msg));
        inflatedTotal += size;
        const l = getLimits();
        if (inflatedTotal > INFLATE_RATIO_FLOOR && inflatedTotal > this.data.byteLength * l.maxInflateRatio) {
          this.fail('too-large', `the archive's entries declare ${inflatedTotal} inflated bytes in total from a ${this.data.byteLength}-byte file, a ratio above ${l.maxInflateRatio} (a zip bomb? raise it with setLimits({ maxInflateRatio }) if you trust the file)`);
        }
      }
      this.entries.set(name, { name, method, compressedSize: csize, size, crc32: crc, localHeaderOffset: offset });
      at = nameStart + nameLen + extraLen + commentLen;
    }
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The uncompressed bytes of an entry (a view into the archive for stored entries), CRC-checked. */
  read(name: string): Uint8Array {
    const e = this.entries.get(name);
    if (!e) this.fail('missing-entry', `the archive has no entry "${name}"`);
    const v = this.view;
    const h = e.localHeaderOffset;
    if (h + 30 > this.data.byteLength) this.fail('truncated', `entry "${name}" starts past the end of the file (truncated?)`);
    if (v.getUint32(h, true) !== SIG_LOCAL) this.fail('bad-zip', `entry "${name}" has no local header at offset ${h}`);
    // The local header's own name and extra lengths (its extra field may differ from the central one).
    const start = h + 30 + v.getUint16(h + 26, true) + v.getUint16(h + 28, true);
    if (start + e.compressedSize > this.data.byteLength) {
      this.fail('truncated', `entry "${name}" (${e.compressedSize} bytes at ${start}) runs past the end of the ${this.data.byteLength}-byte file (truncated download?)`);
    }
    const raw = this.data.subarray(start, start + e.compressedSize);
    let out: Uint8Array;
    if (e.method === 0) {
      if (e.compressedSize !== e.size) this.fail('bad-zip', `stored entry "${name}" has compressed size ${e.compressedSize} but size ${e.size}`);
      out = raw;
    } else {
      if (!this.inflate) this.fail('unsupported-zip', `entry "${name}" is deflated and no inflate function was given (in Node, read the file with vitlens/node)`);
      try {
        out = this.inflate(raw, e.size);
      } catch (err) {
        this.fail('bad-zip', `entry "${name}" does not inflate: ${(err as Error).message}`);
      }
      if (out.byteLength !== e.size) this.fail('bad-zip', `entry "${name}" inflates to ${out.byteLength} bytes, expected ${e.size}`);
    }
    const c = crc32(out);
    if (c !== e.crc32) this.fail('crc-mismatch', `entry "${name}" fails its CRC-32 check (stored ${e.crc32.toString(16)}, computed ${c.toString(16)}): the file is corrupt`);
    return out;
  }
}

/** Reads the directory of a zip archive held in memory; entries are read on demand. */
export function readZip(data: Uint8Array, source = 'zip', inflate?: Inflate): ZipArchive {
  return new ZipArchive(data, source, inflate);
}
