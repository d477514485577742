/**
 * Image sets for evaluations, read in batches so that memory stays bounded however many images:
 *  - a folder of PNG / JPEG files (sorted by name; decoded a batch at a time), or one image file;
 *  - a safetensors data file with a U8 tensor `images` of shape [N, H, W] (grayscale) or
 *    [N, H, W, C] (C = 1..4, HWC) and optionally an integer tensor `labels` [N], such as
 *    ../shared/data/fmnist-test.safetensors. Only the header is parsed up front; each batch reads
 *    its own byte range from the file.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ImageError, SafetensorsError } from '../errors.js';
import { readImageFileSync } from '../io/decode-node.js';
import type { RawImage } from '../io/image.js';
import { MAX_HEADER_BYTES } from '../io/safetensors.js';

export interface ImageBatch {
  images: RawImage[];
  /** One name per image: the file name, or `file.safetensors#index`. */
  names: string[];
  labels?: number[];
}

export interface ImageSource {
  kind: 'images' | 'safetensors';
  path: string;
  /** Images this source will give (after `limit`). */
  count: number;
  /** Images available before `limit`. */
  available: number;
  hasLabels: boolean;
  /** Batches of at most `size` images, in order. */
  batches(size: number): Generator<ImageBatch>;
}

const IMAGE_EXT = /\.(png|jpe?g)$/i;

export interface SourceOptions {
  /** At most this many images: the first ones, or with `spread` the first of the spread order. */
  limit?: number;
  /**
   * Visit the images in a van der Corput order over the set (0, N/2, N/4, 3N/4, ...), so that
   * every prefix is spread evenly over the whole file: with a data file sorted by class (like
   * fmnist-test.safetensors) a --limit subset, and the first images the bounded experiments
   * use, then cover every class.
   */
  spread?: boolean;
}

/** A permutation of 0..n-1 whose every prefix is spread evenly (van der Corput in base 2). */
export function spreadOrder(n: number): number[] {
  const bits = Math.max(1, Math.ceil(Math.log2(Math.max(2, n))));
  const seen = new Uint8Array(n);
  const out: number[] = [];
  for (let k = 0; k < 2 ** bits; k++) {
    let r = 0;
    for (let b = 0; b < bits; b++) if (k & (1 << b)) r |= 1 << (bits - 1 - b);
    // 2^bits >= n points spaced 1/2^bits <= 1/n apart hit every slot at least once.
    const i = Math.floor((r * n) / 2 ** bits);
    if (!seen[i]) {
      seen[i] = 1;
      out.push(i);
    }
  }
  return out;
}

/** The indices a source gives, in order: the first `limit`, or the first `limit` of the spread order. */
export function pickIndices(available: number, limit: number, spread = false): number[] {
  const count = Math.min(available, limit);
  return spread ? spreadOrder(available).slice(0, count) : Array.from({ length: count }, (_, i) => i);
}

/** Opens a folder of PNG / JPEG images, one image file, or a safetensors data file. */
export function openImageSource(path: string, opts: SourceOptions = {}): ImageSource {
  if (!existsSync(path)) throw new ImageError('no-file', `${path}: no such file or folder`);
  const limit = opts.limit ?? Infinity;
  if (statSync(path).isDirectory()) {
    const files = readdirSync(path).filter((f) => IMAGE_EXT.test(f)).sort().map((f) => join(path, f));
    if (files.length === 0) throw new ImageError('no-file', `${path}: folder has no .png/.jpg images`);
    return fileSource(path, files, limit, opts.spread);
  }
  if (/\.safetensors$/i.test(path)) return safetensorsSource(path, limit, opts.spread);
  return fileSource(path, [path], limit, opts.spread);
}

function fileSource(path: string, files: string[], limit: number, spread?: boolean): ImageSource {
  const chosen = pickIndices(files.length, limit, spread).map((i) => files[i]);
  return {
    kind: 'images',
    path,
    count: chosen.length,
    available: files.length,
    hasLabels: false,
    *batches(size: number) {
      for (let i = 0; i < chosen.length; i += size) {
        const part = chosen.slice(i, i + size);
        yield { images: part.map((f) => readImageFileSync(f)), names: part.map((f) => basename(f)) };
      }
    },
  };
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

const INT_BYTES: Record<string, number> = { I64: 8, I32: 4, I16: 2, I8: 1, U8: 1 };

function readExactly(fd: number, length: number, position: number, path: string): Buffer {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) throw new SafetensorsError('truncated', `${path}: file ends at byte ${position + got}, expected ${length - got} more bytes`);
    got += n;
  }
  return buf;
}

