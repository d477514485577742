/**
 * Image sets for evaluations, read in batches so that memory stays bounded however many images:
 *  - a folder of PNG / JPEG files (sorted by name; decoded a batch at a time), or one image file;
 *  - a safetensors data file with a U8 tensor `images` of shape [N, H, W] (grayscale) or
 *    [N, H, W, C] (C = 1..4, HWC), optionally an integer tensor `labels` [N] and a U8 tensor
 *    `masks` [N, H, W] of segmentation class ids per pixel, such as
 *    ../shared/data/fmnist-test.safetensors. Only the header is parsed up front; each batch reads
 *    its own byte range from the file.
 * Every image has an id: its position in the run's order (after --limit / --spread). A shard
 * (select) keeps the ids, so shards and resumed runs name each image the same way.
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
  /** Each image's id: its position in the run's order. */
  ids: number[];
  labels?: number[];
  /** Per image: segmentation class ids [H * W], when the source has masks. */
  masks?: Uint8Array[];
}

export interface ImageSource {
  kind: 'images' | 'safetensors';
  path: string;
  /** Images this source will give (after `limit` and a shard's selection). */
  count: number;
  /** Images available before `limit`. */
  available: number;
  hasLabels: boolean;
  /** The data file has a `masks` tensor. */
  hasMasks: boolean;
  /** Batches of at most `size` images, in order, skipping the first `skip` images. */
  batches(size: number, skip?: number): Generator<ImageBatch>;
  /** Labels of all images this source gives, in order (reads only the labels). */
  labels(): number[] | undefined;
  /** The images at positions `positions` (ascending) of this source, keeping their ids. */
  select(positions: readonly number[]): ImageSource;
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
  const order = pickIndices(files.length, limit, spread);
  return fileSubset(path, files, order, order.map((_, i) => i));
}

