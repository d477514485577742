/**
 * The fuzzed loader families: for each, its seed files, how input `i` is made from them (generic
 * byte mutations plus mutations that know the format well enough to get past checksums and to aim
 * at declared sizes), and the code an input is run through (in the worker process).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync, inflateSync } from 'node:zlib';
import { convertCheckpoint } from '../../src/convert/convert.js';
import { decodeImage } from '../../src/io/decode-node.js';
import { preprocess } from '../../src/io/preprocess.js';
import { parseSafetensors, serializeSafetensors, toFloat32 } from '../../src/io/safetensors.js';
import { readTorchCheckpoint, TorchTensor } from '../../src/io/torch-checkpoint.js';
import { crc32 } from '../../src/io/crc32.js';
import { readZip } from '../../src/io/zip.js';
import { craftPng, pngChunk } from './png-craft.js';
import { checkFitsDevice, configFromHub } from '../../src/model/config.js';
import { checkWeights, configForWeights, expectedParams } from '../../src/model/weights.js';
import { nodeInflate } from '../../src/node/convert.js';
import { INTERESTING_U32, mutateMany, Rng } from './mutate.js';
import { writeZip } from './zip-write.js';

export const FAMILIES = ['safetensors', 'config', 'torch-zip', 'torch-pickle', 'png', 'jpeg'] as const;
export type Family = (typeof FAMILIES)[number];

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = join(root, 'test/fixtures');

// ---- seeds -------------------------------------------------------------------------------

/** A tiny ViT config (hub layout) whose weights are small enough to mutate quickly. */
export const TINY_CONFIG = {
  architecture: 'vit_fuzz_tiny',
  num_classes: 3,
  model_args: { img_size: 8, patch_size: 4, embed_dim: 8, depth: 2, num_heads: 2, in_chans: 3, mlp_ratio: 2 },
  pretrained_cfg: { input_size: [3, 8, 8], interpolation: 'bicubic', crop_pct: 0.9, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
};

function tinyWeights(): Uint8Array {
  const cfg = configFromHub(TINY_CONFIG);
  const rng = new Rng(1, 0);
  const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
  for (const p of expectedParams(cfg)) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    tensors[p.name] = { dtype: 'F32', shape: p.shape, data: Float32Array.from({ length: n }, () => rng.next() - 0.5) };
  }
  return serializeSafetensors(tensors);
}

function decodeFixtureFiles(suffix: RegExp): Uint8Array[] {
  const f = parseSafetensors(new Uint8Array(readFileSync(join(fixtures, 'decode_fixture.safetensors'))));
  return [...f.tensors].filter(([n]) => n.startsWith('file/') && suffix.test(n)).map(([, t]) => new Uint8Array(t.bytes));
}

const CHECKPOINTS = ['timm_tiny.pth', 'deflated.pth', 'bigendian.pth', 'dino_tiny.pth', 'dinov2_tiny.pth', 'complex.pth'];

interface Seeds {
  safetensors: Uint8Array[];
  weights: Uint8Array;
  checkpoints: Uint8Array[];
  png: Uint8Array[];
  jpeg: Uint8Array[];
}

let seeds: Seeds | null = null;

function loadSeeds(): Seeds {
  if (seeds) return seeds;
  const weights = tinyWeights();
  seeds = {
    weights,
    safetensors: [weights, ...['timm_tiny', 'dino_tiny'].map((n) => new Uint8Array(readFileSync(join(fixtures, 'checkpoints', `${n}.expected.safetensors`))))],
    checkpoints: CHECKPOINTS.map((n) => new Uint8Array(readFileSync(join(fixtures, 'checkpoints', n)))),
    png: decodeFixtureFiles(/\.png$/),
    jpeg: decodeFixtureFiles(/\.jpg$/),
  };
  return seeds;
}

// ---- format-aware mutations --------------------------------------------------------------

/** Frames a config (JSON text) and weights as one input: u32 config length, config, weights. */
export function frameConfig(json: Uint8Array, weights: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + json.length + weights.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  out.set(weights, 4 + json.length);
  return out;
}

function unframeConfig(b: Uint8Array): { json: Uint8Array; weights: Uint8Array } {
  const n = Math.min(b.length >= 4 ? new DataView(b.buffer, b.byteOffset).getUint32(0, true) : 0, Math.max(0, b.length - 4));
  return { json: b.subarray(4, 4 + n), weights: b.subarray(4 + n) };
}

