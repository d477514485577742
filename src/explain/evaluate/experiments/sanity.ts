/**
 * Parameter randomisation checks (sanity.ts, seed 001) on the images whose id is below the
 * limit: each batch's images are explained again by every randomised model (levels with the same
 * parameters once), and the Spearman before / after is recorded per image, so nothing has to be
 * kept until the end of the run.
 */
import type { VisionTransformer } from '../../../model/vit.js';
import type { WeightMap } from '../../../model/weights.js';
import type { BatchMaps, Experiment, ImageRecord } from '../experiment.js';
import { dec, enc, rowsBelow } from '../experiment.js';
import type { EvalMethod } from '../methods.js';
import { spearman } from '../metrics.js';
import type { SanityCurves, SanitySection } from '../report.js';
import { cascadingLevels, independentLevels, ORIGINAL, randomizedModel, type Level } from '../sanity.js';
import { StatsTable, type ExactStatsJSON } from '../stats.js';

/** Per image: [unique level][method] = [spearman, spearman of absolute values]. */
type SanityRecord = (number | null)[][][];

const key = (l: Level) => l.prefixes.join('|');

export interface SanitySettings {
  limit: number;
  weights: WeightMap;
  seed: number;
  layerScaleInit?: number;
}

export class SanityExperiment implements Experiment<SanityRecord, SanitySection> {
  readonly metric = 'sanity';
  private stats = new StatsTable();
  private images = 0;
  private readonly cascading: Level[];
  private readonly independent: Level[];
  /** Levels with the same parameters randomise to the same weights: each is computed once. */
  private readonly unique: Level[];

  constructor(
    model: VisionTransformer,
    private readonly methods: readonly EvalMethod[],
    private readonly settings: SanitySettings,
  ) {
    this.cascading = [ORIGINAL, ...cascadingLevels(model.config)];
    this.independent = [ORIGINAL, ...independentLevels(model.config)];
    this.unique = [...new Map([...this.cascading, ...this.independent].map((l) => [key(l), l])).values()];
  }

  async measure(batch: BatchMaps): Promise<ImageRecord<SanityRecord>[]> {
    const rows = rowsBelow(batch.ids, this.settings.limit);
    if (rows.length === 0) return [];
    const { model } = batch;
    const sub = batch.rows(rows);
    const ids = rows.map((b) => batch.ids[b]);
    const classes = rows.map((b) => batch.classes[b]);
    const out: SanityRecord[] = rows.map(() => []);
    try {
      for (const [li, level] of this.unique.entries()) {
        const randomized = level.prefixes.length === 0 ? model : randomizedModel(model.ctx, model.config, this.settings.weights, level, this.settings.seed, this.settings.layerScaleInit);
        try {
          const perMethod: (number | null)[][][] = rows.map(() => []);
          for (const [mi, m] of this.methods.entries()) {
            batch.progress(`sanity: ${level.name}: ${m.name}`, li * this.methods.length + mi, this.unique.length * this.methods.length);
            const after = await batch.mapsOf(m, sub, ids, classes, randomized);
            rows.forEach((b, k) => {
              const before = batch.maps.get(m.name)![b];
              perMethod[k].push([enc(spearman(before, after[k])), enc(spearman(before.map(Math.abs), after[k].map(Math.abs)))]);
            });
          }
          perMethod.forEach((p, k) => out[k].push(p));
        } finally {
          if (randomized !== model) randomized.dispose();
        }
      }
    } finally {
      sub.release();
    }
    return rows.map((_, k) => ({ id: ids[k], r: out[k] }));
  }

  add(records: readonly ImageRecord<SanityRecord>[]): void {
    for (const { id, r } of records) {
      this.images++;
      this.unique.forEach((l, li) => this.methods.forEach((m, mi) => {
        this.stats.get(`${key(l)}#${m.name}#plain`).add(dec(r[li][mi][0]), id);
        this.stats.get(`${key(l)}#${m.name}#abs`).add(dec(r[li][mi][1]), id);
      }));
    }
  }

  merge(other: SanityExperiment): void {
    this.stats.merge(other.stats);
    this.images += other.images;
  }

  toJSON() {
    return { images: this.images, stats: this.stats.toJSON() };
  }

  load(json: unknown): void {
    const j = json as { images: number; stats: Record<string, ExactStatsJSON> };
    this.images = j.images;
    this.stats = StatsTable.fromJSON(j.stats);
  }

  report(): SanitySection | undefined {
    if (this.images === 0) return undefined;
    const curves = (levels: Level[]): SanityCurves => ({
      levels: levels.map((l) => l.name),
      methods: Object.fromEntries(this.methods.map((m) => [m.name, {
        spearman: levels.map((l) => this.stats.get(`${key(l)}#${m.name}#plain`).summary()),
        spearmanAbs: levels.map((l) => this.stats.get(`${key(l)}#${m.name}#abs`).summary()),
      }])),
    });
    return { images: this.images, cascading: curves(this.cascading), independent: curves(this.independent) };
  }
}
