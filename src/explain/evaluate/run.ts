/**
 * Streams a data set through the model and scores explanation methods with the experiments of
 * the seed documents:
 *   agreement  Spearman with the blank-out (occlusion) map and the share of shared top-10 %
 *              patches (seed 000), per image, summarised as mean +- std;
 *   deletion   deletion / insertion curves and their AUC;
 *   fgsm       steps of a masked targeted FGSM inside vs outside each method's top patches;
 *   sanity     cascading and independent parameter randomisation, Spearman of the map before and
 *              after, with and without absolute values (seed 001).
 * Images arrive in batches; per-image scores go into running statistics, so memory stays bounded
 * whatever the number of images. The more expensive experiments run on the first images only
 * (limits in the options), which the report states.
 */
import { InputError } from '../../errors.js';
import type { Tensor } from '../../gpu/tensor.js';
import type { VisionTransformer } from '../../model/vit.js';
import type { WeightMap } from '../../model/weights.js';
import type { ExplanationMaps } from '../maps.js';
import { occlusion } from '../occlusion.js';
import { methodByName, type MethodInfo } from '../registry.js';
import { deletionInsertion } from './deletion.js';
import { fgsmInsideOutside } from './fgsm.js';
import { RunningStats, spearman, topOverlap } from './metrics.js';
import { cascadingLevels, independentLevels, randomizedModel, type Level } from './sanity.js';

export type Metric = 'agreement' | 'deletion' | 'fgsm' | 'sanity';

export interface EvaluationOptions {
  methods: string[];
  metrics: Metric[];
  /** Images scored by deletion/insertion (default 500), FGSM (200) and sanity checks (100). */
  deletionImages?: number;
  fgsmImages?: number;
  sanityImages?: number;
  deletionSteps?: number;
  fgsm?: { q?: number; eps?: number; maxSteps?: number };
  /** The model's weights on the CPU, needed by the sanity checks. */
  weights?: WeightMap;
  seed?: number;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface Batch {
  images: Tensor;
  labels?: readonly number[];
}

type Stats = ReturnType<RunningStats['toJSON']>;

export interface EvaluationReport {
  model: string;
  device: string;
  images: number;
  accuracy?: number;
  settings: Record<string, unknown>;
  seconds: number;
  /** Milliseconds per image spent computing each method's maps. */
  msPerImage: Record<string, number>;
  agreement?: Record<string, { spearman: Stats; top10: Stats }>;
  deletion?: Record<string, { images: number; deletionAuc: Stats; insertionAuc: Stats; fractions: number[]; meanDeletion: number[]; meanInsertion: number[] }>;
  fgsm?: Record<string, { images: number; inside: Stats; outside: Stats; flippedInside: number; flippedOutside: number; insideFaster: number }>;
  sanity?: Record<'cascading' | 'independent', { levels: string[]; images: number; methods: Record<string, { spearman: Stats[]; spearmanAbs: Stats[] }> }>;
}

const argmaxRows = (logits: Float32Array, K: number) =>
  Array.from({ length: logits.length / K }, (_, b) => {
    let best = 0;
    for (let c = 1; c < K; c++) if (logits[b * K + c] > logits[b * K + best]) best = c;
    return best;
  });

export class Evaluation {
  private readonly methods: MethodInfo[];
  private readonly timings = new Map<string, { ms: number; images: number }>();
  private readonly agreement = new Map<string, { spearman: RunningStats; top10: RunningStats }>();
  private readonly curves = new Map<string, { auc: [RunningStats, RunningStats]; sum: [number[], number[]]; n: number; fractions: number[] }>();
  private readonly attacks = new Map<string, { inside: RunningStats; outside: RunningStats; flipIn: number; flipOut: number; faster: number; n: number }>();
  /** Images and original maps kept for the sanity checks (at most sanityImages). */
  private readonly sanityKept: { images: Tensor; classes: number[]; maps: Map<string, Float32Array[]> }[] = [];
  private sanityCount = 0;
  private images = 0;
  private correct = 0;
  private labelled = 0;
  private readonly start = performance.now();

  constructor(
    private readonly model: VisionTransformer,
    private readonly opts: EvaluationOptions,
  ) {
    this.methods = opts.methods.map((n) => {
      const m = methodByName(n);
      if (!m) throw new InputError('bad-method', `unknown method "${n}"`);
      return m;
    });
    if (opts.metrics.includes('sanity') && !opts.weights) {
      throw new InputError('bad-option', 'sanity checks need the model weights (EvaluationOptions.weights)');
    }
  }