const CONFIG_FIELDS = [
  ['model_args', 'depth'], ['model_args', 'embed_dim'], ['model_args', 'num_heads'], ['model_args', 'in_chans'], ['model_args', 'img_size'],
  ['model_args', 'patch_size'], ['model_args', 'mlp_ratio'], ['model_args', 'reg_tokens'], ['model_args', 'class_token'], ['model_args', 'global_pool'],
  ['num_classes'], ['pretrained_cfg', 'input_size'], ['pretrained_cfg', 'crop_pct'], ['pretrained_cfg', 'mean'], ['pretrained_cfg', 'std'],
  ['pretrained_cfg', 'interpolation'], ['pretrained_cfg', 'crop_mode'], ['label_names'], ['model_args'], ['pretrained_cfg'], ['architecture'],
];
const CONFIG_VALUES: unknown[] = [
  0, -1, 1, 2, 3, 4, 7, 1e8, 1e6, 1e308, -1e308, 1e-9, 0.5, 'NaN', 'x', '', null, true, [], {}, [1, 100000, 100000], [3, 8192, 8192], [3, 8, 8],
  [1, 8, 8], [3, 0, 8], [0.5], [0, 0, 0], 2 ** 31, 2 ** 53, 65536, 4096, 16384, [8, 8], [8], ['a', 'b', 'c'], 'avg', 'bilinear', 'squash', 'border',
];

function mutateConfig(rng: Rng): Uint8Array {
  const s = loadSeeds();
  const cfg = structuredClone(TINY_CONFIG) as Record<string, unknown>;
  for (let k = 1 + rng.int(3); k > 0; k--) {
    const path = rng.pick(CONFIG_FIELDS);
    let o = cfg as Record<string, unknown>;
    for (const p of path.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>;
    if (typeof o === 'object' && o !== null) o[path[path.length - 1]] = structuredClone(rng.pick(CONFIG_VALUES));
  }
  let json = new TextEncoder().encode(JSON.stringify(cfg));
  if (rng.chance(0.15)) json = mutateMany(json, rng) as Uint8Array<ArrayBuffer>;
  const weights = rng.chance(0.2) ? mutateMany(s.weights, rng, s.safetensors) : s.weights;
  return frameConfig(json, weights);
}

/** Recomputes every chunk CRC of a PNG, so mutated chunk contents reach the decoder. */
function fixPngCrcs(b: Uint8Array): Uint8Array {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let at = 8; at + 12 <= b.length; ) {
    const len = v.getUint32(at);
    if (at + 12 + len > b.length) break;
    v.setUint32(at + 8 + len, crc32(b.subarray(at + 4, at + 8 + len)));
    at += 12 + len;
  }
  return b;
}

/** A PNG whose header declares `w` x `h` and whose image data inflates to `inflated` zero bytes. */
function pngBomb(width: number, height: number, interlace: number, inflated: number, colorType = 2, depth = 8): Uint8Array {
  return craftPng({ width, height, interlace, colorType, depth, idat: new Uint8Array(deflateSync(new Uint8Array(inflated))) });
}

