/**
 * Deletion / insertion (deletion.ts) on the images whose id is below the limit: AUCs per image
 * and the mean curves (exact sums per point).
 */
import { deletionInsertion } from '../deletion.js';
import type { BatchMaps, Experiment, ImageRecord } from '../experiment.js';
import { rowsBelow } from '../experiment.js';
import type { EvalMethod } from '../methods.js';
import type { DeletionSection } from '../report.js';
import { ExactSum, StatsTable, type ExactStatsJSON } from '../stats.js';

/** Per image and method: [deletion AUC, insertion AUC, deletion curve..., insertion curve...]. */
type DeletionRecord = number[][];

export interface DeletionSettings {
  limit: number;
  steps?: number;
  baseline: 'black' | 'blur';
}

export class DeletionExperiment implements Experiment<DeletionRecord, DeletionSection> {
  readonly metric = 'deletion';
  private aucs = new StatsTable();
  /** curves[method] = [deletion sums per point, insertion sums per point]. */
  private curves = new Map<string, [ExactSum[], ExactSum[]]>();
  private fractions: number[] = [];

  constructor(
    private readonly methods: readonly EvalMethod[],
    private readonly settings: DeletionSettings,
  ) {}

  /** Points per curve minus one, once an image was scored. */
  get steps(): number | null {
    return this.fractions.length ? this.fractions.length - 1 : null;
  }

  async measure(batch: BatchMaps): Promise<ImageRecord<DeletionRecord>[]> {
    const rows = rowsBelow(batch.ids, this.settings.limit);
    if (rows.length === 0) return [];
    const sub = batch.rows(rows);
    const per: DeletionRecord[] = rows.map(() => []);
    try {
      for (const [i, m] of this.methods.entries()) {
        batch.progress(`deletion: ${m.name}`, i, this.methods.length);
        const maps = batch.maps.get(m.name)!;
        const c = await deletionInsertion(batch.model, sub, rows.map((b) => maps[b]), rows.map((b) => batch.classes[b]), { steps: this.settings.steps, baseline: this.settings.baseline });
        rows.forEach((_, k) => per[k].push([c.deletionAuc[k], c.insertionAuc[k], ...c.deletion[k], ...c.insertion[k]]));
      }
    } finally {
      sub.release();
    }
    return rows.map((b, k) => ({ id: batch.ids[b], r: per[k] }));
  }

  add(records: readonly ImageRecord<DeletionRecord>[]): void {
    for (const { id, r } of records) {
      this.methods.forEach((m, mi) => {
        const [del, ins, ...points] = r[mi];
        const n = points.length / 2;
        if (!this.fractions.length) this.fractions = Array.from({ length: n }, (_, i) => i / (n - 1));
        this.aucs.get(`${m.name}|deletion`).add(del, id);
        this.aucs.get(`${m.name}|insertion`).add(ins, id);
        let c = this.curves.get(m.name);
        if (!c) {
          c = [Array.from({ length: n }, () => new ExactSum()), Array.from({ length: n }, () => new ExactSum())];
          this.curves.set(m.name, c);
        }
        for (let i = 0; i < n; i++) {
          c[0][i].add(points[i]);
          c[1][i].add(points[n + i]);
        }
      });
    }
  }

  merge(other: DeletionExperiment): void {
    this.aucs.merge(other.aucs);
    if (!this.fractions.length) this.fractions = other.fractions;
    for (const [m, c] of other.curves) {
      const mine = this.curves.get(m);
      if (!mine) this.curves.set(m, c);
      else c.forEach((sums, k) => sums.forEach((s, i) => mine[k][i].merge(s)));
    }
  }

  toJSON() {
    return { aucs: this.aucs.toJSON(), fractions: this.fractions, curves: Object.fromEntries([...this.curves].map(([m, c]) => [m, c.map((sums) => sums.map((s) => s.toJSON()))])) };
  }

  load(json: unknown): void {
    const j = json as { aucs: Record<string, ExactStatsJSON>; fractions: number[]; curves: Record<string, string[][]> };
    this.aucs = StatsTable.fromJSON(j.aucs);
    this.fractions = j.fractions;
    this.curves = new Map(Object.entries(j.curves).map(([m, c]) => [m, [c[0].map(ExactSum.fromJSON), c[1].map(ExactSum.fromJSON)]]));
  }

  report(): DeletionSection | undefined {
    if (this.curves.size === 0) return undefined;
    return {
      baseline: this.settings.baseline,
      fractions: this.fractions,
      methods: Object.fromEntries(this.methods.map((m) => {
        const del = this.aucs.get(`${m.name}|deletion`);
        const n = del.count + del.skipped;
        const [d, i] = this.curves.get(m.name)!;
        return [m.name, {
          images: n,
          deletionAuc: del.summary(),
          insertionAuc: this.aucs.get(`${m.name}|insertion`).summary(),
          meanDeletion: d.map((s) => s.value / n),
          meanInsertion: i.map((s) => s.value / n),
        }];
      })),
    };
  }
}
