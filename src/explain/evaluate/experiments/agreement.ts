/**
 * Agreement (seed 000, seed 003): per image, Spearman, share of shared top-10 % patches and
 * Pearson between each method's map and each reference map, and the Spearman between every pair
 * of maps (methods and references that no method computes already).
 */
import type { BatchMaps, Experiment, ImageRecord, Reference } from '../experiment.js';
import { dec, enc, REFERENCE_TITLES } from '../experiment.js';
import type { EvalMethod } from '../methods.js';
import { pearson, ranks, spearman, topOverlap } from '../metrics.js';
import type { AgreementSection } from '../report.js';
import { StatsTable, type ExactStatsJSON } from '../stats.js';

/** Per image: a[method][reference] = [spearman, top10, pearson]; p = pairwise Spearman, upper triangle row by row. */
type AgreementRecord = { a: (number | null)[][][]; p: (number | null)[] };

const SCORES = ['spearman', 'top10', 'pearson'] as const;

export class AgreementExperiment implements Experiment<AgreementRecord, AgreementSection> {
  readonly metric = 'agreement';
  private scores = new StatsTable();
  private pairs = new StatsTable(0);

  constructor(
    private readonly methods: readonly EvalMethod[],
    private readonly references: readonly Reference[],
    /** Names of the pairwise matrix: methods, then '(reference)' for references no method duplicates. */
    private readonly pairNames: readonly string[],
  ) {}

  async measure(batch: BatchMaps): Promise<ImageRecord<AgreementRecord>[]> {
    const all = this.pairNames.map((n) => (n.startsWith('(') ? batch.refs.get(n.slice(1, -1) as Reference)! : batch.maps.get(n)!));
    return batch.ids.map((id, b) => {
      const a = this.methods.map((m) => this.references.map((ref) => {
        const x = batch.maps.get(m.name)![b];
        const y = batch.refs.get(ref)![b];
        return [enc(spearman(x, y)), enc(topOverlap(x, y, 0.1)), enc(pearson(x, y))];
      }));
      const r = all.map((maps) => (maps[b].some(Number.isNaN) ? null : ranks(maps[b])));
      const p: (number | null)[] = [];
      for (let i = 0; i < r.length; i++) for (let j = i + 1; j < r.length; j++) p.push(r[i] && r[j] ? enc(pearson(r[i]!, r[j]!)) : null);
      return { id, r: { a, p } };
    });
  }

  add(records: readonly ImageRecord<AgreementRecord>[]): void {
    const n = this.pairNames.length;
    for (const { id, r } of records) {
      this.methods.forEach((m, mi) => this.references.forEach((ref, ri) => SCORES.forEach((s, si) => this.scores.get(`${m.name}|${ref}|${s}`).add(dec(r.a[mi][ri][si]), id))));
      let k = 0;
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) this.pairs.get(`${i}|${j}`).add(dec(r.p[k++]), id);
    }
  }

  merge(other: AgreementExperiment): void {
    this.scores.merge(other.scores);
    this.pairs.merge(other.pairs);
  }

  toJSON() {
    return { scores: this.scores.toJSON(), pairs: this.pairs.toJSON() };
  }

  load(json: unknown): void {
    const j = json as { scores: Record<string, ExactStatsJSON>; pairs: Record<string, ExactStatsJSON> };
    this.scores = StatsTable.fromJSON(j.scores);
    this.pairs = StatsTable.fromJSON(j.pairs, 0);
  }

  report(): AgreementSection | undefined {
    if (this.scores.stats.size === 0) return undefined;
    const n = this.pairNames.length;
    const pair = (i: number, j: number) => this.pairs.get(i < j ? `${i}|${j}` : `${j}|${i}`);
    return {
      references: [...this.references],
      referenceTitles: Object.fromEntries(this.references.map((r) => [r, REFERENCE_TITLES[r]])),
      methods: Object.fromEntries(this.methods.map((m) => [m.name, Object.fromEntries(this.references.map((ref) => [ref, {
        spearman: this.scores.get(`${m.name}|${ref}|spearman`).summary(),
        top10: this.scores.get(`${m.name}|${ref}|top10`).summary(),
        pearson: this.scores.get(`${m.name}|${ref}|pearson`).summary(),
      }]))])),
      pairwise: {
        names: [...this.pairNames],
        mean: Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : pair(i, j).mean))),
        std: Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 0 : pair(i, j).std))),
      },
    };
  }
}