/** Files `order[k]` with ids `ids[k]`. */
function fileSubset(path: string, files: string[], order: readonly number[], ids: readonly number[]): ImageSource {
  return {
    kind: 'images',
    path,
    count: order.length,
    available: files.length,
    hasLabels: false,
    hasMasks: false,
    *batches(size: number, skip = 0) {
      for (let i = skip; i < order.length; i += size) {
        const part = order.slice(i, i + size).map((k) => files[k]);
        yield { images: part.map((f) => readImageFileSync(f)), names: part.map((f) => basename(f)), ids: ids.slice(i, i + size) };
      }
    },
    labels: () => undefined,
    select: (positions) => fileSubset(path, files, positions.map((p) => order[p]), positions.map((p) => ids[p])),
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

/**
 * A safetensors data file's images (tensor `tensor`, default "images"), labels and masks.
 * With tensor "masks" it reads a masks-only file: its masks come back as one-channel images.
 */
export function safetensorsSource(path: string, limit: number, spread?: boolean, tensor = 'images'): ImageSource {
  const fileSize = statSync(path).size;
  const fd = openSync(path, 'r');
  let header: ReturnType<typeof readHeader>;
  try {
    header = readHeader(fd, path, fileSize);
  } finally {
    closeSync(fd);
  }
  const images = header.entries.get(tensor);
  if (!images) {
    throw new ImageError('bad-dataset', `${path}: no tensor "${tensor}" (expected U8 [N, H, W] or [N, H, W, C]; found ${[...header.entries.keys()].join(', ') || 'no tensors'})`);
  }
  if (images.dtype !== 'U8' || !(images.shape.length === 3 || (images.shape.length === 4 && images.shape[3] >= 1 && images.shape[3] <= 4))) {
    throw new ImageError('bad-dataset', `${path}: tensor "${tensor}" is ${images.dtype} [${images.shape.join(', ')}], expected U8 [N, H, W] or [N, H, W, C] with C = 1..4`);
  }
  const [N, H, W] = images.shape;
  const C = images.shape[3] ?? 1;
  const per = H * W * C;
  if (images.end - images.begin !== N * per) throw new SafetensorsError('size-mismatch', `${path}: tensor "${tensor}" spans ${images.end - images.begin} bytes, its shape needs ${N * per}`);
  const labels = header.entries.get('labels');
  if (labels) {
    if (!(labels.dtype in INT_BYTES) || labels.shape.length !== 1 || labels.shape[0] !== N) {
      throw new ImageError('bad-dataset', `${path}: tensor "labels" is ${labels.dtype} [${labels.shape.join(', ')}], expected an integer tensor [${N}]`);
    }
    if (labels.end - labels.begin !== N * INT_BYTES[labels.dtype]) throw new SafetensorsError('size-mismatch', `${path}: tensor "labels" has the wrong byte length`);
  }
  const masks = tensor === 'images' ? header.entries.get('masks') : undefined;
  if (masks) {
    if (masks.dtype !== 'U8' || masks.shape.length !== 3 || masks.shape[0] !== N || masks.shape[1] !== H || masks.shape[2] !== W) {
      throw new ImageError('bad-dataset', `${path}: tensor "masks" is ${masks.dtype} [${masks.shape.join(', ')}], expected U8 [${N}, ${H}, ${W}] (a class id per pixel)`);
    }
    if (masks.end - masks.begin !== N * H * W) throw new SafetensorsError('size-mismatch', `${path}: tensor "masks" has the wrong byte length`);
  }
  const name = basename(path);
  const readLabels = (fd: number, ids: readonly number[], read: (at: number, w: number) => Buffer): number[] | undefined => {
    if (!labels) return undefined;
    const w = INT_BYTES[labels.dtype];
    const lb = read(header.dataStart + labels.begin, w);
    return Array.from({ length: ids.length }, (_, k) => {
      switch (labels.dtype) {
        case 'I64': return Number(lb.readBigInt64LE(k * 8));
        case 'I32': return lb.readInt32LE(k * 4);
        case 'I16': return lb.readInt16LE(k * 2);
        case 'I8': return lb.readInt8(k);
        default: return lb.readUInt8(k);
      }
    });
  };
  /** Reads per-image rows of width w at byte `at` for file indices `idx` (one read when consecutive). */
  const reader = (fd: number, idx: readonly number[]) => {
    const n = idx.length;
    const contiguous = n > 0 && idx[n - 1] - idx[0] === n - 1 && idx.every((v, k) => v === idx[0] + k);
    return (at: number, w: number) => {
      if (contiguous) return readExactly(fd, n * w, at + idx[0] * w, path);
      const buf = Buffer.alloc(n * w);
      idx.forEach((id, k) => readExactly(fd, w, at + id * w, path).copy(buf, k * w));
      return buf;
    };
  };
  const subset = (order: readonly number[], ids: readonly number[]): ImageSource => ({
    kind: 'safetensors',
    path,
    count: order.length,
    available: N,
    hasLabels: !!labels,
    hasMasks: !!masks,
    *batches(size: number, skip = 0) {
      const fd = openSync(path, 'r');
      try {
        for (let i = skip; i < order.length; i += size) {
          const idx = order.slice(i, i + size);
          const n = idx.length;
          const read = reader(fd, idx);
          const bytes = read(header.dataStart + images.begin, per);
          const raw: RawImage[] = Array.from({ length: n }, (_, k) => ({ data: new Uint8Array(bytes.buffer, bytes.byteOffset + k * per, per), width: W, height: H, channels: C }));
          const m = masks ? read(header.dataStart + masks.begin, H * W) : undefined;
          yield {
            images: raw,
            names: idx.map((id) => `${name}#${id}`),
            ids: ids.slice(i, i + size),
            labels: readLabels(fd, idx, read),
            masks: m && Array.from({ length: n }, (_, k) => new Uint8Array(m.buffer, m.byteOffset + k * H * W, H * W)),
          };
        }
      } finally {
        closeSync(fd);
      }
    },
    labels() {
      if (!labels) return undefined;
      const fd = openSync(path, 'r');
      try {
        return readLabels(fd, order, reader(fd, order));
      } finally {
        closeSync(fd);
      }
    },
    select: (positions) => subset(positions.map((p) => order[p]), positions.map((p) => ids[p])),
  });
  const order = pickIndices(N, limit, spread);
  return subset(order, order.map((_, i) => i));
}
