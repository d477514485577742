/**
 * Streams a data set through the model and scores explanation methods with the experiments of
 * the seed documents:
 *   agreement  per image, Spearman (average ranks for ties), Pearson and the share of shared
 *              top-10 % patches between each method's map and the reference maps — blank-out
 *              (seed 000: probability drop when a patch is set to black) and token ablation
 *              (seed 003: logit drop when a patch token is removed) — summarised as mean +- std;
 *              plus the mean Spearman between every pair of methods (seed 000's "rollout vs grad
 *              rollout" figures);
 *   deletion   deletion / insertion curves (patches most relevant first, black or blurred
 *              baseline) and their AUC;
 *   fgsm       steps of a masked targeted FGSM inside vs outside each method's top patches;
 *   sanity     cascading and independent parameter randomisation, Spearman of the map before and
 *              after, with and without absolute values (seed 001).
 * The explained class is the predicted class. A `random` control method (uniform scores, seeded
 * per image) gives the chance level of every metric.
 *
 * Images arrive in batches; per-image scores go into running statistics (mean, std and a bounded
 * reservoir for box plots), so memory stays bounded whatever the number of images. The more
 * expensive experiments run on the first images only (limits in the options); the sanity checks
 * keep those images and their original maps until `finish()`.
 */
import { InputError } from '../../errors.js';
import type { Tensor } from '../../gpu/tensor.js';
import type { VisionTransformer } from '../../model/vit.js';
import type { WeightMap } from '../../model/weights.js';
import { tokenAblation } from '../ablation.js';
import { occlusion } from '../occlusion.js';
import { METHODS, methodByName } from '../registry.js';
import { deletionInsertion } from './deletion.js';
import { FGSM_DEFAULTS, fgsmInsideOutsideMany, runnerUpClasses } from './fgsm.js';
import { pearson, ranks, RunningStats, spearman, topOverlap, type StatsSummary } from './metrics.js';
import { cascadingLevels, independentLevels, ORIGINAL, randomizedModel, type Level } from './sanity.js';

export type Metric = 'agreement' | 'deletion' | 'fgsm' | 'sanity';
export const METRICS: readonly Metric[] = ['agreement', 'deletion', 'fgsm', 'sanity'];

export type Reference = 'blank-out' | 'tam';
export const REFERENCES: readonly Reference[] = ['blank-out', 'tam'];
const REFERENCE_TITLES: Record<Reference, string> = { 'blank-out': 'blank-out', tam: 'token ablation' };
/** Registry methods that compute exactly a reference map (reused instead of computed twice). */
const SAME_AS_REFERENCE: Record<string, Reference> = { occlusion: 'blank-out', tam: 'tam' };

/** A method as the evaluation sees it: the registry's, or the random control. */
export interface EvalMethod {
  name: string;
  title: string;
  classSpecific: boolean;
  description: string;
}

export const RANDOM_METHOD: EvalMethod = {
  name: 'random',
  title: 'Random (control)',
  classSpecific: false,
  description: 'uniform random patch scores, seeded by image index: the chance level of every metric',
};

/** Every method name the evaluation accepts: the registry's and `random`. */
export const EVAL_METHOD_NAMES: readonly string[] = [...METHODS.map((m) => m.name), RANDOM_METHOD.name];

export function evalMethod(name: string): EvalMethod | undefined {
  if (name === RANDOM_METHOD.name) return RANDOM_METHOD;
  const m = methodByName(name);
  return m && { name: m.name, title: m.title, classSpecific: m.classSpecific, description: m.description };
}