  private limit(metric: 'deletion' | 'fgsm' | 'sanity'): number {
    return { deletion: this.opts.deletionImages ?? 500, fgsm: this.opts.fgsmImages ?? 200, sanity: this.opts.sanityImages ?? 100 }[metric];
  }

  private async mapsOf(method: MethodInfo, images: Tensor, classes: number[], model = this.model): Promise<Float32Array[]> {
    const t = performance.now();
    const m: ExplanationMaps = await method.run({ model, images, targets: { perImage: classes } });
    if (model === this.model) {
      const entry = this.timings.get(method.name) ?? { ms: 0, images: 0 };
      entry.ms += performance.now() - t;
      entry.images += images.shape[0];
      this.timings.set(method.name, entry);
    }
    return m.maps[0];
  }

  /** Scores one batch of images (the tensor stays the caller's). */
  async add(batch: Batch): Promise<void> {
    const { model, opts } = this;
    const B = batch.images.shape[0];
    const K = model.config.numClasses;
    const fwd = model.forward(batch.images);
    const classes = argmaxRows(await fwd.logits!.read(), K);
    fwd.release();
    if (batch.labels) {
      this.labelled += B;
      classes.forEach((c, b) => (this.correct += c === batch.labels![b] ? 1 : 0));
    }
    const maps = new Map<string, Float32Array[]>();
    for (const m of this.methods) maps.set(m.name, await this.mapsOf(m, batch.images, classes));

    if (opts.metrics.includes('agreement')) {
      const t = performance.now();
      const reference = (await occlusion(model, batch.images, { perImage: classes })).maps[0];
      const entry = this.timings.get('blank-out (reference)') ?? { ms: 0, images: 0 };
      entry.ms += performance.now() - t;
      entry.images += B;
      this.timings.set('blank-out (reference)', entry);
      for (const [name, ms] of maps) {
        const a = this.agreement.get(name) ?? { spearman: new RunningStats(), top10: new RunningStats() };
        ms.forEach((m, b) => {
          a.spearman.add(spearman(m, reference[b]));
          a.top10.add(topOverlap(m, reference[b], 0.1));
        });
        this.agreement.set(name, a);
      }
    }

    const take = (metric: 'deletion' | 'fgsm', done: number) => Math.max(0, Math.min(B, this.limit(metric) - done));
    const delN = opts.metrics.includes('deletion') ? take('deletion', this.images) : 0;
    if (delN > 0) {
      const sub = this.slice(batch.images, delN);
      for (const [name, ms] of maps) {
        const c = await deletionInsertion(model, sub, ms.slice(0, delN), classes.slice(0, delN), { steps: opts.deletionSteps });
        const e = this.curves.get(name) ?? { auc: [new RunningStats(), new RunningStats()], sum: [c.fractions.map(() => 0), c.fractions.map(() => 0)], n: 0, fractions: c.fractions };
        c.deletionAuc.forEach((v) => e.auc[0].add(v));
        c.insertionAuc.forEach((v) => e.auc[1].add(v));
        for (let b = 0; b < delN; b++) {
          c.deletion[b].forEach((v, i) => (e.sum[0][i] += v));
          c.insertion[b].forEach((v, i) => (e.sum[1][i] += v));
        }
        e.n += delN;
        this.curves.set(name, e);
      }
      sub.release();
    }

    const fgsmN = opts.metrics.includes('fgsm') ? take('fgsm', this.images) : 0;
    if (fgsmN > 0) {
      const sub = this.slice(batch.images, fgsmN);
      for (const [name, ms] of maps) {
        const r = await fgsmInsideOutside(model, sub, ms.slice(0, fgsmN), opts.fgsm);
        const max = opts.fgsm?.maxSteps ?? 20;
        const e = this.attacks.get(name) ?? { inside: new RunningStats(), outside: new RunningStats(), flipIn: 0, flipOut: 0, faster: 0, n: 0 };
        r.inside.forEach((s, b) => {
          e.inside.add(s);
          e.outside.add(r.outside[b]);
          e.flipIn += s <= max ? 1 : 0;
          e.flipOut += r.outside[b] <= max ? 1 : 0;
          e.faster += s < r.outside[b] ? 1 : 0;
        });
        e.n += fgsmN;
        this.attacks.set(name, e);
      }
      sub.release();
    }

    const sanityN = opts.metrics.includes('sanity') ? Math.max(0, Math.min(B, this.limit('sanity') - this.sanityCount)) : 0;
    if (sanityN > 0) {
      this.sanityKept.push({
        images: this.slice(batch.images, sanityN),
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

  private async sanity(mode: 'cascading' | 'independent', levels: Level[]): Promise<NonNullable<EvaluationReport['sanity']>['cascading']> {
    const { model, opts } = this;
    const methods: Record<string, { spearman: Stats[]; spearmanAbs: Stats[] }> = {};
    for (const m of this.methods) methods[m.name] = { spearman: [], spearmanAbs: [] };
    for (const [li, level] of levels.entries()) {
      opts.onProgress?.(`sanity (${mode})`, li, levels.length);
      const randomized = randomizedModel(model.ctx, model.config, opts.weights!, level, (opts.seed ?? 0) * 1000 + li);
      try {
        for (const m of this.methods) {
          const plain = new RunningStats();
          const abs = new RunningStats();
          for (const kept of this.sanityKept) {
            const after = await this.mapsOf(m, kept.images, kept.classes, randomized);
            kept.maps.get(m.name)!.forEach((before, b) => {
              plain.add(spearman(before, after[b]));
              abs.add(spearman(before.map(Math.abs), after[b].map(Math.abs)));
            });
          }
          methods[m.name].spearman.push(plain.toJSON());
          methods[m.name].spearmanAbs.push(abs.toJSON());
        }
      } finally {
        randomized.dispose();
      }
    }
    return { levels: levels.map((l) => l.name), images: this.sanityCount, methods };
  }

  /** Runs the sanity checks (if asked) and returns the report; releases what was kept. */
  async finish(): Promise<EvaluationReport> {
    const { model, opts } = this;
    const report: EvaluationReport = {
      model: model.config.architecture,
      device: model.ctx.info.name,
      images: this.images,
      accuracy: this.labelled ? this.correct / this.labelled : undefined,
      settings: {
        methods: opts.methods,
        metrics: opts.metrics,
        explainedClass: 'predicted class',
        reference: 'blank-out: probability drop when a patch is set to black',
        deletionImages: Math.min(this.images, this.limit('deletion')),
        fgsmImages: Math.min(this.images, this.limit('fgsm')),
        sanityImages: this.sanityCount,
        deletionSteps: opts.deletionSteps,
        fgsm: { q: 0.1, eps: 1 / 255, maxSteps: 20, ...opts.fgsm },
        seed: opts.seed ?? 0,
      },
      seconds: 0,
      msPerImage: Object.fromEntries([...this.timings].map(([k, v]) => [k, v.ms / Math.max(1, v.images)])),
    };
    if (this.agreement.size) {
      report.agreement = Object.fromEntries([...this.agreement].map(([k, v]) => [k, { spearman: v.spearman.toJSON(), top10: v.top10.toJSON() }]));
    }
    if (this.curves.size) {
      report.deletion = Object.fromEntries([...this.curves].map(([k, v]) => [k, {
        images: v.n,
        deletionAuc: v.auc[0].toJSON(),
        insertionAuc: v.auc[1].toJSON(),
        fractions: v.fractions,
        meanDeletion: v.sum[0].map((s) => s / v.n),
        meanInsertion: v.sum[1].map((s) => s / v.n),
      }]));
    }
    if (this.attacks.size) {
      report.fgsm = Object.fromEntries([...this.attacks].map(([k, v]) => [k, {
        images: v.n, inside: v.inside.toJSON(), outside: v.outside.toJSON(), flippedInside: v.flipIn / v.n, flippedOutside: v.flipOut / v.n, insideFaster: v.faster / v.n,
      }]));
    }
    try {
      if (opts.metrics.includes('sanity') && this.sanityKept.length) {
        report.sanity = {
          cascading: await this.sanity('cascading', cascadingLevels(model.config)),
          independent: await this.sanity('independent', independentLevels(model.config)),
        };
      }
    } finally {
      for (const k of this.sanityKept) k.images.release();
      this.sanityKept.length = 0;
    }
    report.seconds = (performance.now() - this.start) / 1000;
    return report;
  }
}
