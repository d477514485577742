/**
 * Correctness on the GPU: the golden cases in the pack, run with one kernel family, compared with
 * the same references and tolerances as the test suite (test/model/golden-forward.test.ts,
 * golden-backward.test.ts, test/explain/golden-explain.test.ts; numbers in
 * test/helpers/tolerances.ts), plus every method of the registry, whose maps are compared across
 * kernel families (most have no stored reference; the families must agree within the map tolerance).
 *
 * Nothing throws on a mismatch: each comparison becomes a row with its error, its tolerance and
 * pass / fail, so one run on a rare GPU slot reports everything at once.
 */
import { METHODS } from '../../src/explain/registry.js';
import type { GpuContext } from '../../src/gpu/context.js';
import type { Tensor } from '../../src/gpu/tensor.js';
import type { VisionTransformer } from '../../src/model/vit.js';
import { loadModelDir } from '../../src/node/load.js';
import { maxAbs, maxAbsDiff, spearman } from '../../test/helpers/compare.js';
import { mapChecks, targetSets } from '../../test/helpers/golden-maps.js';
import type { GoldenCase } from '../../test/helpers/golden-reader.js';
import { GOLDEN_TOLERANCE as TOL } from '../../test/helpers/tolerances.js';
import type { Budget } from './budget.js';

export interface ParityRow {
  case: string;
  family: string;
  group: 'forward' | 'backward' | 'maps' | 'registry';
  name: string;
  /** Worst max abs error over images / layers. */
  maxAbs: number;
  /** Worst error relative to the reference's largest magnitude. */
  rel: number;
  spearman?: number;
  /** The bound the row is held to, and whether `maxAbs` or `rel` is held to it. */
  tol: number;
  on: 'abs' | 'rel';
  pass: boolean;
  note?: string;
  ms?: number;
}

/** Maps of every registry method on one case, per family, for the cross-family comparison. */
export type RegistryMaps = Map<string, Float32Array[][] | 'refused'>;

/** Multiply-adds of perturbation forwards a case may spend (as the unit test), times this factor on a GPU. */
const PERTURBATION_BUDGET = 4e9;

class Rows {
  readonly rows: ParityRow[] = [];
  constructor(
    private readonly caseName: string,
    private readonly family: string,
  ) {}

  /** Records `got` vs `expected` under `name`; several calls under one name keep the worst. */
  add(group: ParityRow['group'], name: string, got: ArrayLike<number>, expected: ArrayLike<number>, tol: number, on: 'abs' | 'rel', extra: { spearman?: number; minSpearman?: number } = {}): void {
    const err = got.length === expected.length ? maxAbsDiff(got, expected).max : Infinity;
    const rel = err / Math.max(maxAbs(expected), 1e-12);
    const value = on === 'abs' ? err : rel;
    let pass = value <= tol;
    if (extra.spearman !== undefined && extra.minSpearman !== undefined) pass &&= extra.spearman >= extra.minSpearman;
    this.merge({ case: this.caseName, family: this.family, group, name, maxAbs: err, rel, spearman: extra.spearman, tol, on, pass });
  }

  fail(group: ParityRow['group'], name: string, note: string): void {
    this.merge({ case: this.caseName, family: this.family, group, name, maxAbs: NaN, rel: NaN, tol: NaN, on: 'rel', pass: false, note });
  }

  note(group: ParityRow['group'], name: string, pass: boolean, note: string, ms?: number): void {
    this.merge({ case: this.caseName, family: this.family, group, name, maxAbs: 0, rel: 0, tol: 0, on: 'rel', pass, note, ms });
  }

  private merge(row: ParityRow): void {
    const same = this.rows.find((r) => r.group === row.group && r.name === row.name);
    if (!same) {
      this.rows.push(row);
      return;
    }
    same.maxAbs = worst(same.maxAbs, row.maxAbs);
    same.rel = worst(same.rel, row.rel);
    if (row.spearman !== undefined) same.spearman = Math.min(same.spearman ?? 1, row.spearman);
    same.pass &&= row.pass;
    same.note ??= row.note;
  }

  /** A map comparison as golden-explain.test.ts makes it: NaN exactly where the reference has NaN, then error and Spearman. */
  maps(name: string, got: Float32Array[], expected: Float32Array, opts: { rel?: number; only?: number[]; rank?: boolean } = {}): void {
    const B = got.length;
    const P = expected.length / B;
    for (let b = 0; b < B; b++) {
      let e = expected.subarray(b * P, (b + 1) * P);
      let g = got[b];
      if (opts.only) {
        e = Float32Array.from(opts.only, (p) => e[p]);
        g = Float32Array.from(opts.only, (p) => g[p]);
      }
      const nan = Array.from(e, (v) => Number.isNaN(v));
      if (g.length !== e.length || g.some((v, i) => Number.isNaN(v) !== nan[i])) {
        this.fail('maps', name, `image ${b}: NaN entries differ from the reference's`);
        continue;
      }
      if (nan.some((v) => v)) {
        e = e.filter((_, i) => !nan[i]);
        g = g.filter((_, i) => !nan[i]);
        if (e.length === 0) continue;
      }
      const constant = e.every((v) => v === e[0]);
      const withRank = !constant && !opts.only && opts.rank !== false;
      this.add('maps', name, g, e, opts.rel ?? TOL.mapRel, 'rel', withRank ? { spearman: spearman(g, e), minSpearman: TOL.mapSpearman } : {});
    }
  }
}