export interface EvaluationOptions {
  methods: string[];
  metrics: Metric[];
  /** Reference maps of the agreement metric (default both). */
  references?: Reference[];
  /** Images scored by deletion/insertion (default 500), FGSM (200) and sanity checks (100); Infinity for all. */
  deletionImages?: number;
  fgsmImages?: number;
  sanityImages?: number;
  /** Points per deletion curve minus one (default min(P, 20)). */
  deletionSteps?: number;
  deletionBaseline?: 'black' | 'blur';
  fgsm?: { q?: number; eps?: number; maxSteps?: number };
  /** The model's weights on the CPU, needed by the sanity checks. */
  weights?: WeightMap;
  /** LayerScale init_values for re-initialised blocks (default 1e-5). */
  layerScaleInit?: number;
  /** Seed of the random control and of the re-initialised weights (default 0). */
  seed?: number;
  /** Stage of the work in progress: `done` of `total` steps of that stage. */
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface Batch {
  /** Normalised images [B, C, H, W] (the caller keeps ownership). */
  images: Tensor;
  labels?: readonly number[];
}

export interface AgreementEntry {
  spearman: StatsSummary;
  top10: StatsSummary;
  pearson: StatsSummary;
}

export interface SanityCurves {
  levels: string[];
  methods: Record<string, { spearman: StatsSummary[]; spearmanAbs: StatsSummary[] }>;
}

export interface EvaluationReport {
  model: string;
  device: string;
  /** Images evaluated. */
  images: number;
  /** Top-1 accuracy against the labels, when the images had labels. */
  accuracy?: number;
  grid: [number, number];
  methods: EvalMethod[];
  settings: {
    methods: string[];
    metrics: Metric[];
    references: Reference[];
    explainedClass: string;
    deletionImages: number;
    deletionSteps: number | null;
    deletionBaseline: 'black' | 'blur';
    fgsmImages: number;
    fgsm: { q: number; eps: number; maxSteps: number; target: string };
    sanityImages: number;
    seed: number;
    [k: string]: unknown;
  };
  /** Wall time in seconds, and per stage. */
  seconds: number;
  stageSeconds: Record<string, number>;
  /** Milliseconds per image spent computing each method's (and reference's) maps. */
  msPerImage: Record<string, number>;
  agreement?: {
    references: Reference[];
    referenceTitles: Record<string, string>;
    /** methods[method][reference] */
    methods: Record<string, Record<string, AgreementEntry>>;
    /** Mean / std over images of the Spearman between every pair of maps (methods and references). */
    pairwise: { names: string[]; mean: number[][]; std: number[][] };
  };
  deletion?: {
    baseline: 'black' | 'blur';
    fractions: number[];
    methods: Record<string, { images: number; deletionAuc: StatsSummary; insertionAuc: StatsSummary; meanDeletion: number[]; meanInsertion: number[] }>;
  };
  fgsm?: {
    q: number;
    eps: number;
    maxSteps: number;
    methods: Record<string, {
      images: number;
      /** Steps to the target (maxSteps + 1 when the budget ran out). */
      inside: StatsSummary;
      outside: StatsSummary;
      flippedInside: number;
      flippedOutside: number;
      /** Shares of images where the inside attack needed fewer / more steps than the outside one. */
      insideFaster: number;
      outsideFaster: number;
    }>;
  };
  sanity?: { images: number; cascading: SanityCurves; independent: SanityCurves };
}

/** Display name of a method, a reference timing key ('occlusion', 'tam') or a pairwise '(reference)' name. */
export function methodTitle(report: Pick<EvaluationReport, 'methods'>, name: string): string {
  const m = report.methods.find((x) => x.name === name);
  if (m) return m.title;
  const ref = /^\((.*)\)$/.exec(name)?.[1] ?? (name === 'occlusion' ? 'blank-out' : name === 'tam' ? 'tam' : null);
  return ref && ref in REFERENCE_TITLES ? `${REFERENCE_TITLES[ref as Reference]} (reference)` : name;
}

const argmaxRows = (logits: Float32Array, K: number) =>
  Array.from({ length: logits.length / K }, (_, b) => {
    let best = 0;
    for (let c = 1; c < K; c++) if (logits[b * K + c] > logits[b * K + best]) best = c;
    return best;
  });

/** The random control's map of image `index`: uniform scores from (seed, index). */
export function randomMap(P: number, seed: number, index: number): Float32Array {
  let a = (Math.imul(index + 1, 0x9e3779b1) ^ Math.imul(seed + 0x632be5ab, 0x85ebca6b)) >>> 0;
  return Float32Array.from({ length: P }, () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  });
}

interface Kept {
  images: Tensor;
  first: number;
  classes: number[];
  maps: Map<string, Float32Array[]>;
}

export class Evaluation {
  private readonly methods: EvalMethod[];
  private readonly references: Reference[];
  private readonly timings = new Map<string, { ms: number; images: number }>();
  private readonly stages = new Map<string, number>();
  private readonly agreement = new Map<string, Map<Reference, { spearman: RunningStats; top10: RunningStats; pearson: RunningStats }>>();
  private readonly pairNames: string[];
  private readonly pairs: RunningStats[][];
  private readonly curves = new Map<string, { auc: [RunningStats, RunningStats]; sum: [Float64Array, Float64Array]; n: number }>();
  private fractions: number[] = [];
  private readonly attacks = new Map<string, { inside: RunningStats; outside: RunningStats; flipIn: number; flipOut: number; faster: number; slower: number; n: number }>();
  /** Images and original maps kept for the sanity checks (at most sanityImages). */
  private readonly sanityKept: Kept[] = [];
  private sanityCount = 0;
  private images = 0;
  private correct = 0;
  private labelled = 0;
  private grid: [number, number] = [0, 0];
  private readonly start = performance.now();
  private finished = false;