function readHeader(fd: number, path: string, fileSize: number): { dataStart: number; entries: Map<string, HeaderEntry> } {
  if (fileSize < 8) throw new SafetensorsError('truncated', `${path}: file is ${fileSize} bytes, shorter than the 8-byte header length`);
  const n = Number(readExactly(fd, 8, 0, path).readBigUInt64LE(0));
  if (n > MAX_HEADER_BYTES || 8 + n > fileSize) throw new SafetensorsError('truncated', `${path}: header length ${n} does not fit the ${fileSize}-byte file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(readExactly(fd, n, 8, path).toString('utf8'));
  } catch (e) {
    throw new SafetensorsError('bad-json', `${path}: header is not valid JSON (${(e as Error).message})`);
  }
  const entries = new Map<string, HeaderEntry>();
  const dataSize = fileSize - 8 - n;
  for (const [name, raw] of Object.entries(header ?? {})) {
    if (name === '__metadata__') continue;
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const shape = e?.shape;
    const offs = e?.data_offsets;
    if (typeof e?.dtype !== 'string' || !Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0) || !Array.isArray(offs) || offs.length !== 2) {
      throw new SafetensorsError('bad-json', `${path}: tensor "${name}" has a malformed header entry`);
    }
    const [begin, end] = offs as number[];
    if (!(Number.isSafeInteger(begin) && Number.isSafeInteger(end) && begin >= 0 && begin <= end && end <= dataSize)) {
      throw new SafetensorsError('bad-offsets', `${path}: tensor "${name}" data_offsets [${begin}, ${end}) lie outside the ${dataSize}-byte data section`);
    }
    entries.set(name, { dtype: e.dtype, shape: shape as number[], begin, end });
  }
  return { dataStart: 8 + n, entries };
}

function safetensorsSource(path: string, limit: number, spread?: boolean): ImageSource {
  const fileSize = statSync(path).size;
  const fd = openSync(path, 'r');
  let header: ReturnType<typeof readHeader>;
  try {
    header = readHeader(fd, path, fileSize);
  } finally {
    closeSync(fd);
  }
  const images = header.entries.get('images');
  if (!images) {
    throw new ImageError('bad-dataset', `${path}: no tensor "images" (expected U8 [N, H, W] or [N, H, W, C]; found ${[...header.entries.keys()].join(', ') || 'no tensors'})`);
  }
  if (images.dtype !== 'U8' || !(images.shape.length === 3 || (images.shape.length === 4 && images.shape[3] >= 1 && images.shape[3] <= 4))) {
    throw new ImageError('bad-dataset', `${path}: tensor "images" is ${images.dtype} [${images.shape.join(', ')}], expected U8 [N, H, W] or [N, H, W, C] with C = 1..4`);
  }
  const [N, H, W] = images.shape;
  const C = images.shape[3] ?? 1;
  const per = H * W * C;
  if (images.end - images.begin !== N * per) throw new SafetensorsError('size-mismatch', `${path}: tensor "images" spans ${images.end - images.begin} bytes, its shape needs ${N * per}`);
  const labels = header.entries.get('labels');
  if (labels) {
    if (!(labels.dtype in INT_BYTES) || labels.shape.length !== 1 || labels.shape[0] !== N) {
      throw new ImageError('bad-dataset', `${path}: tensor "labels" is ${labels.dtype} [${labels.shape.join(', ')}], expected an integer tensor [${N}]`);
    }
    if (labels.end - labels.begin !== N * INT_BYTES[labels.dtype]) throw new SafetensorsError('size-mismatch', `${path}: tensor "labels" has the wrong byte length`);
  }
  const indices = pickIndices(N, limit, spread);
  const count = indices.length;
  const name = basename(path);
  return {
    kind: 'safetensors',
    path,
    count,
    available: N,
    hasLabels: !!labels,
    *batches(size: number) {
      const fd = openSync(path, 'r');
      try {
        for (let i = 0; i < count; i += size) {
          const ids = indices.slice(i, i + size);
          const n = ids.length;
          // Consecutive indices (the usual case) are one read; spread ones one read each.
          const contiguous = ids[n - 1] - ids[0] === n - 1;
          const read = (at: number, w: number) => {
            if (contiguous) return readExactly(fd, n * w, at + ids[0] * w, path);
            const buf = Buffer.alloc(n * w);
            ids.forEach((id, k) => readExactly(fd, w, at + id * w, path).copy(buf, k * w));
            return buf;
          };
          const bytes = read(header.dataStart + images.begin, per);
          const raw: RawImage[] = Array.from({ length: n }, (_, k) => ({ data: new Uint8Array(bytes.buffer, bytes.byteOffset + k * per, per), width: W, height: H, channels: C }));
          let lab: number[] | undefined;
          if (labels) {
            const w = INT_BYTES[labels.dtype];
            const lb = read(header.dataStart + labels.begin, w);
            lab = Array.from({ length: n }, (_, k) => {
              switch (labels.dtype) {
                case 'I64': return Number(lb.readBigInt64LE(k * 8));
                case 'I32': return lb.readInt32LE(k * 4);
                case 'I16': return lb.readInt16LE(k * 2);
                case 'I8': return lb.readInt8(k);
                default: return lb.readUInt8(k);
              }
            });
          }
          yield { images: raw, names: ids.map((id) => `${name}#${id}`), labels: lab };
        }
      } finally {
        closeSync(fd);
      }
    },
  };
}