/** Inflates a PNG's image data, mutates it (filter types, samples, palette indices, length) and deflates it again. */
function mutatePngPixels(b: Uint8Array, rng: Rng): Uint8Array {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const before: Uint8Array[] = [];
  const idat: Uint8Array[] = [];
  const after: Uint8Array[] = [];
  for (let at = 8; at + 12 <= b.length; ) {
    const len = v.getUint32(at);
    const type = String.fromCharCode(...b.subarray(at + 4, at + 8));
    const whole = b.subarray(at, at + 12 + len);
    if (type === 'IDAT') idat.push(b.subarray(at + 8, at + 8 + len));
    else (idat.length ? after : before).push(whole);
    at += 12 + len;
  }
  let raw: Uint8Array;
  try {
    raw = new Uint8Array(inflateSync(Buffer.concat(idat)));
  } catch {
    return b;
  }
  const parts = [b.subarray(0, 8), ...before, pngChunk('IDAT', new Uint8Array(deflateSync(mutateMany(raw, rng, [], 4)))), ...after];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function mutatePng(rng: Rng): Uint8Array {
  const s = loadSeeds();
  const r = rng.next();
  if (r < 0.03) return pngBomb(rng.pick([1, 8, 100, 30000]), rng.pick([1, 8, 100, 30000]), rng.int(2), rng.pick([0, 64, 1 << 20, 16 << 20]));
  const base = rng.pick(s.png);
  if (r < 0.2) {
    // the declared size: IHDR width / height at 16..23
    const b = new Uint8Array(base);
    const v = new DataView(b.buffer);
    v.setUint32(rng.chance(0.5) ? 16 : 20, rng.chance(0.5) ? rng.pick(INTERESTING_U32) : rng.int(70000));
    return fixPngCrcs(b);
  }
  if (r < 0.45) return mutatePngPixels(base, rng);
  const m = mutateMany(base, rng, s.png);
  return r < 0.75 ? fixPngCrcs(new Uint8Array(m)) : m;
}

/** Offset of the JPEG's SOF marker, or -1. */
function sofOffset(b: Uint8Array): number {
  for (let i = 2; i + 9 < b.length; i++) if (b[i] === 0xff && b[i + 1] >= 0xc0 && b[i + 1] <= 0xc2) return i;
  return -1;
}

function mutateJpeg(rng: Rng): Uint8Array {
  const s = loadSeeds();
  const base = rng.pick(s.jpeg);
  if (rng.chance(0.2)) {
    const b = new Uint8Array(base);
    const at = sofOffset(b);
    if (at >= 0) {
      const v = new DataView(b.buffer);
      v.setUint16(at + (rng.chance(0.5) ? 5 : 7), rng.chance(0.5) ? rng.pick([0, 1, 0xffff, 0x8000, 30000, 10000]) : rng.int(65536));
      if (rng.chance(0.5)) v.setUint16(at + 5, v.getUint16(at + 7));
      return rng.chance(0.5) ? b : mutateMany(b, rng);
    }
  }
  return mutateMany(base, rng, s.jpeg);
}

const BOMB_DATA = new Uint8Array(4 << 20);

/** Unzips a seed checkpoint, mutates one entry (the pickle when `pickleOnly`), and zips it again. */
function mutateCheckpointEntry(rng: Rng, pickleOnly: boolean): Uint8Array {
  const s = loadSeeds();
  const base = rng.pick(s.checkpoints);
  const zip = readZip(base, 'seed', nodeInflate);
  const names = zip.names();
  const target = pickleOnly ? names.find((n) => n.endsWith('/data.pkl'))! : rng.pick(names);
  const deflate = rng.chance(0.3);
  const entries = names.map((name) => {
    const data = zip.read(name);
    return { name, data: name === target ? mutateMany(data, rng, [], 4) : data, deflate };
  });
  if (!pickleOnly && rng.chance(0.1)) {
    // a lying directory: an entry declares a huge inflated size
    const e = rng.pick(entries);
    return writeZip(entries.map((x) => (x === e ? { ...x, deflate: true, declaredSize: rng.pick([0x7fffffff, 0xfffffffe, 1 << 30, 0]) } : x)));
  }
  if (!pickleOnly && rng.chance(0.05)) {
    // overlapping-entry bomb: the same big deflated storage under many names
    const big = { name: 'archive/data/0', data: BOMB_DATA, deflate: true };
    return writeZip([...entries, ...Array.from({ length: 40 }, (_, k) => ({ ...big, name: `archive/data/bomb${k}` }))]);
  }
  return writeZip(entries);
}

/** Input `index` of a run with `seed` for a family. */
export function makeInput(family: Family, seed: number, index: number): Uint8Array {
  const rng = new Rng(seed ^ FAMILIES.indexOf(family) * 0x1000193, index);
  const s = loadSeeds();
  switch (family) {
    case 'safetensors':
      return mutateMany(rng.pick(s.safetensors), rng, s.safetensors);
    case 'config':
      return mutateConfig(rng);
    case 'torch-zip':
      return rng.chance(0.5) ? mutateMany(rng.pick(s.checkpoints), rng, s.checkpoints) : mutateCheckpointEntry(rng, false);
    case 'torch-pickle':
      return mutateCheckpointEntry(rng, true);
    case 'png':
      return mutatePng(rng);
    case 'jpeg':
      return mutateJpeg(rng);
  }
}

// ---- targets (run in the worker) ---------------------------------------------------------

/** What the library does with an input of the family; returns normally when it was accepted. */
export function runTarget(family: Family, b: Uint8Array): void {
  switch (family) {
    case 'safetensors': {
      const f = parseSafetensors(b, 'fuzz.safetensors');
      for (const t of f.tensors.values()) if (['F32', 'F16', 'BF16', 'F64'].includes(t.dtype)) toFloat32(t);
      return;
    }
    case 'config': {
      const { json, weights } = unframeConfig(b);
      let parsed: unknown;
      try {
        parsed = JSON.parse(new TextDecoder().decode(json));
      } catch {
        return; // not JSON: node/load.ts turns this into a ConfigError before the library sees it
      }
      const cfg = configFromHub(parsed, 'fuzz');
      checkFitsDevice(cfg, 1, 128 * 2 ** 20);
      const file = parseSafetensors(weights, 'fuzz.safetensors');
      checkWeights(configForWeights(cfg, file), file, 'fuzz.safetensors');
      const img = { data: new Uint8Array(12 * 16 * 3).fill(100), width: 16, height: 12, channels: 3 };
      preprocess(img, cfg.pretrained);
      return;
    }
    case 'torch-zip':
    case 'torch-pickle': {
      const ck = readTorchCheckpoint(b, { source: 'fuzz.pth', inflate: nodeInflate });
      touchTensors(ck.root, 0);
      convertCheckpoint(b, { source: 'fuzz.pth', inflate: nodeInflate, numHeads: 2 });
      return;
    }
    case 'png':
    case 'jpeg':
      decodeImage(b, `fuzz.${family === 'png' ? 'png' : 'jpg'}`);
      return;
  }
}

/** Reads every tensor reachable from an unpickled object (as an inspecting user would). */
function touchTensors(v: unknown, depth: number): void {
  if (depth > 50) return;
  if (v instanceof TorchTensor) {
    v.bytes();
    return;
  }
  if (v instanceof Map) for (const x of v.values()) touchTensors(x, depth + 1);
  else if (Array.isArray(v)) for (const x of v) touchTensors(x, depth + 1);
}