  constructor(
    private readonly model: VisionTransformer,
    private readonly opts: EvaluationOptions,
  ) {
    if (opts.methods.length === 0) throw new InputError('bad-method', 'no methods to evaluate');
    this.methods = opts.methods.map((n) => {
      const m = evalMethod(n);
      if (!m) throw new InputError('bad-method', `unknown method "${n}" (known: ${EVAL_METHOD_NAMES.join(', ')})`);
      return m;
    });
    if (new Set(opts.methods).size !== opts.methods.length) throw new InputError('bad-method', 'a method is listed twice');
    for (const m of opts.metrics) if (!METRICS.includes(m)) throw new InputError('bad-metric', `unknown metric "${m}" (known: ${METRICS.join(', ')})`);
    if (opts.metrics.length === 0) throw new InputError('bad-metric', 'no metrics to compute');
    this.references = [...(opts.references ?? REFERENCES)];
    for (const r of this.references) if (!REFERENCES.includes(r)) throw new InputError('bad-option', `unknown reference "${r}" (known: ${REFERENCES.join(', ')})`);
    if (opts.metrics.includes('agreement') && this.references.length === 0) throw new InputError('bad-option', 'agreement needs at least one reference');
    if (opts.metrics.includes('sanity') && !opts.weights) {
      throw new InputError('bad-option', 'sanity checks need the model weights (EvaluationOptions.weights)');
    }
    if (model.config.numClasses === 0) throw new InputError('no-logits', `${model.config.architecture} has no classifier: the evaluation explains predicted classes`);
    this.pairNames = [...this.methods.map((m) => m.name), ...this.references.filter((r) => !this.methods.some((m) => SAME_AS_REFERENCE[m.name] === r)).map((r) => `(${r})`)];
    this.pairs = this.pairNames.map(() => this.pairNames.map(() => new RunningStats(0)));
  }

  private limit(metric: 'deletion' | 'fgsm' | 'sanity'): number {
    const v = { deletion: this.opts.deletionImages ?? 500, fgsm: this.opts.fgsmImages ?? 200, sanity: this.opts.sanityImages ?? 100 }[metric];
    return Math.max(0, v);
  }

  private time(key: string, ms: number, images: number): void {
    const entry = this.timings.get(key) ?? { ms: 0, images: 0 };
    entry.ms += ms;
    entry.images += images;
    this.timings.set(key, entry);
  }

  private stage(name: string, ms: number): void {
    this.stages.set(name, (this.stages.get(name) ?? 0) + ms / 1000);
  }

  /** Maps of one method for images (first global index `first`), explaining `classes`. */
  private async mapsOf(method: EvalMethod, images: Tensor, first: number, classes: number[], model = this.model): Promise<Float32Array[]> {
    const B = images.shape[0];
    const [gh, gw] = model.gridFor(images.shape[2], images.shape[3]);
    if (method === RANDOM_METHOD) return Array.from({ length: B }, (_, b) => randomMap(gh * gw, this.opts.seed ?? 0, first + b));
    const info = methodByName(method.name)!;
    const m = await info.run({ model, images, targets: { perImage: classes } });
    return m.maps[0];
  }

  private async referenceMaps(ref: Reference, images: Tensor, classes: number[], model = this.model): Promise<Float32Array[]> {
    return ref === 'blank-out' ? (await occlusion(model, images, { perImage: classes })).maps[0] : (await tokenAblation(model, images, { perImage: classes })).maps[0];
  }

