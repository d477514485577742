/**
 * Golden reference cases: every folder holding a config.json + manifest.json +
 * expected.safetensors under one of the golden roots is a case. The roots are the reference set
 * (../shared/golden, or $VITLENS_GOLDEN_DIR) and the committed timm-variant cases
 * (test/fixtures/golden-variants, made by test/fixtures/make_variant_cases.py). Tests iterate over
 * `goldenCases()` and take shapes, prefix tokens, grid, input size, targets and settings from each
 * case's own files (`geometry`), so a new case is covered by adding a folder.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { indexCases, readGoldenCase, type GoldenCase } from './golden-reader.js';

export type { CaseGeometry, GoldenCase, ManifestTensor } from './golden-reader.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The reference golden set. */
export function goldenDir(): string {
  return resolve(process.env.VITLENS_GOLDEN_DIR ?? join(here, '../../../shared/golden'));
}

/** The committed variant cases (register/distillation tokens, avg pooling, resampling, ...). */
export function variantsDir(): string {
  return resolve(join(here, '../fixtures/golden-variants'));
}

export function goldenRoots(): string[] {
  return [...new Set([goldenDir(), variantsDir()])];
}

/** Case names over all roots; a name found under two roots is qualified by the second root's folder name. */
export function goldenCaseNames(): string[] {
  return [...caseIndex().keys()];
}

let index: Map<string, { root: string; dir: string }> | undefined;
function caseIndex(): Map<string, { root: string; dir: string }> {
  index ??= indexCases(goldenRoots());
  return index;
}

const cache = new Map<string, GoldenCase>();

export function loadGoldenCase(name: string): GoldenCase {
  const hit = cache.get(name);
  if (hit) return hit;
  const where = caseIndex().get(name);
  if (!where) throw new Error(`no golden case ${name} under ${goldenRoots().join(', ')}`);
  const c = readGoldenCase(name, where.root, where.dir);
  cache.set(name, c);
  return c;
}

export function goldenCases(): GoldenCase[] {
  return goldenCaseNames().map(loadGoldenCase);
}

/** A plain classifier ViT (class token, token pooling, a head, no distillation token, final norm). */
function isPlain(c: GoldenCase): boolean {
  const a = c.config.model_args ?? {};
  return c.has('logits') && a.class_token !== false && (a.global_pool ?? 'token') === 'token' && !a.fc_norm && !/Distilled/.test(c.config.timm_class ?? '');
}

/**
 * The cheapest plain case to run (fewest multiply-adds per image), preferring the reference set,
 * for consistency tests that do not compare against reference numbers and only need some real
 * classifier model.
 */
export function smallestGoldenCase(): GoldenCase | undefined {
  const cost = (c: GoldenCase) => {
    const a = c.config.model_args;
    return c.geometry.B * (a.embed_dim as number) ** 2 * (a.depth as number) * c.geometry.N;
  };
  const plain = goldenCases().filter(isPlain);
  const reference = plain.filter((c) => c.root === goldenDir());
  return (reference.length ? reference : plain).sort((x, y) => cost(x) - cost(y))[0];
}
