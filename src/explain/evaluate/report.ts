/** The evaluation report: what `Evaluation.finish()` returns and evaluation.json holds. */
import type { Metric, Reference } from './experiment.js';
import { REFERENCE_TITLES } from './experiment.js';
import type { EvalMethod } from './methods.js';
import type { StatsSummary } from './stats.js';

export interface AgreementEntry {
  spearman: StatsSummary;
  top10: StatsSummary;
  pearson: StatsSummary;
}

export interface SanityCurves {
  levels: string[];
  methods: Record<string, { spearman: StatsSummary[]; spearmanAbs: StatsSummary[] }>;
}

export interface AgreementSection {
  references: Reference[];
  referenceTitles: Record<string, string>;
  /** methods[method][reference] */
  methods: Record<string, Record<string, AgreementEntry>>;
  /** Mean / std over images of the Spearman between every pair of maps (methods and references). */
  pairwise: { names: string[]; mean: number[][]; std: number[][] };
}

export interface DeletionSection {
  baseline: 'black' | 'blur';
  fractions: number[];
  methods: Record<string, { images: number; deletionAuc: StatsSummary; insertionAuc: StatsSummary; meanDeletion: number[]; meanInsertion: number[] }>;
}

export interface FgsmSection {
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
}

export interface SanitySection {
  images: number;
  cascading: SanityCurves;
  independent: SanityCurves;
}

export interface LocalisationSection {
  /** How the region of the explained class is read from a mask. */
  region: 'class' | 'foreground';
  /** Names of the mask's class ids (index = id). */
  classNames: string[];
  methods: Record<string, {
    /** Seed 001: mean of the max-normalised map over the explained class's pixels. */
    classMean: StatsSummary;
    /** Share of the map's positive mass inside the region (Wang et al., Score-CAM). */
    energy: StatsSummary;
    /** Relevance mass accuracy (Arras et al., as in Quantus): sum inside / sum over the image. */
    mass: StatsSummary;
    /** Relevance rank accuracy: share of the region among the map's top |region| pixels. */
    rank: StatsSummary;
    /** Seed 001's per-class weighted mean, for every mask class present: perClass[classId]. */
    perClass: Record<string, StatsSummary>;
  }>;
  /** Mean share of the image the region covers, over images with a region (the chance level of energy, mass and rank). */
  areaShare: StatsSummary;
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
  /** Wall time in seconds, and per stage (summed over every resumed part and shard). */
  seconds: number;
  stageSeconds: Record<string, number>;
  /** Milliseconds per image spent computing each method's (and reference's) maps. */
  msPerImage: Record<string, number>;
  agreement?: AgreementSection;
  deletion?: DeletionSection;
  fgsm?: FgsmSection;
  sanity?: SanitySection;
  localisation?: LocalisationSection;
}

/** Display name of a method, a reference timing key ('occlusion', 'tam') or a pairwise '(reference)' name. */
export function methodTitle(report: Pick<EvaluationReport, 'methods'>, name: string): string {
  const m = report.methods.find((x) => x.name === name);
  if (m) return m.title;
  const ref = /^\((.*)\)$/.exec(name)?.[1] ?? (name === 'occlusion' ? 'blank-out' : name === 'tam' ? 'tam' : null);
  return ref && ref in REFERENCE_TITLES ? `${REFERENCE_TITLES[ref as Reference]} (reference)` : name;
}