function worst(a: number, b: number): number {
  return Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b);
}

/** Runs one check, turning a throw into a failed row. */
async function guarded(rows: Rows, group: ParityRow['group'], name: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (e) {
    rows.fail(group, name, `threw: ${(e as Error).message.split('\n')[0]}`);
  }
}

async function forwardChecks(rows: Rows, g: GoldenCase, model: VisionTransformer, x: Tensor): Promise<void> {
  const L = g.config.model_args.depth as number;
  const result = model.forward(x, { taps: ['attn.*', 'embed', `tokens.${L - 1}`] });
  try {
    const geo = g.geometry;
    const layout = model.numPrefix === geo.NP && result.grid[0] === geo.grid[0] && result.grid[1] === geo.grid[1] && result.N === geo.N && (result.logits === null) === !g.has('logits');
    rows.note('forward', 'token layout (prefix tokens, grid, tokens, classifier)', layout, layout ? 'as stored' : `engine ${model.numPrefix} prefix, grid ${result.grid}, N ${result.N}; case ${geo.NP}, ${geo.grid}, ${geo.N}`);
    if (g.has('logits')) rows.add('forward', 'logits', await result.logits!.read(), g.f32('logits'), TOL.featuresAbs, 'abs');
    rows.add('forward', 'latent', await result.latent.read(), g.f32('latent'), TOL.featuresAbs, 'abs');
    if (g.has('embed_tokens')) rows.add('forward', 'embed_tokens', await result.taps.get('embed')!.read(), g.f32('embed_tokens'), TOL.featuresAbs, 'abs');
    rows.add('forward', 'tokens_last', await result.taps.get(`tokens.${L - 1}`)!.read(), g.f32('tokens_last'), TOL.featuresAbs, 'abs');
    if (g.has('attn')) {
      const per = g.shape('attn').slice(2).reduce((a, b) => a * b, 1);
      const expected = g.f32('attn');
      const batchRows = g.batchIndices('attn');
      for (let l = 0; l < L; l++) {
        const got = await result.taps.get(`attn.${l}`)!.read();
        batchRows.forEach((b, row) => {
          rows.add('forward', 'attn (every layer)', got.subarray(b * per, (b + 1) * per), expected.subarray((row * L + l) * per, (row * L + l + 1) * per), TOL.attentionAbs, 'abs');
        });
      }
    }
  } finally {
    result.release();
  }
}

async function backwardChecks(rows: Rows, g: GoldenCase, model: VisionTransformer, x: Tensor): Promise<void> {
  const ctx = model.ctx;
  const L = g.config.model_args.depth as number;
  const { B } = g.geometry;
  const gradients = (seedAt: 'logits' | 'latent', seed: Float32Array, taps: string[]) => {
    const r = model.forward(x, { record: true });
    const width = seedAt === 'logits' ? model.config.numClasses : model.config.embedDim;
    const out = model.backward(r, { at: seedAt, grad: ctx.upload(seed, [B, width]), T: 1 }, taps);
    r.release();
    return out.grads;
  };
  for (const t of targetSets(g)) {
    await guarded(rows, 'backward', `target set ${t}`, async () => {
      const C = model.config.numClasses;
      const targets = g.int(`targets/${t}`);
      const seed = new Float32Array(B * C);
      for (let b = 0; b < B; b++) seed[b * C + targets[b]] = 1;
      const grads = gradients('logits', seed, ['attn.*', `tokens.${L - 1}`, 'input']);
      try {
        if (g.has(`grad_tokens_last/${t}`)) rows.add('backward', `grad_tokens_last/${t}`, await grads.get(`tokens.${L - 1}`)!.read(), g.f32(`grad_tokens_last/${t}`), TOL.gradientRel, 'rel');
        if (g.has(`grad_input/${t}`)) rows.add('backward', `grad_input/${t}`, await grads.get('input')!.read(), g.f32(`grad_input/${t}`), TOL.gradientRel, 'rel');
        if (g.has(`grad_attn/${t}`)) {
          const per = g.shape(`grad_attn/${t}`).slice(2).reduce((a, b) => a * b, 1);
          const expected = g.f32(`grad_attn/${t}`);
          const batchRows = g.batchIndices(`grad_attn/${t}`);
          for (let l = 0; l < L; l++) {
            const got = await grads.get(`attn.${l}`)!.read();
            batchRows.forEach((b, row) => rows.add('backward', `grad_attn/${t}`, got.subarray(b * per, (b + 1) * per), expected.subarray((row * L + l) * per, (row * L + l + 1) * per), TOL.gradientRel, 'rel'));
          }
        }
      } finally {
        for (const v of grads.values()) v.release();
      }
    });
  }
  if (g.has('grad_tokens_last/concept')) {
    await guarded(rows, 'backward', 'grad_tokens_last/concept', async () => {
      const grads = gradients('latent', g.f32('concept_vector'), [`tokens.${L - 1}`]);
      const got = await grads.get(`tokens.${L - 1}`)!.read();
      for (const v of grads.values()) v.release();
      rows.add('backward', 'grad_tokens_last/concept', got, g.f32('grad_tokens_last/concept'), TOL.gradientRel, 'rel');
    });
  }
}