  /** Scores one batch of images (the tensor stays the caller's). */
  async add(batch: Batch): Promise<void> {
    if (this.finished) throw new InputError('finished', 'this evaluation has finished');
    const { model, opts } = this;
    const images = batch.images;
    const B = images.shape[0];
    const first = this.images;
    const K = model.config.numClasses;
    this.grid = model.gridFor(images.shape[2], images.shape[3]);
    const progress = (stage: string, done: number, total: number) => opts.onProgress?.(stage, done, total);
    let t0 = performance.now();
    const fwd = model.forward(images);
    let classes: number[];
    try {
      classes = argmaxRows(await fwd.logits!.read(), K);
    } finally {
      fwd.release();
    }
    if (batch.labels) {
      if (batch.labels.length !== B) throw new InputError('bad-shape', `batch of ${B} images has ${batch.labels.length} labels`);
      this.labelled += B;
      classes.forEach((c, b) => (this.correct += c === batch.labels![b] ? 1 : 0));
    }

    // Reference maps first: methods that compute the same thing reuse them.
    const wantAgreement = opts.metrics.includes('agreement');
    const refs = new Map<Reference, Float32Array[]>();
    const needed = new Set<Reference>(wantAgreement ? this.references : []);
    for (const m of this.methods) if (SAME_AS_REFERENCE[m.name]) needed.add(SAME_AS_REFERENCE[m.name]);
    const steps = needed.size + this.methods.length;
    let step = 0;
    for (const r of needed) {
      progress(`maps: ${r}`, step++, steps);
      const t = performance.now();
      refs.set(r, await this.referenceMaps(r, images, classes));
      this.time(r === 'blank-out' ? 'occlusion' : 'tam', performance.now() - t, B);
    }
    const maps = new Map<string, Float32Array[]>();
    for (const m of this.methods) {
      const same = SAME_AS_REFERENCE[m.name];
      if (same) {
        maps.set(m.name, refs.get(same)!);
        step++;
        continue;
      }
      progress(`maps: ${m.name}`, step++, steps);
      const t = performance.now();
      maps.set(m.name, await this.mapsOf(m, images, first, classes));
      this.time(m.name, performance.now() - t, B);
    }
    this.stage('maps', performance.now() - t0);

    if (wantAgreement) {
      t0 = performance.now();
      for (const [name, ms] of maps) {
        let perRef = this.agreement.get(name);
        if (!perRef) {
          perRef = new Map(this.references.map((r) => [r, { spearman: new RunningStats(), top10: new RunningStats(), pearson: new RunningStats() }]));
          this.agreement.set(name, perRef);
        }
        for (const r of this.references) {
          const a = perRef.get(r)!;
          const ref = refs.get(r)!;
          ms.forEach((m, b) => {
            a.spearman.add(spearman(m, ref[b]));
            a.top10.add(topOverlap(m, ref[b], 0.1));
            a.pearson.add(pearson(m, ref[b]));
          });
        }
      }
      const all = this.pairNames.map((n) => (n.startsWith('(') ? refs.get(n.slice(1, -1) as Reference)! : maps.get(n)!));
      for (let b = 0; b < B; b++) {
        const r = all.map((m) => (m[b].some(Number.isNaN) ? null : ranks(m[b])));
        for (let i = 0; i < r.length; i++) {
          for (let j = i + 1; j < r.length; j++) this.pairs[i][j].add(r[i] && r[j] ? pearson(r[i]!, r[j]!) : NaN);
        }
      }
      this.stage('agreement', performance.now() - t0);
    }

    const take = (metric: 'deletion' | 'fgsm') => Math.max(0, Math.min(B, this.limit(metric) - first));
    const delN = opts.metrics.includes('deletion') ? take('deletion') : 0;
    if (delN > 0) {
      t0 = performance.now();
      const sub = delN === B ? images.retain() : this.slice(images, delN);
      try {
        let i = 0;
        for (const [name, ms] of maps) {
          progress(`deletion: ${name}`, i++, maps.size);
          const c = await deletionInsertion(model, sub, ms.slice(0, delN), classes.slice(0, delN), { steps: opts.deletionSteps, baseline: opts.deletionBaseline });
          this.fractions = c.fractions;
          let e = this.curves.get(name);
          if (!e) {
            e = { auc: [new RunningStats(), new RunningStats()], sum: [new Float64Array(c.fractions.length), new Float64Array(c.fractions.length)], n: 0 };
            this.curves.set(name, e);
          }
          c.deletionAuc.forEach((v) => e!.auc[0].add(v));
          c.insertionAuc.forEach((v) => e!.auc[1].add(v));
          for (let b = 0; b < delN; b++) {
            c.deletion[b].forEach((v, k) => (e!.sum[0][k] += v));
            c.insertion[b].forEach((v, k) => (e!.sum[1][k] += v));
          }
          e.n += delN;
        }
      } finally {
        sub.release();
      }
      this.stage('deletion', performance.now() - t0);
    }

    const fgsmN = opts.metrics.includes('fgsm') ? take('fgsm') : 0;
    if (fgsmN > 0) {
      t0 = performance.now();
      const sub = fgsmN === B ? images.retain() : this.slice(images, fgsmN);
      try {
        const targets = await runnerUpClasses(model, sub);
        const max = opts.fgsm?.maxSteps ?? FGSM_DEFAULTS.maxSteps;
        progress('fgsm', 0, 1);
        const names = [...maps.keys()];
        const results = await fgsmInsideOutsideMany(model, sub, names.map((k) => maps.get(k)!.slice(0, fgsmN)), { ...opts.fgsm, targets });
        names.forEach((name, k) => {
          const r = results[k];
          let e = this.attacks.get(name);
          if (!e) {
            e = { inside: new RunningStats(), outside: new RunningStats(), flipIn: 0, flipOut: 0, faster: 0, slower: 0, n: 0 };
            this.attacks.set(name, e);
          }
          r.inside.forEach((s, b) => {
            const o = r.outside[b];
            e!.inside.add(s);
            e!.outside.add(o);
            e!.flipIn += s <= max ? 1 : 0;
            e!.flipOut += o <= max ? 1 : 0;
            e!.faster += s < o ? 1 : 0;
            e!.slower += s > o ? 1 : 0;
          });
          e.n += fgsmN;
        });
      } finally {
        sub.release();
      }
      this.stage('fgsm', performance.now() - t0);
    }

    const sanityN = opts.metrics.includes('sanity') ? Math.max(0, Math.min(B, this.limit('sanity') - this.sanityCount)) : 0;
    if (sanityN > 0) {
      this.sanityKept.push({
        images: sanityN === B ? images.retain() : this.slice(images, sanityN),
        first,
        classes: classes.slice(0, sanityN),
        maps: new Map([...maps].map(([k, v]) => [k, v.slice(0, sanityN)])),
      });
      this.sanityCount += sanityN;
    }
    this.images += B;
  }

