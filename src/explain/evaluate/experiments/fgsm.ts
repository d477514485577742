/**
 * FGSM inside vs outside each method's top patches (fgsm.ts, seed 000) on the images whose id
 * is below the limit: steps to the target per image; flip and faster shares are counts.
 */
import type { BatchMaps, Experiment, ImageRecord } from '../experiment.js';
import { rowsBelow } from '../experiment.js';
import { FGSM_DEFAULTS, fgsmInsideOutsideMany, runnerUpClasses, type FgsmOptions } from '../fgsm.js';
import type { EvalMethod } from '../methods.js';
import type { FgsmSection } from '../report.js';
import { StatsTable, type ExactStatsJSON } from '../stats.js';

/** Per image and method: [steps inside, steps outside]. */
type FgsmRecord = number[][];

export class FgsmExperiment implements Experiment<FgsmRecord, FgsmSection> {
  readonly metric = 'fgsm';
  private steps = new StatsTable();
  /** Per method: [flipped inside, flipped outside, inside faster, outside faster] counts. */
  private counts = new Map<string, number[]>();
  readonly settings: { q: number; eps: number; maxSteps: number };

  constructor(
    private readonly methods: readonly EvalMethod[],
    private readonly limit: number,
    fgsm: Omit<FgsmOptions, 'targets'> = {},
  ) {
    const given = Object.fromEntries(Object.entries(fgsm).filter(([, v]) => v !== undefined));
    this.settings = { ...FGSM_DEFAULTS, ...given };
  }

  async measure(batch: BatchMaps): Promise<ImageRecord<FgsmRecord>[]> {
    const rows = rowsBelow(batch.ids, this.limit);
    if (rows.length === 0) return [];
    const sub = batch.rows(rows);
    try {
      const targets = await runnerUpClasses(batch.model, sub);
      batch.progress('fgsm', 0, 1);
      const results = await fgsmInsideOutsideMany(batch.model, sub, this.methods.map((m) => rows.map((b) => batch.maps.get(m.name)![b])), { ...this.settings, targets });
      return rows.map((b, k) => ({ id: batch.ids[b], r: results.map((res) => [res.inside[k], res.outside[k]]) }));
    } finally {
      sub.release();
    }
  }

  add(records: readonly ImageRecord<FgsmRecord>[]): void {
    const max = this.settings.maxSteps;
    for (const { id, r } of records) {
      this.methods.forEach((m, mi) => {
        const [inside, outside] = r[mi];
        this.steps.get(`${m.name}|inside`).add(inside, id);
        this.steps.get(`${m.name}|outside`).add(outside, id);
        const c = this.counts.get(m.name) ?? [0, 0, 0, 0];
        c[0] += inside <= max ? 1 : 0;
        c[1] += outside <= max ? 1 : 0;
        c[2] += inside < outside ? 1 : 0;
        c[3] += inside > outside ? 1 : 0;
        this.counts.set(m.name, c);
      });
    }
  }

  merge(other: FgsmExperiment): void {
    this.steps.merge(other.steps);
    for (const [m, c] of other.counts) this.counts.set(m, (this.counts.get(m) ?? [0, 0, 0, 0]).map((v, i) => v + c[i]));
  }

  toJSON() {
    return { steps: this.steps.toJSON(), counts: Object.fromEntries(this.counts) };
  }

  load(json: unknown): void {
    const j = json as { steps: Record<string, ExactStatsJSON>; counts: Record<string, number[]> };
    this.steps = StatsTable.fromJSON(j.steps);
    this.counts = new Map(Object.entries(j.counts));
  }

  report(): FgsmSection | undefined {
    if (this.counts.size === 0) return undefined;
    return {
      ...this.settings,
      methods: Object.fromEntries(this.methods.map((m) => {
        const inside = this.steps.get(`${m.name}|inside`);
        const n = inside.count + inside.skipped;
        const c = this.counts.get(m.name)!;
        return [m.name, {
          images: n, inside: inside.summary(), outside: this.steps.get(`${m.name}|outside`).summary(),
          flippedInside: c[0] / n, flippedOutside: c[1] / n, insideFaster: c[2] / n, outsideFaster: c[3] / n,
        }];
      })),
    };
  }
}