/** The case's map comparisons (test/helpers/golden-maps.ts, as golden-explain.test.ts runs them) as rows. */
async function mapRows(rows: Rows, g: GoldenCase, model: VisionTransformer, x: Tensor, perturbationFactor: number): Promise<void> {
  for (const check of mapChecks(g, { perturbationBudget: PERTURBATION_BUDGET * perturbationFactor })) {
    await guarded(rows, 'maps', check.title, () => check.run(model, x, (name, got, expected, opts) => rows.maps(name, got, expected, opts)));
  }
}

/** Every registry method once, on the case's first target set: time, finiteness, refusal without a class token. */
async function registryRuns(rows: Rows, g: GoldenCase, model: VisionTransformer, x: Tensor, budget: Budget): Promise<RegistryMaps> {
  const out: RegistryMaps = new Map();
  const sets = targetSets(g);
  const targets = sets.length && model.config.numClasses > 0 ? [{ perImage: Array.from(g.int(`targets/${sets[0]}`)) }] : [0];
  for (const m of METHODS) {
    if (!budget.fits()) {
      rows.note('registry', m.name, true, `skipped: the phase's time budget (${budget.label}) ran out`);
      continue;
    }
    const t0 = performance.now();
    try {
      const r = await m.run({ model, images: x, targets });
      const ms = performance.now() - t0;
      const finite = r.maps.every((t) => t.every((b) => b.every((v) => Number.isFinite(v))));
      // vit-explain's rollout is 0/0 (NaN) where every path was discarded: NaN is allowed there, not elsewhere.
      const nanAllowed = m.name === 'rollout-max' || m.name === 'grad-rollout';
      rows.note('registry', m.name, finite || nanAllowed, finite ? 'finite' : 'non-finite values', ms);
      out.set(m.name, r.maps);
    } catch (e) {
      const msg = (e as Error).message;
      const noClassToken = m.usesClassToken && !model.config.classToken && /has no class token/.test(msg);
      const noClassifier = m.classSpecific && model.config.numClasses === 0 && /has no classifier/.test(msg);
      const refused = noClassToken || noClassifier;
      rows.note('registry', m.name, !!refused, noClassToken ? 'refused: no class token (as it must)' : noClassifier ? 'refused: no classifier (as it must)' : `threw: ${msg.split('\n')[0]}`, performance.now() - t0);
      if (refused) out.set(m.name, 'refused');
    }
  }
  return out;
}

export interface CaseParity {
  rows: ParityRow[];
  registry: RegistryMaps;
  /** Wall time of the case with this family, model load included. */
  ms: number;
}

/** All golden checks of one case with one context (kernel family). */
export async function caseParity(ctx: GpuContext, g: GoldenCase, budget: Budget, opts: { perturbationFactor: number }): Promise<CaseParity> {
  const t0 = performance.now();
  const rows = new Rows(g.name, ctx.kernelFamily);
  let registry: RegistryMaps = new Map();
  let model: VisionTransformer | undefined;
  let x: Tensor | undefined;
  try {
    model = loadModelDir(ctx, g.dir);
    x = ctx.upload(g.f32('input'), g.shape('input'));
    const m = model;
    const images = x;
    await guarded(rows, 'forward', 'forward', () => forwardChecks(rows, g, m, images));
    await guarded(rows, 'backward', 'backward', () => backwardChecks(rows, g, m, images));
    await guarded(rows, 'maps', 'maps', () => mapRows(rows, g, m, images, opts.perturbationFactor));
    registry = await registryRuns(rows, g, m, images, budget);
  } catch (e) {
    rows.fail('forward', 'load', `threw: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    x?.release();
    model?.dispose();
  }
  return { rows: rows.rows, registry, ms: performance.now() - t0 };
}

/** Registry maps of two families compared, method by method, within the map tolerance. */
export function crossFamilyRows(caseName: string, a: { family: string; maps: RegistryMaps }, b: { family: string; maps: RegistryMaps }): ParityRow[] {
  const rows = new Rows(caseName, `${a.family} vs ${b.family}`);
  for (const [method, ma] of a.maps) {
    const mb = b.maps.get(method);
    if (mb === undefined) continue;
    if (ma === 'refused' || mb === 'refused') {
      if (ma !== mb) rows.fail('registry', method, 'refused by one family only');
      continue;
    }
    ma.forEach((perImage, t) => perImage.forEach((map, i) => rows.maps(`${method} (families agree)`, [mb[t][i]], map, { rank: false })));
  }
  return rows.rows.map((r) => ({ ...r, group: 'registry' as const }));
}
