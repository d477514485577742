/**
 * Scalar metrics of maps and their streaming summaries: Spearman rank correlation, the share of
 * shared top-q patches, trapezoid AUC, and running mean / std with a bounded reservoir of values
 * (for box plots), so evaluations over any number of images use bounded memory.
 */

function ranks(a: ArrayLike<number>): Float64Array {
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

/** Spearman rank correlation with average ranks for ties; NaN when either side is constant. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`spearman: lengths ${a.length} and ${b.length} differ`);
  const ra = ranks(a);
  const rb = ranks(b);
  const n = ra.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += ra[i];
    mb += rb[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (ra[i] - ma) * (rb[i] - mb);
    saa += (ra[i] - ma) ** 2;
    sbb += (rb[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Indices of the k largest values (ties broken by index). */
export function topIndices(a: ArrayLike<number>, k: number): number[] {
  return Array.from({ length: a.length }, (_, i) => i)
    .sort((x, y) => a[y] - a[x] || x - y)
    .slice(0, k);
}

/**
 * Fraction of the top-q patches of `a` that are also top-q patches of `b` (seed 000's "shared
 * most important tokens"); q = 0.1 by default, at least one patch.
 */
export function topOverlap(a: ArrayLike<number>, b: ArrayLike<number>, q = 0.1): number {
  const k = Math.max(1, Math.round(q * a.length));
  const tb = new Set(topIndices(b, k));
  return topIndices(a, k).filter((i) => tb.has(i)).length / k;
}

/** Area under y(x) by the trapezoid rule. */
export function auc(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 1; i < x.length; i++) s += ((x[i] - x[i - 1]) * (y[i] + y[i - 1])) / 2;
  return s;
}

/** Running mean / std (Welford) and a reservoir sample of at most `capacity` values. */
export class RunningStats {
  count = 0;
  /** Values that were NaN (e.g. a constant map's correlation) and left out. */
  skipped = 0;
  private mean_ = 0;
  private m2 = 0;
  private readonly sample: number[] = [];
  private seen = 0;
  private rand = 0x9e3779b9;

  constructor(private readonly capacity = 4096) {}

  add(v: number): void {
    if (Number.isNaN(v)) {
      this.skipped++;
      return;
    }
    this.count++;
    const d = v - this.mean_;
    this.mean_ += d / this.count;
    this.m2 += d * (v - this.mean_);
    this.seen++;
    if (this.sample.length < this.capacity) this.sample.push(v);
    else {
      // Algorithm R with a small xorshift generator (deterministic runs).
      this.rand ^= this.rand << 13;
      this.rand ^= this.rand >>> 17;
      this.rand ^= this.rand << 5;
      const j = (this.rand >>> 0) % this.seen;
      if (j < this.capacity) this.sample[j] = v;
    }
  }

  get mean(): number {
    return this.count ? this.mean_ : NaN;
  }

  /** Sample standard deviation. */
  get std(): number {
    return this.count > 1 ? Math.sqrt(this.m2 / (this.count - 1)) : NaN;
  }

  /** Quantiles of the reservoir (exact while count <= capacity). */
  quantiles(qs: readonly number[] = [0, 0.25, 0.5, 0.75, 1]): number[] {
    const s = [...this.sample].sort((a, b) => a - b);
    if (s.length === 0) return qs.map(() => NaN);
    return qs.map((q) => {
      const pos = q * (s.length - 1);
      const lo = Math.floor(pos);
      const hi = Math.ceil(pos);
      return s[lo] + (s[hi] - s[lo]) * (pos - lo);
    });
  }

  toJSON() {
    return { count: this.count, skipped: this.skipped, mean: this.mean, std: this.std, quantiles: this.quantiles() };
  }
}
