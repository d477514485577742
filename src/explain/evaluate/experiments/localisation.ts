/**
 * Localisation against ground-truth masks (localisation.ts): per image with a mask and per
 * method, seed 001's weighted mean over the explained class's pixels, the energy-based pointing
 * game, relevance mass and rank accuracy, and seed 001's weighted mean for every mask class.
 */
import { InputError } from '../../../errors.js';
import type { BatchMaps, Experiment, ImageRecord } from '../experiment.js';
import { dec, enc } from '../experiment.js';
import { localisationScores, patchCounts, type PatchGeometry } from '../localisation.js';
import type { EvalMethod } from '../methods.js';
import type { LocalisationSection } from '../report.js';
import { StatsTable, type ExactStatsJSON } from '../stats.js';

/** Per image: m[method] = [classMean, energy, mass, rank]; c[classId][method] = weighted mean; a = area share. */
type LocalisationRecord = { m: (number | null)[][]; c: Record<string, (number | null)[]>; a: number | null };

const SCORES = ['classMean', 'energy', 'mass', 'rank'] as const;

export interface LocalisationSettings {
  /** 'class': the region is the pixels whose mask id is the explained class + 1 (0 = background); 'foreground': every non-zero pixel. */
  region: 'class' | 'foreground';
  /** Names of the mask ids (index = id); default "class <id>". */
  classNames?: readonly string[];
}

export class LocalisationExperiment implements Experiment<LocalisationRecord, LocalisationSection> {
  readonly metric = 'localisation';
  private stats = new StatsTable();
  private perClass = new StatsTable();
  private area = new StatsTable();

  constructor(
    private readonly methods: readonly EvalMethod[],
    private readonly settings: LocalisationSettings,
  ) {}

  async measure(batch: BatchMaps): Promise<ImageRecord<LocalisationRecord>[]> {
    if (!batch.masks) throw new InputError('no-masks', 'the localisation metric needs masks (a `masks` tensor in the data file, a folder of PNG masks, or Fashion-MNIST\'s non-zero pixels)');
    const { model } = batch;
    const [, , H, W] = batch.images.shape;
    const [gh, gw] = model.gridFor(H, W);
    const g: PatchGeometry = { H, W, gh, gw, ph: model.config.patchSize[0], pw: model.config.patchSize[1] };
    const out: ImageRecord<LocalisationRecord>[] = [];
    batch.ids.forEach((id, b) => {
      const mask = batch.masks![b];
      if (!mask) return;
      const counts = patchCounts(mask, g);
      const regionId = this.settings.region === 'foreground' ? 'foreground' : batch.classes[b] + 1;
      const m: (number | null)[][] = [];
      const c: Record<string, (number | null)[]> = {};
      let a = NaN;
      for (const method of this.methods) {
        const s = localisationScores(batch.maps.get(method.name)![b], counts, regionId);
        m.push([enc(s.classMean), enc(s.energy), enc(s.mass), enc(s.rank)]);
        for (const [k, v] of s.perClass) (c[k] ??= []).push(enc(v));
        a = s.areaShare;
      }
      out.push({ id, r: { m, c, a: enc(a) } });
    });
    return out;
  }

  add(records: readonly ImageRecord<LocalisationRecord>[]): void {
    for (const { id, r } of records) {
      // Only images with a region count towards the chance level (an empty one has share 0).
      const a = r.a === null ? NaN : r.a;
      this.area.get('area').add(a > 0 ? a : NaN, id);
      this.methods.forEach((method, mi) => {
        SCORES.forEach((s, si) => this.stats.get(`${method.name}|${s}`).add(dec(r.m[mi][si]), id));
        for (const [k, v] of Object.entries(r.c)) this.perClass.get(`${method.name}|${k}`).add(dec(v[mi]), id);
      });
    }
  }

  merge(other: LocalisationExperiment): void {
    this.stats.merge(other.stats);
    this.perClass.merge(other.perClass);
    this.area.merge(other.area);
  }

  toJSON() {
    return { stats: this.stats.toJSON(), perClass: this.perClass.toJSON(), area: this.area.toJSON() };
  }

  load(json: unknown): void {
    const j = json as Record<'stats' | 'perClass' | 'area', Record<string, ExactStatsJSON>>;
    this.stats = StatsTable.fromJSON(j.stats);
    this.perClass = StatsTable.fromJSON(j.perClass);
    this.area = StatsTable.fromJSON(j.area);
  }

  report(): LocalisationSection | undefined {
    if (this.area.stats.size === 0) return undefined;
    const ids = [...new Set([...this.perClass.stats.keys()].map((k) => Number(k.split('|').pop())))].sort((a, b) => a - b);
    const maxId = ids.length ? ids[ids.length - 1] : 0;
    const names = Array.from({ length: maxId + 1 }, (_, i) => this.settings.classNames?.[i] ?? `class ${i}`);
    return {
      region: this.settings.region,
      classNames: names,
      methods: Object.fromEntries(this.methods.map((m) => [m.name, {
        classMean: this.stats.get(`${m.name}|classMean`).summary(),
        energy: this.stats.get(`${m.name}|energy`).summary(),
        mass: this.stats.get(`${m.name}|mass`).summary(),
        rank: this.stats.get(`${m.name}|rank`).summary(),
        perClass: Object.fromEntries(ids.map((id) => [String(id), this.perClass.get(`${m.name}|${id}`).summary()])),
      }])),
      areaShare: this.area.get('area').summary(),
    };
  }
}
