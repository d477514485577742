/**
 * Scalar metrics of maps and their streaming summaries: Spearman rank correlation (average ranks
 * for ties), Pearson correlation, the share of shared top-q patches, trapezoid AUC, and running
 * mean / std with a bounded reservoir of values (for box plots; stats.ts), so evaluations over
 * any number of images use bounded memory.
 *
 * Ties matter here: a blank-out map of a Fashion-MNIST image is exactly 0 on every patch that is
 * already black (about a fifth of them), and ReLU'd maps (GradCAM, gradient rollout) have runs
 * of zeros. Ranks of ties are averaged, and top-q sets give tied patches at the boundary an
 * equal share of the remaining places instead of favouring low patch indices.
 */

import { ExactStats, type StatsSummary } from './stats.js';

function hasNaN(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (Number.isNaN(a[i])) return true;
  return false;
}

/** 0-based ranks, ascending, tied values sharing the average of their ranks. No NaN allowed. */
export function ranks(a: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: a.length }, (_, i) => i).sort((x, y) => a[x] - a[y]);
  const r = new Float64Array(a.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && a[idx[j + 1]] === a[idx[i]]) j++;
    for (let k = i; k <= j; k++) r[idx[k]] = (i + j) / 2;
    i = j + 1;
  }
  return r;
}

/** Pearson correlation; NaN when either side is constant or holds a NaN. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`pearson: lengths ${a.length} and ${b.length} differ`);
  const n = a.length;
  if (n < 2 || hasNaN(a) || hasNaN(b)) return NaN;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa === 0 || sbb === 0) return NaN;
  // Rounding can push |r| a hair past 1 for (anti-)proportional inputs.
  return Math.max(-1, Math.min(1, sab / Math.sqrt(saa * sbb)));
}

/**
 * Spearman rank correlation: Pearson of the average ranks. NaN when either side is constant
 * (no ranking to compare) or holds a NaN; summaries count such values as skipped.
 */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`spearman: lengths ${a.length} and ${b.length} differ`);
  if (hasNaN(a) || hasNaN(b)) return NaN;
  return pearson(ranks(a), ranks(b));
}

/** Indices of the k largest values, ties broken by index (NaN counts as smallest). */
export function topIndices(a: ArrayLike<number>, k: number): number[] {
  const v = (i: number) => (Number.isNaN(a[i]) ? -Infinity : a[i]);
  return Array.from({ length: a.length }, (_, i) => i)
    .sort((x, y) => v(y) - v(x) || x - y)
    .slice(0, k);
}

const tieOrders = new Map<number, Uint32Array>();

/** A fixed pseudo-random permutation of 0..n-1 (tie-break priority: no corner of the grid first). */
function tieOrder(n: number): Uint32Array {
  let t = tieOrders.get(n);
  if (!t) {
    const perm = Uint32Array.from({ length: n }, (_, i) => i);
    let s = 0x2545f491;
    for (let i = n - 1; i > 0; i--) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      const j = (s >>> 0) % (i + 1);
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    t = new Uint32Array(n);
    perm.forEach((p, rank) => (t![p] = rank));
    tieOrders.set(n, t);
  }
  return t;
}

/**
 * All indices, largest value first, for removing or attacking patches in order of relevance.
 * NaN goes last; equal values come in a fixed pseudo-random order of the index (the same for
 * every map of that length), so runs of tied patches are not taken from the top-left corner.
 */
export function rankOrder(a: ArrayLike<number>): number[] {
  const v = (i: number) => (Number.isNaN(a[i]) ? -Infinity : a[i]);
  const tie = tieOrder(a.length);
  return Array.from({ length: a.length }, (_, i) => i).sort((x, y) => v(y) - v(x) || tie[x] - tie[y]);
}

/** Number of top patches for a share q of P patches: round(q * P), at least 1. */
export function topCount(P: number, q: number): number {
  return Math.max(1, Math.min(P, Math.round(q * P)));
}

/**
 * Membership of each value in the top k: 1 above the k-th largest value, 0 below it, and the
 * values equal to it share the places left equally (NaN counts as smallest). Sums to k.
 */
export function topMembership(a: ArrayLike<number>, k: number): Float64Array {
  const n = a.length;
  const v = (i: number) => (Number.isNaN(a[i]) ? -Infinity : a[i]);
  const out = new Float64Array(n);
  if (k <= 0 || n === 0) return out;
  if (k >= n) return out.fill(1);
  const sorted = Array.from({ length: n }, (_, i) => v(i)).sort((x, y) => y - x);
  const t = sorted[k - 1];
  let above = 0;
  let tied = 0;
  for (let i = 0; i < n; i++) {
    if (v(i) > t) above++;
    else if (v(i) === t) tied++;
  }
  const share = (k - above) / tied;
  for (let i = 0; i < n; i++) out[i] = v(i) > t ? 1 : v(i) === t ? share : 0;
  return out;
}

/**
 * Share of the top-q patches of `a` that are also top-q patches of `b` (seed 000's "shared
 * most important tokens"): |top(a) ∩ top(b)| / k with k = round(q * P). With ties at the
 * boundary, memberships are fractional (topMembership) and the intersection is
 * sum_i min(m_a[i], m_b[i]), so a map compared with itself always gives 1 and tied patches are
 * not picked by index. Chance level for maps without ties is k / P.
 */
export function topOverlap(a: ArrayLike<number>, b: ArrayLike<number>, q = 0.1): number {
  if (a.length !== b.length) throw new Error(`topOverlap: lengths ${a.length} and ${b.length} differ`);
  const k = topCount(a.length, q);
  const ma = topMembership(a, k);
  const mb = topMembership(b, k);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.min(ma[i], mb[i]);
  return s / k;
}

/** Area under y(x) by the trapezoid rule. */
export function auc(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new Error(`auc: lengths ${x.length} and ${y.length} differ`);
  let s = 0;
  for (let i = 1; i < x.length; i++) s += ((x[i] - x[i - 1]) * (y[i] + y[i - 1])) / 2;
  return s;
}

export type { StatsSummary } from './stats.js';

/**
 * Summary statistics of a stream of values (mean, std, quantiles of a reservoir), for callers
 * that have no image ids: the n-th value added counts as image n. The evaluation itself uses
 * ExactStats with the images' ids (see stats.ts).
 */
export class RunningStats {
  private readonly stats: ExactStats;
  private next = 0;

  constructor(capacity = 4096) {
    this.stats = new ExactStats(capacity);
  }

  add(v: number): void {
    this.stats.add(v, this.next++);
  }

  get count(): number {
    return this.stats.count;
  }

  get skipped(): number {
    return this.stats.skipped;
  }

  get mean(): number {
    return this.stats.mean;
  }

  get std(): number {
    return this.stats.std;
  }

  quantiles(qs?: readonly number[]): number[] {
    return this.stats.quantiles(qs);
  }

  toJSON(): StatsSummary {
    return this.stats.summary();
  }
}
