/**
 * Golden reference cases (../shared/golden, or $VITLENS_GOLDEN_DIR): every folder holding a
 * config.json + manifest.json + expected.safetensors is a case. Tests iterate over
 * `goldenCases()` and take shapes, targets and settings from each case's own files, so a new
 * case is covered by adding a folder.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSafetensors, toFloat32, toIntArray, type SafetensorsFile } from '../../src/io/safetensors.js';

const here = dirname(fileURLToPath(import.meta.url));

export function goldenDir(): string {
  return resolve(process.env.VITLENS_GOLDEN_DIR ?? join(here, '../../../shared/golden'));
}

export interface ManifestTensor {
  name: string;
  dtype: string;
  shape: number[];
  definition: string;
  batch_indices?: number[];
}

export interface GoldenCase {
  name: string;
  dir: string;
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

export function goldenCaseNames(): string[] {
  const dir = goldenDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'manifest.json')) && existsSync(join(dir, d.name, 'expected.safetensors')))
    .map((d) => d.name)
    .sort();
}

const cache = new Map<string, GoldenCase>();

export function loadGoldenCase(name: string): GoldenCase {
  const hit = cache.get(name);
  if (hit) return hit;
  const dir = join(goldenDir(), name);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const expected = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'expected.safetensors'))), `${name}/expected.safetensors`);
  const entry = (n: string) => {
    const t = expected.tensors.get(n);
    if (!t) throw new Error(`golden case ${name} has no tensor ${n}`);
    return t;
  };
  const c: GoldenCase = {
    name,
    dir,
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
  cache.set(name, c);
  return c;
}

export function goldenCases(): GoldenCase[] {
  return goldenCaseNames().map(loadGoldenCase);
}

/**
 * The cheapest case to run (fewest multiply-adds per image), for consistency tests that do not
 * compare against reference numbers and only need some real model.
 */
export function smallestGoldenCase(): GoldenCase | undefined {
  const cost = (c: GoldenCase) => {
    const a = c.config.model_args;
    const [B] = c.shape('input');
    return B * (a.embed_dim as number) ** 2 * (a.depth as number) * c.config.hyperparameters.num_tokens;
  };
  return goldenCases().sort((x, y) => cost(x) - cost(y))[0];
}