  private slice(images: Tensor, n: number): Tensor {
    const [, C, H, W] = images.shape;
    const out = this.model.ctx.empty([n, C, H, W]);
    this.model.ctx.copy(images, 0, out, 0, n * C * H * W * 4);
    return out;
  }

  /** Spearman (plain and of absolute values) of every method's kept maps before and after randomising `level`. */
  private async sanityLevel(level: Level, li: number, total: number): Promise<Map<string, { spearman: StatsSummary; spearmanAbs: StatsSummary }>> {
    const { model, opts } = this;
    const out = new Map<string, { spearman: StatsSummary; spearmanAbs: StatsSummary }>();
    const randomized = level.prefixes.length === 0 ? model : randomizedModel(model.ctx, model.config, opts.weights!, level, opts.seed ?? 0, opts.layerScaleInit);
    try {
      for (const [mi, m] of this.methods.entries()) {
        opts.onProgress?.(`sanity: ${level.name}: ${m.name}`, li * this.methods.length + mi, total * this.methods.length);
        const plain = new RunningStats();
        const abs = new RunningStats();
        for (const kept of this.sanityKept) {
          const same = SAME_AS_REFERENCE[m.name];
          const after = same ? await this.referenceMaps(same, kept.images, kept.classes, randomized) : await this.mapsOf(m, kept.images, kept.first, kept.classes, randomized);
          kept.maps.get(m.name)!.forEach((before, b) => {
            plain.add(spearman(before, after[b]));
            abs.add(spearman(before.map(Math.abs), after[b].map(Math.abs)));
          });
        }
        out.set(m.name, { spearman: plain.toJSON(), spearmanAbs: abs.toJSON() });
      }
    } finally {
      if (randomized !== model) randomized.dispose();
    }
    return out;
  }

  private async sanity(): Promise<NonNullable<EvaluationReport['sanity']>> {
    const cascading = [ORIGINAL, ...cascadingLevels(this.model.config)];
    const independent = [ORIGINAL, ...independentLevels(this.model.config)];
    // Levels with the same parameters randomise to the same weights: compute each once.
    const key = (l: Level) => l.prefixes.join('|');
    const unique = [...new Map([...cascading, ...independent].map((l) => [key(l), l])).values()];
    const results = new Map<string, Map<string, { spearman: StatsSummary; spearmanAbs: StatsSummary }>>();
    for (const [li, level] of unique.entries()) results.set(key(level), await this.sanityLevel(level, li, unique.length));
    const curves = (levels: Level[]): SanityCurves => ({
      levels: levels.map((l) => l.name),
      methods: Object.fromEntries(this.methods.map((m) => [m.name, {
        spearman: levels.map((l) => results.get(key(l))!.get(m.name)!.spearman),
        spearmanAbs: levels.map((l) => results.get(key(l))!.get(m.name)!.spearmanAbs),
      }])),
    });
    return { images: this.sanityCount, cascading: curves(cascading), independent: curves(independent) };
  }

