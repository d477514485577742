/**
 * Streams a data set through the model and scores explanation methods with the experiments of
 * the seed documents, one module per experiment behind one interface (experiment.ts):
 *   agreement     Spearman, Pearson and shared top-10 % patches with the reference maps —
 *                 blank-out (seed 000) and token ablation (seed 003) — and between every pair
 *                 of methods (experiments/agreement.ts);
 *   deletion      deletion / insertion curves and their AUC (experiments/deletion.ts);
 *   fgsm          masked targeted FGSM inside vs outside each method's top patches (seed 000);
 *   sanity        cascading and independent parameter randomisation (seed 001);
 *   localisation  the map against ground-truth masks (seed 001, pointing game, Arras et al.).
 * The explained class is the predicted class. A `random` control method (uniform scores, seeded
 * per image) gives the chance level of every metric.
 *
 * Each image has an id — its position in the run's image order — that decides everything random
 * about it (the random control's map, which bounded experiments take it, its place in the box
 * plot reservoirs). add() returns a JSON record of the batch's per-image scores; the statistics
 * are exact and order-independent (stats.ts), so replaying records (a resumed run) or merging
 * the states of shards gives the report of one uninterrupted run, bit for bit (timings aside).
 */
import { InputError } from '../../errors.js';
import type { Tensor } from '../../gpu/tensor.js';
import type { VitConfig } from '../../model/config.js';
import type { VisionTransformer } from '../../model/vit.js';
import type { WeightMap } from '../../model/weights.js';
import { tokenAblation } from '../ablation.js';
import { occlusion } from '../occlusion.js';
import { methodByName } from '../registry.js';
import type { BatchMaps, Experiment, ImageRecord, Metric, Reference } from './experiment.js';
import { METRICS, REFERENCES } from './experiment.js';
import { AgreementExperiment } from './experiments/agreement.js';
import { DeletionExperiment } from './experiments/deletion.js';
import { FgsmExperiment } from './experiments/fgsm.js';
import { LocalisationExperiment, type LocalisationSettings } from './experiments/localisation.js';
import { SanityExperiment } from './experiments/sanity.js';
import { EVAL_METHOD_NAMES, evalMethod, RANDOM_METHOD, randomMap, type EvalMethod } from './methods.js';
import type { EvaluationReport } from './report.js';

export type { Metric, Reference } from './experiment.js';
export { METRICS, REFERENCES } from './experiment.js';
export { EVAL_METHOD_NAMES, evalMethod, RANDOM_METHOD, randomMap, type EvalMethod } from './methods.js';
export type { AgreementEntry, EvaluationReport, SanityCurves } from './report.js';
export { methodTitle } from './report.js';

/** Registry methods that compute exactly a reference map (reused instead of computed twice). */
const SAME_AS_REFERENCE: Record<string, Reference> = { occlusion: 'blank-out', tam: 'tam' };

export interface EvaluationOptions {
  methods: string[];
  metrics: Metric[];
  /** Reference maps of the agreement metric (default both). */
  references?: Reference[];
  /** Images scored by deletion/insertion (default 500), FGSM (200) and sanity checks (100): those with id below; Infinity for all. */
  deletionImages?: number;
  fgsmImages?: number;
  sanityImages?: number;
  /** Points per deletion curve minus one (default min(P, 20)). */
  deletionSteps?: number;
  deletionBaseline?: 'black' | 'blur';
  fgsm?: { q?: number; eps?: number; maxSteps?: number };
  /** How the localisation metric reads the explained class's region from a mask (default 'class'). */
  localisation?: Partial<LocalisationSettings>;
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
  /** Each image's id, its position in the run's image order (default: consecutive after the images added so far). */
  ids?: readonly number[];
  /** Per image: pixel class ids [H * W] at the model's input size (the localisation metric). */
  masks?: readonly (Uint8Array | undefined)[];
}

/** What add() measured for one batch: the per-image records and the timings (JSON). */
export interface BatchRecord {
  ids: number[];
  /** Images whose prediction matched their label, of those with a label. */
  correct: number;
  labelled: number;
  grid: [number, number];
  /** Milliseconds spent on each method's (and reference's) maps, and images they covered. */
  ms: Record<string, [number, number]>;
  /** Seconds per stage, and the whole batch. */
  stages: Record<string, number>;
  seconds: number;
  metrics: Partial<Record<Metric, ImageRecord[]>>;
}

/** The exact state of an evaluation (JSON): what a shard writes and `merge` adds up. */
export interface EvaluationState {
  format: 'vitlens-eval-state/1';
  /** Everything that decides the numbers; states merge only when these are equal. */
  settings: Record<string, unknown>;
  /** The model's configuration and the device (what a merge reports without loading the model). */
  config: VitConfig;
  device: string;
  images: number;
  correct: number;
  labelled: number;
  grid: [number, number];
  timings: Record<string, [number, number]>;
  stages: Record<string, number>;
  seconds: number;
  experiments: Partial<Record<Metric, unknown>>;
}

