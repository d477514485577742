/**
 * The one interface every experiment of the evaluation implements (agreement, deletion, FGSM,
 * sanity checks, localisation). An experiment works in two steps so that a run can be written
 * down, resumed, split into shards and merged without changing a number:
 *   measure(batch)  computes, on the GPU, one small JSON record per image it scores;
 *   add(records)    folds records into exact, order-independent statistics (stats.ts).
 * A resumed run replays the records it wrote; shards serialise their statistics (toJSON) and a
 * merge adds them up (merge). report() turns the statistics into the report's section.
 */
import type { Tensor } from '../../gpu/tensor.js';
import type { VisionTransformer } from '../../model/vit.js';
import type { EvalMethod } from './methods.js';

export type Metric = 'agreement' | 'deletion' | 'fgsm' | 'sanity' | 'localisation';
export const METRICS: readonly Metric[] = ['agreement', 'deletion', 'fgsm', 'sanity', 'localisation'];

export type Reference = 'blank-out' | 'tam';
export const REFERENCES: readonly Reference[] = ['blank-out', 'tam'];
export const REFERENCE_TITLES: Record<Reference, string> = { 'blank-out': 'blank-out', tam: 'token ablation' };

/** One image's record: its id (position in the run's image order) and the experiment's values (NaN as null). */
export interface ImageRecord<R = unknown> {
  id: number;
  r: R;
}

/** What an experiment sees of one batch. */
export interface BatchMaps {
  model: VisionTransformer;
  /** Normalised images [B, C, H, W] (owned by the caller). */
  images: Tensor;
  /** Each image's id: its position in the run's image order (the same in every shard and resume). */
  ids: readonly number[];
  /** The explained class of each image (the predicted one). */
  classes: readonly number[];
  /** Patch maps of every method, per image. */
  maps: ReadonlyMap<string, readonly Float32Array[]>;
  /** Reference maps (agreement), per image. */
  refs: ReadonlyMap<Reference, readonly Float32Array[]>;
  /** Per image: pixel class ids [H * W] at the model's input size, when masks were given. */
  masks?: readonly (Uint8Array | undefined)[];
  /** Recomputes a method's maps (the sanity checks: on a randomised model). */
  mapsOf(method: EvalMethod, images: Tensor, ids: readonly number[], classes: readonly number[], model: VisionTransformer): Promise<Float32Array[]>;
  /** Copies images `rows` of the batch into a new tensor (the caller releases it). */
  rows(rows: readonly number[]): Tensor;
  progress(stage: string, done: number, total: number): void;
}

export interface Experiment<R = unknown, Section = unknown> {
  readonly metric: Metric;
  /** Scores the images of the batch this experiment takes; one record per image scored. */
  measure(batch: BatchMaps): Promise<ImageRecord<R>[]>;
  /** Folds records (from measure, or read back from a progress file) into the statistics. */
  add(records: readonly ImageRecord<R>[]): void;
  /** Adds the statistics of the same experiment over other images. */
  merge(other: Experiment<R, Section>): void;
  /** The exact statistics, as JSON (what a shard hands to the merge). */
  toJSON(): unknown;
  /** Replaces the statistics with serialised ones (from toJSON). */
  load(json: unknown): void;
  /** The report's section, or undefined when no image was scored. */
  report(): Section | undefined;
}

/** A value for a JSON record (JSON has no NaN). */
export const enc = (v: number): number | null => (Number.isFinite(v) ? v : null);
/** Back from a JSON record. */
export const dec = (v: number | null): number => (v === null ? NaN : v);

/** Positions in the batch of the images whose id is below `limit` (the bounded experiments). */
export function rowsBelow(ids: readonly number[], limit: number): number[] {
  const out: number[] = [];
  ids.forEach((id, b) => id < limit && out.push(b));
  return out;
}