  /** Runs the sanity checks (if asked) and returns the report; releases what was kept. */
  async finish(): Promise<EvaluationReport> {
    if (this.finished) throw new InputError('finished', 'this evaluation has finished');
    this.finished = true;
    const { model, opts } = this;
    const fg = { ...FGSM_DEFAULTS, ...Object.fromEntries(Object.entries(opts.fgsm ?? {}).filter(([, v]) => v !== undefined)) };
    const report: EvaluationReport = {
      model: model.config.architecture,
      device: model.ctx.info.name,
      images: this.images,
      accuracy: this.labelled ? this.correct / this.labelled : undefined,
      grid: this.grid,
      methods: this.methods,
      settings: {
        methods: this.methods.map((m) => m.name),
        metrics: [...opts.metrics],
        references: this.references,
        explainedClass: 'predicted class',
        deletionImages: opts.metrics.includes('deletion') ? Math.min(this.images, this.limit('deletion')) : 0,
        deletionSteps: opts.deletionSteps ?? (this.fractions.length ? this.fractions.length - 1 : null),
        deletionBaseline: opts.deletionBaseline ?? 'black',
        fgsmImages: opts.metrics.includes('fgsm') ? Math.min(this.images, this.limit('fgsm')) : 0,
        fgsm: { ...fg, target: 'second most likely class' },
        sanityImages: this.sanityCount,
        seed: opts.seed ?? 0,
      },
      seconds: 0,
      stageSeconds: {},
      msPerImage: Object.fromEntries([...this.timings].map(([k, v]) => [k, v.ms / Math.max(1, v.images)])),
    };
    if (this.agreement.size) {
      const n = this.pairNames.length;
      const mean = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : (i < j ? this.pairs[i][j] : this.pairs[j][i]).mean)));
      const std = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 0 : (i < j ? this.pairs[i][j] : this.pairs[j][i]).std)));
      report.agreement = {
        references: this.references,
        referenceTitles: Object.fromEntries(this.references.map((r) => [r, REFERENCE_TITLES[r]])),
        methods: Object.fromEntries([...this.agreement].map(([k, v]) => [k, Object.fromEntries([...v].map(([r, s]) => [r, { spearman: s.spearman.toJSON(), top10: s.top10.toJSON(), pearson: s.pearson.toJSON() }]))])),
        pairwise: { names: this.pairNames, mean, std },
      };
    }
    if (this.curves.size) {
      report.deletion = {
        baseline: opts.deletionBaseline ?? 'black',
        fractions: this.fractions,
        methods: Object.fromEntries([...this.curves].map(([k, v]) => [k, {
          images: v.n,
          deletionAuc: v.auc[0].toJSON(),
          insertionAuc: v.auc[1].toJSON(),
          meanDeletion: Array.from(v.sum[0], (s) => s / v.n),
          meanInsertion: Array.from(v.sum[1], (s) => s / v.n),
        }])),
      };
    }
    if (this.attacks.size) {
      report.fgsm = {
        q: fg.q,
        eps: fg.eps,
        maxSteps: fg.maxSteps,
        methods: Object.fromEntries([...this.attacks].map(([k, v]) => [k, {
          images: v.n, inside: v.inside.toJSON(), outside: v.outside.toJSON(), flippedInside: v.flipIn / v.n, flippedOutside: v.flipOut / v.n, insideFaster: v.faster / v.n, outsideFaster: v.slower / v.n,
        }])),
      };
    }
    try {
      if (opts.metrics.includes('sanity') && this.sanityKept.length) {
        const t0 = performance.now();
        report.sanity = await this.sanity();
        this.stage('sanity', performance.now() - t0);
      }
    } finally {
      this.dispose();
    }
    report.stageSeconds = Object.fromEntries(this.stages);
    report.seconds = (performance.now() - this.start) / 1000;
    return report;
  }

  /** Releases the images kept for the sanity checks (finish() does it too). */
  dispose(): void {
    for (const k of this.sanityKept) k.images.release();
    this.sanityKept.length = 0;
  }
}
