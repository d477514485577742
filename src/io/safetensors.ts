/**
 * safetensors reader and writer (https://github.com/huggingface/safetensors format):
 * 8-byte little-endian header length n, n bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end)}, __metadata__?: {..}}`, then the raw
 * little-endian data; offsets are relative to the first byte after the header.
 *
 * The reader trusts nothing: header length against the file size and a sane bound, JSON shape,
 * dtypes, offsets in range and not overlapping, and shape x dtype size = byte length are all
 * checked, each failure a SafetensorsError that names the tensor and the problem.
 */
import { SafetensorsError } from '../errors.js';

export type Dtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const DTYPE_BYTES: Record<Dtype, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

/** Largest JSON header accepted (the reference implementation's own limit is 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorEntry {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** Raw little-endian bytes (a view into the file, not a copy). */
  bytes: Uint8Array;
}

export interface SafetensorsFile {
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
}

function fail(code: string, message: string, source: string): never {
  throw new SafetensorsError(code, `${source}: ${message}`);
}

/** Parses and validates a whole safetensors file held in memory. `source` names it in errors. */
export function parseSafetensors(data: Uint8Array, source = 'safetensors'): SafetensorsFile {
  if (data.byteLength < 8) {
    fail('truncated', `file is ${data.byteLength} bytes, shorter than the 8-byte header length`, source);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(MAX_HEADER_BYTES)) {
    fail('header-too-large', `header length ${headerLen} exceeds the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`, source);
  }
  const n = Number(headerLen);
  if (8 + n > data.byteLength) {
    fail('truncated', `header length ${n} runs past the end of the ${data.byteLength}-byte file (truncated download?)`, source);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(8, 8 + n)));
  } catch (e) {
    fail('bad-json', `header is not valid UTF-8 JSON (${(e as Error).message})`, source);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    fail('bad-json', 'header must be a JSON object of tensors', source);
  }
  // JSON.parse keeps the last of two equal keys: a header naming a tensor twice is ambiguous.
  const dup = duplicateTopLevelKey(new TextDecoder().decode(data.subarray(8, 8 + n)));
  if (dup !== null) fail('duplicate-name', `tensor "${dup}" is declared twice in the header (the file is corrupt or was edited)`, source);
  const body = data.subarray(8 + n);
  const tensors = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  const spans: { begin: number; end: number; name: string }[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('bad-json', '__metadata__ must be an object', source);
      metadata = Object.fromEntries(Object.entries(raw as object).map(([k, v]) => [k, String(v)]));
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (info === null || typeof info !== 'object') fail('bad-json', `entry "${name}" is not an object`, source);
    if (typeof info.dtype !== 'string' || !(info.dtype in DTYPE_BYTES)) {
      fail('bad-dtype', `tensor "${name}" has unknown dtype ${JSON.stringify(info.dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`, source);
    }
    const dtype = info.dtype as Dtype;
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail('bad-shape', `tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`, source);
    }
    const offs = info.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail('bad-offsets', `tensor "${name}" has invalid data_offsets ${JSON.stringify(offs)}`, source);
    }
    const [begin, end] = offs as [number, number];
    if (begin > end || end > body.byteLength) {
      fail('bad-offsets', `tensor "${name}" data_offsets [${begin}, ${end}) lie outside the ${body.byteLength}-byte data section (truncated file?)`, source);
    }
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    if (numel * DTYPE_BYTES[dtype] !== end - begin) {
      fail('size-mismatch', `tensor "${name}" has shape [${(shape as number[]).join(', ')}] of ${dtype} = ${numel * DTYPE_BYTES[dtype]} bytes but its offsets span ${end - begin} bytes`, source);
    }
    spans.push({ begin, end, name });
    tensors.set(name, { name, dtype, shape: shape as number[], bytes: body.subarray(begin, end) });
  }
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < spans.length; i++) {
    const prev = spans[i - 1];
    const cur = spans[i];
    if (cur.begin < prev.end && cur.end > cur.begin && prev.end > prev.begin) {
      fail('overlap', `tensors "${prev.name}" [${prev.begin}, ${prev.end}) and "${cur.name}" [${cur.begin}, ${cur.end}) overlap`, source);
    }
  }
  return { tensors, metadata };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The first key that appears twice in the top-level object of valid JSON `text`, or null. */
function duplicateTopLevelKey(text: string): string | null {
  const seen = new Set<string>();
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== QUOTE) j += text.charCodeAt(j) === BACKSLASH ? 2 : 1;
      if (depth === 1) {
        let k = j + 1;
        while (k < text.length && /\s/.test(text[k])) k++;
        if (text[k] === ':') {
          const key = JSON.parse(text.slice(i, j + 1)) as string;
          if (seen.has(key)) return key;
          seen.add(key);
        }
      }
      i = j;
    } else if (c === 0x7b || c === 0x5b) depth++; // { [
    else if (c === 0x7d || c === 0x5d) depth--; // } ]
  }
  return null;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Converts a floating-point tensor (F32, F16, BF16, F64) to a fresh Float32Array. */
export function toFloat32(t: TensorEntry): Float32Array {
  const n = t.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  const dv = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  switch (t.dtype) {
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
      return out;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, true);
      return out;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(2 * i, true));
      return out;
    case 'BF16': {
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u[i] = dv.getUint16(2 * i, true) << 16;
      return out;
    }
    default:
      throw new SafetensorsError('bad-dtype', `tensor "${t.name}" is ${t.dtype}, expected a floating-point dtype (F32, F16, BF16, F64)`);
  }
}

/** Reads an integer tensor (I64, I32, I16, I8, U8, BOOL) as plain numbers. */
export function toIntArray(t: TensorEntry): Int32Array | Float64Array {
  const n = t.shape.reduce((a, b) => a * b, 1);
  const dv = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  switch (t.dtype) {
    case 'I32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(4 * i, true);
      return out;
    }
    case 'I64': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = Number(dv.getBigInt64(8 * i, true));
      return out;
    }
    case 'I16': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt16(2 * i, true);
      return out;
    }
    case 'I8': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt8(i);
      return out;
    }
    case 'U8':
    case 'BOOL':
      return Int32Array.from(t.bytes);
    default:
      throw new SafetensorsError('bad-dtype', `tensor "${t.name}" is ${t.dtype}, expected an integer dtype`);
  }
}

export interface TensorToWrite {
  dtype: 'F32' | 'I32' | 'U8' | 'I64';
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array | BigInt64Array;
}

/** Serialises tensors (in the given order) to safetensors bytes; the header is space-padded to 8 bytes. */
export function serializeSafetensors(tensors: Record<string, TensorToWrite>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  const chunks: Uint8Array[] = [];
  for (const [name, t] of Object.entries(tensors)) {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    if (bytes.byteLength !== numel * DTYPE_BYTES[t.dtype]) {
      throw new SafetensorsError('size-mismatch', `cannot write "${name}": shape [${t.shape.join(', ')}] of ${t.dtype} needs ${numel * DTYPE_BYTES[t.dtype]} bytes, data has ${bytes.byteLength}`);
    }
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded !== json.byteLength) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let at = 8 + json.byteLength;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
