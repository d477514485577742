/**
 * Reading golden reference cases from folders, with no opinion on where the folders are: every
 * folder holding a config.json + manifest.json + expected.safetensors under one of the given
 * roots is a case. The test suite's roots are in ./golden.ts; the GPU check (bench/gpu/check.ts)
 * reads the cases copied into the GPU pack with the same code.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseSafetensors, toFloat32, toIntArray, type SafetensorsFile } from '../../src/io/safetensors.js';

export interface ManifestTensor {
  name: string;
  dtype: string;
  shape: number[];
  definition: string;
  batch_indices?: number[];
}

/** Where a case's tokens and patches are, read from its own files (never from another case). */
export interface CaseGeometry {
  /** Input batch, channels, height, width: the `input` tensor's shape (not the config's img_size). */
  B: number;
  C: number;
  H: number;
  W: number;
  patch: [number, number];
  /** Patch grid of the input size (floor(H / ph), floor(W / pw)). */
  grid: [number, number];
  /** Tokens per image (from the stored token tensors). */
  N: number;
  /** Prefix tokens before the patches (class, distillation, register tokens): N - gh * gw. */
  NP: number;
}

export interface GoldenCase {
  name: string;
  dir: string;
  /** The root it was found under. */
  root: string;
  geometry: CaseGeometry;
  config: any;
  manifest: any & { tensors: ManifestTensor[] };
  expected: SafetensorsFile;
  /** Float tensor by name (throws if absent). */
  f32(name: string): Float32Array;
  /** Integer tensor by name. */
  int(name: string): Int32Array | Float64Array;
  has(name: string): boolean;
  shape(name: string): number[];
  /** Batch rows a tensor is stored for (manifest batch_indices, default all). */
  batchIndices(name: string): number[];
}

function caseDirs(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'manifest.json')) && existsSync(join(root, d.name, 'expected.safetensors')))
    .map((d) => d.name)
    .sort();
}

/** Case name -> folder over all roots; a name found under two roots is qualified by the second root's folder name. */
export function indexCases(roots: readonly string[]): Map<string, { root: string; dir: string }> {
  const index = new Map<string, { root: string; dir: string }>();
  for (const root of roots) {
    for (const d of caseDirs(root)) {
      const name = index.has(d) ? `${basename(root)}/${d}` : d;
      index.set(name, { root, dir: join(root, d) });
    }
  }
  return index;
}

const pairOf = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0], v[1]] : [v as number, v as number]);

function geometryOf(name: string, config: any, manifest: any, shapeOf: (n: string) => number[] | undefined): CaseGeometry {
  const input = shapeOf('input');
  if (!input || input.length !== 4) throw new Error(`golden case ${name}: no 4-D input tensor`);
  const [B, C, H, W] = input;
  const patch = pairOf(config.model_args?.patch_size ?? config.hyperparameters?.patch_size);
  const grid: [number, number] = [Math.floor(H / patch[0]), Math.floor(W / patch[1])];
  const tokens = ['embed_tokens', 'tokens_last'].map(shapeOf).find((s) => s !== undefined);
  const attn = shapeOf('attn');
  const N = tokens ? tokens[1] : attn ? attn[3] : NaN;
  const NP = N - grid[0] * grid[1];
  const declared = manifest.num_prefix_tokens ?? config.hyperparameters?.num_prefix_tokens;
  if (!(NP >= 0) || (declared !== undefined && declared !== NP)) {
    throw new Error(`golden case ${name}: ${N} tokens on a ${grid.join('x')} grid gives ${NP} prefix tokens, the case declares ${declared}`);
  }
  return { B, C, H, W, patch, grid, N, NP };
}

/** Reads one case folder (config.json, manifest.json, expected.safetensors). */
export function readGoldenCase(name: string, root: string, dir: string): GoldenCase {
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const expected = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'expected.safetensors'))), `${name}/expected.safetensors`);
  const entry = (n: string) => {
    const t = expected.tensors.get(n);
    if (!t) throw new Error(`golden case ${name} has no tensor ${n}`);
    return t;
  };
  return {
    name,
    dir,
    root,
    geometry: geometryOf(name, config, manifest, (n) => expected.tensors.get(n)?.shape),
    config,
    manifest,
    expected,
    f32: (n) => toFloat32(entry(n)),
    int: (n) => toIntArray(entry(n)),
    has: (n) => expected.tensors.has(n),
    shape: (n) => entry(n).shape,
    batchIndices: (n) => {
      const m = (manifest.tensors as ManifestTensor[]).find((t) => t.name === n);
      return m?.batch_indices ?? Array.from({ length: entry(n).shape[0] }, (_, i) => i);
    },
  };
}

/** Every case under the roots, in name order. */
export function readGoldenCases(roots: readonly string[]): GoldenCase[] {
  return [...indexCases(roots)].map(([name, { root, dir }]) => readGoldenCase(name, root, dir));
}