const argmaxRows = (logits: Float32Array, K: number) =>
  Array.from({ length: logits.length / K }, (_, b) => {
    let best = 0;
    for (let c = 1; c < K; c++) if (logits[b * K + c] > logits[b * K + best]) best = c;
    return best;
  });

const addInto = (to: Record<string, number>, key: string, v: number) => (to[key] = (to[key] ?? 0) + v);

export class Evaluation {
  private readonly methods: EvalMethod[];
  private readonly references: Reference[];
  private readonly experiments: Experiment[] = [];
  private readonly deletion?: DeletionExperiment;
  private readonly fgsm?: FgsmExperiment;
  private readonly sanity?: SanityExperiment;
  private timings: Record<string, [number, number]> = {};
  private stages: Record<string, number> = {};
  private seconds = 0;
  private images = 0;
  private correct = 0;
  private labelled = 0;
  private grid: [number, number] = [0, 0];
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
    const want = (m: Metric) => opts.metrics.includes(m);
    // Experiments run (and report) in the order of METRICS, whatever order they were asked in.
    if (want('agreement')) {
      const pairNames = [...this.methods.map((m) => m.name), ...this.references.filter((r) => !this.methods.some((m) => SAME_AS_REFERENCE[m.name] === r)).map((r) => `(${r})`)];
      this.experiments.push(new AgreementExperiment(this.methods, this.references, pairNames));
    }
    if (want('deletion')) {
      this.deletion = new DeletionExperiment(this.methods, { limit: this.limit('deletion'), steps: opts.deletionSteps, baseline: opts.deletionBaseline ?? 'black' });
      this.experiments.push(this.deletion);
    }
    if (want('fgsm')) {
      this.fgsm = new FgsmExperiment(this.methods, this.limit('fgsm'), opts.fgsm);
      this.experiments.push(this.fgsm);
    }
    if (want('sanity')) {
      this.sanity = new SanityExperiment(model, this.methods, { limit: this.limit('sanity'), weights: opts.weights!, seed: opts.seed ?? 0, layerScaleInit: opts.layerScaleInit });
      this.experiments.push(this.sanity);
    }
    if (want('localisation')) this.experiments.push(new LocalisationExperiment(this.methods, { region: opts.localisation?.region ?? 'class', classNames: opts.localisation?.classNames }));
  }

  private limit(metric: 'deletion' | 'fgsm' | 'sanity'): number {
    const v = { deletion: this.opts.deletionImages ?? 500, fgsm: this.opts.fgsmImages ?? 200, sanity: this.opts.sanityImages ?? 100 }[metric];
    return Math.max(0, v);
  }

  /** Everything that decides the numbers (what shards and resumed runs must share). */
  settings(): Record<string, unknown> {
    const { opts } = this;
    const n = (v: number) => (v === Infinity ? 'all' : v);
    return {
      model: this.model.config.architecture,
      methods: this.methods.map((m) => m.name),
      metrics: this.experiments.map((e) => e.metric),
      references: this.references,
      deletionImages: n(this.limit('deletion')),
      deletionSteps: opts.deletionSteps ?? null,
      deletionBaseline: opts.deletionBaseline ?? 'black',
      fgsmImages: n(this.limit('fgsm')),
      fgsm: this.fgsm?.settings ?? null,
      sanityImages: n(this.limit('sanity')),
      layerScaleInit: opts.layerScaleInit ?? null,
      localisation: opts.metrics.includes('localisation') ? { region: opts.localisation?.region ?? 'class', classNames: opts.localisation?.classNames ?? null } : null,
      seed: opts.seed ?? 0,
    };
  }

  /** Maps of one method for images with ids `ids`, explaining `classes`. */
  private async mapsOf(method: EvalMethod, images: Tensor, ids: readonly number[], classes: readonly number[], model = this.model): Promise<Float32Array[]> {
    const [gh, gw] = model.gridFor(images.shape[2], images.shape[3]);
    if (method === RANDOM_METHOD) return ids.map((id) => randomMap(gh * gw, this.opts.seed ?? 0, id));
    const info = methodByName(method.name)!;
    const m = await info.run({ model, images, targets: { perImage: [...classes] } });
    return m.maps[0];
  }

  private async referenceMaps(ref: Reference, images: Tensor, classes: readonly number[]): Promise<Float32Array[]> {
    const perImage = { perImage: [...classes] };
    return ref === 'blank-out' ? (await occlusion(this.model, images, perImage)).maps[0] : (await tokenAblation(this.model, images, perImage)).maps[0];
  }

  /** Images `rows` of a batch as a new tensor (the caller releases it). */
  private rows(images: Tensor, rows: readonly number[]): Tensor {
    if (rows.length === images.shape[0] && rows.every((r, i) => r === i)) return images.retain();
    const [, C, H, W] = images.shape;
    const n = C * H * W * 4;
    const out = this.model.ctx.empty([rows.length, C, H, W]);
    rows.forEach((r, i) => this.model.ctx.copy(images, r * n, out, i * n, n));
    return out;
  }

  /** Every method's and reference's maps of a batch; methods that compute a reference reuse it. */
  private async allMaps(images: Tensor, ids: readonly number[], classes: readonly number[], progress: (stage: string, done: number, total: number) => void, time: (key: string, ms: number) => void) {
    const refs = new Map<Reference, Float32Array[]>();
    const needed = new Set<Reference>(this.opts.metrics.includes('agreement') ? this.references : []);
    for (const m of this.methods) if (SAME_AS_REFERENCE[m.name]) needed.add(SAME_AS_REFERENCE[m.name]);
    const steps = needed.size + this.methods.length;
    let step = 0;
    for (const r of needed) {
      progress(`maps: ${r}`, step++, steps);
      const t = performance.now();
      refs.set(r, await this.referenceMaps(r, images, classes));
      time(r === 'blank-out' ? 'occlusion' : 'tam', performance.now() - t);
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
      maps.set(m.name, await this.mapsOf(m, images, ids, classes));
      time(m.name, performance.now() - t);
    }
    return { refs, maps };
  }

  /** Scores one batch of images (the tensor stays the caller's); returns what it measured. */
  async add(batch: Batch): Promise<BatchRecord> {
    if (this.finished) throw new InputError('finished', 'this evaluation has finished');
    const { model, opts } = this;
    const images = batch.images;
    const B = images.shape[0];
    const ids = batch.ids ? [...batch.ids] : Array.from({ length: B }, (_, b) => this.images + b);
    if (ids.length !== B) throw new InputError('bad-shape', `batch of ${B} images has ${ids.length} ids`);
    if (batch.masks && batch.masks.length !== B) throw new InputError('bad-shape', `batch of ${B} images has ${batch.masks.length} masks`);
    const K = model.config.numClasses;
    const start = performance.now();
    const record: BatchRecord = { ids, correct: 0, labelled: 0, grid: model.gridFor(images.shape[2], images.shape[3]), ms: {}, stages: {}, seconds: 0, metrics: {} };
    const progress = (stage: string, done: number, total: number) => opts.onProgress?.(stage, done, total);
    const time = (key: string, ms: number) => (record.ms[key] = [(record.ms[key]?.[0] ?? 0) + ms, B]);
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
      record.labelled = B;
      record.correct = classes.filter((c, b) => c === batch.labels![b]).length;
    }

    const { refs, maps } = await this.allMaps(images, ids, classes, progress, time);
    record.stages.maps = (performance.now() - t0) / 1000;

    const view: BatchMaps = {
      model, images, ids, classes, maps, refs, masks: batch.masks, progress,
      mapsOf: (m, x, i, c, mdl) => this.mapsOf(m, x, i, c, mdl),
      rows: (r) => this.rows(images, r),
    };
    for (const e of this.experiments) {
      t0 = performance.now();
      const records = await e.measure(view);
      if (records.length) {
        record.metrics[e.metric] = records;
        addInto(record.stages, e.metric, (performance.now() - t0) / 1000);
      }
    }
    record.seconds = (performance.now() - start) / 1000;
    this.replay(record);
    return record;
  }

  /** Folds in a batch measured before (add's return value, e.g. read back from a progress file). */
  replay(record: BatchRecord): void {
    if (this.finished) throw new InputError('finished', 'this evaluation has finished');
    for (const e of this.experiments) {
      const r = record.metrics[e.metric];
      if (r) e.add(r);
    }
    this.images += record.ids.length;
    this.correct += record.correct;
    this.labelled += record.labelled;
    if (record.ids.length) this.grid = record.grid;
    for (const [k, [ms, n]] of Object.entries(record.ms)) this.timings[k] = [(this.timings[k]?.[0] ?? 0) + ms, (this.timings[k]?.[1] ?? 0) + n];
    for (const [k, s] of Object.entries(record.stages)) addInto(this.stages, k, s);
    this.seconds += record.seconds;
  }

  /** The exact state (JSON): the statistics of every experiment so far. */
  state(): EvaluationState {
    return {
      format: 'vitlens-eval-state/1',
      settings: this.settings(),
      config: this.model.config,
      device: this.model.ctx.info.name,
      images: this.images,
      correct: this.correct,
      labelled: this.labelled,
      grid: this.grid,
      timings: this.timings,
      stages: this.stages,
      seconds: this.seconds,
      experiments: Object.fromEntries(this.experiments.map((e) => [e.metric, e.toJSON()])),
    };
  }

  /**
   * An evaluation that only reports: the sum of states of the same settings (shards), built
   * without a GPU or the model's weights; add() is not available on it.
   */
  static fromStates(states: readonly EvaluationState[]): Evaluation {
    if (states.length === 0) throw new InputError('bad-state', 'no evaluation states to merge');
    const first = states[0];
    if (first?.format !== 'vitlens-eval-state/1') throw new InputError('bad-state', 'not an evaluation state (format vitlens-eval-state/1)');
    const s = first.settings as Record<string, never>;
    const count = (v: number | 'all') => (v === 'all' ? Infinity : v);
    const loc = s.localisation as { region: 'class' | 'foreground'; classNames: string[] | null } | null;
    // Only the configuration and the device name are read from the model when nothing is added.
    const model = { config: first.config, ctx: { info: { name: first.device } } } as unknown as VisionTransformer;
    const ev = new Evaluation(model, {
      methods: s.methods, metrics: s.metrics, references: s.references,
      deletionImages: count(s.deletionImages), deletionSteps: s.deletionSteps ?? undefined, deletionBaseline: s.deletionBaseline,
      fgsmImages: count(s.fgsmImages), fgsm: s.fgsm ?? undefined, sanityImages: count(s.sanityImages),
      layerScaleInit: s.layerScaleInit ?? undefined, seed: s.seed, weights: new Map(),
      localisation: loc ? { region: loc.region, classNames: loc.classNames ?? undefined } : undefined,
    });
    for (const st of states) ev.merge(st);
    return ev;
  }

  /** Adds the state of an evaluation of other images with the same settings (a shard). */
  merge(state: EvaluationState): void {
    if (this.finished) throw new InputError('finished', 'this evaluation has finished');
    if (state?.format !== 'vitlens-eval-state/1') throw new InputError('bad-state', 'not an evaluation state (format vitlens-eval-state/1)');
    const mine = JSON.stringify(this.settings());
    const theirs = JSON.stringify(state.settings);
    if (mine !== theirs) throw new InputError('settings-mismatch', `evaluation states of different settings cannot be merged: ${theirs} vs ${mine}`);
    for (const e of this.experiments) {
      const j = state.experiments[e.metric];
      if (j === undefined) continue;
      // A copy of the experiment (same methods and settings) holding the other state.
      const other = Object.create(Object.getPrototypeOf(e)) as Experiment;
      Object.assign(other, e);
      other.load(j);
      e.merge(other);
    }
    this.images += state.images;
    this.correct += state.correct;
    this.labelled += state.labelled;
    if (state.images) this.grid = state.grid;
    for (const [k, [ms, n]] of Object.entries(state.timings)) this.timings[k] = [(this.timings[k]?.[0] ?? 0) + ms, (this.timings[k]?.[1] ?? 0) + n];
    for (const [k, s] of Object.entries(state.stages)) addInto(this.stages, k, s);
    this.seconds += state.seconds;
  }

  /** The report of every image added, replayed or merged so far. */
  async finish(): Promise<EvaluationReport> {
    if (this.finished) throw new InputError('finished', 'this evaluation has finished');
    this.finished = true;
    const { model, opts } = this;
    const fgsm = this.fgsm?.settings ?? new FgsmExperiment([], 0, opts.fgsm).settings;
    const sections = Object.fromEntries(this.experiments.map((e) => [e.metric, e.report()]).filter(([, s]) => s !== undefined));
    const report: EvaluationReport = {
      model: model.config.architecture,
      device: model.ctx.info.name,
      images: this.images,
      accuracy: this.labelled ? this.correct / this.labelled : undefined,
      grid: this.grid,
      methods: this.methods,
      settings: {
        methods: this.methods.map((m) => m.name),
        metrics: this.experiments.map((e) => e.metric),
        references: this.references,
        explainedClass: 'predicted class',
        deletionImages: this.deletion ? Math.min(this.images, this.limit('deletion')) : 0,
        deletionSteps: opts.deletionSteps ?? this.deletion?.steps ?? null,
        deletionBaseline: opts.deletionBaseline ?? 'black',
        fgsmImages: this.fgsm ? Math.min(this.images, this.limit('fgsm')) : 0,
        fgsm: { ...fgsm, target: 'second most likely class' },
        sanityImages: sections.sanity ? (sections.sanity as { images: number }).images : 0,
        seed: opts.seed ?? 0,
      },
      seconds: this.seconds,
      stageSeconds: this.stages,
      msPerImage: Object.fromEntries(Object.entries(this.timings).map(([k, [ms, n]]) => [k, ms / Math.max(1, n)])),
      ...sections,
    };
    return report;
  }

  /** Nothing is held between batches any more; kept so callers' cleanup paths stay valid. */
  dispose(): void {}
}
