/**
 * Statistics of per-image scores that give the same result whatever the order the images came
 * in, whichever shard computed them and however often a run was stopped and resumed:
 *  - sums and sums of squares are exact (BigInt fixed point at 2^-1074, the spacing of the
 *    smallest double, so every finite double and every product of two is an integer there):
 *    adding in another order, or merging shards, cannot change a bit of the mean or the std;
 *  - the reservoir for box plots keeps the values of the `capacity` images with the smallest
 *    hash of their image id (bottom-k sampling), so which values it holds depends only on the
 *    set of images, and a merge of two reservoirs is the reservoir of the union.
 * NaN scores (a constant map's correlation) are counted as skipped, not averaged.
 */
import { InputError } from '../../errors.js';

/** Fixed-point exponent: a double v is the integer v * 2^SCALE. */
const SCALE = 1074n;
const view = new DataView(new ArrayBuffer(8));

/** The finite double v as the exact integer v * 2^1074. */
export function scaled(v: number): bigint {
  view.setFloat64(0, v);
  const bits = view.getBigUint64(0);
  const exp = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & 0xfffffffffffffn;
  const mag = exp === 0 ? frac : (frac | 0x10000000000000n) << BigInt(exp - 1);
  return bits >> 63n ? -mag : mag;
}

/** The double nearest (within one rounding) to n * 2^-shift; deterministic for a given n. */
export function unscaled(n: bigint, shift: bigint): number {
  if (n === 0n) return 0;
  const neg = n < 0n;
  let m = neg ? -n : n;
  const extra = BigInt(Math.max(0, m.toString(2).length - 64));
  m >>= extra;
  let e = Number(extra - shift);
  let r = Number(m);
  // 2^e in steps that stay inside the double range.
  while (e < -1000) {
    r *= 2 ** -1000;
    e += 1000;
  }
  while (e > 1000) {
    r *= 2 ** 1000;
    e -= 1000;
  }
  r *= 2 ** e;
  return neg ? -r : r;
}

/** A 32-bit mix of an image id (murmur3's finaliser): the reservoir priority of that image. */
export function imagePriority(id: number): number {
  let h = Math.imul(id ^ 0x5bd1e995, 0x9e3779b1) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export interface StatsSummary {
  count: number;
  /** Values that were NaN (e.g. a constant map's correlation) and left out. */
  skipped: number;
  mean: number;
  std: number;
  /** min, lower quartile, median, upper quartile, max (of the reservoir: exact up to its capacity). */
  quantiles: number[];
}

/** The serialised state of ExactStats: exact sums as hex strings, reservoir as [id, value] pairs. */
export interface ExactStatsJSON {
  count: number;
  skipped: number;
  sum: string;
  sumSq: string;
  capacity: number;
  sample: [number, number][];
}

const byPriority = (a: [number, number], b: [number, number]) => imagePriority(a[0]) - imagePriority(b[0]) || a[0] - b[0];
const hex = (n: bigint) => (n < 0n ? `-0x${(-n).toString(16)}` : `0x${n.toString(16)}`);
const fromHex = (s: string) => (s.startsWith('-') ? -BigInt(s.slice(1)) : BigInt(s));

/** Count, exact sum and sum of squares, and a bottom-k reservoir of (image id, value). */
export class ExactStats {
  count = 0;
  skipped = 0;
  private sum = 0n;
  private sumSq = 0n;
  /** Up to 2 * capacity entries between trims; trimmed to the capacity smallest priorities. */
  private sample: [number, number][] = [];

  constructor(readonly capacity = 4096) {}

  /** Adds the score of image `id` (each image at most once per statistic). */
  add(v: number, id: number): void {
    if (!Number.isFinite(v)) {
      this.skipped++;
      return;
    }
    this.count++;
    const s = scaled(v);
    this.sum += s;
    this.sumSq += s * s;
    if (this.capacity > 0) {
      this.sample.push([id, v]);
      if (this.sample.length >= 2 * this.capacity) this.trim();
    }
  }

  private trim(): void {
    if (this.sample.length > this.capacity) this.sample = this.sample.sort(byPriority).slice(0, this.capacity);
  }

  /** Adds another statistic's images (disjoint from this one's) to this one. */
  merge(o: ExactStats): this {
    if (o.capacity !== this.capacity) throw new InputError('bad-merge', `reservoirs of ${this.capacity} and ${o.capacity} values cannot be merged`);
    this.count += o.count;
    this.skipped += o.skipped;
    this.sum += o.sum;
    this.sumSq += o.sumSq;
    this.sample.push(...o.sample);
    this.trim();
    return this;
  }

  get mean(): number {
    return this.count ? unscaled(this.sum, SCALE) / this.count : NaN;
  }

  /** Sample standard deviation (n - 1), from the exact n * sum(v^2) - (sum v)^2. */
  get std(): number {
    const n = BigInt(this.count);
    if (this.count < 2) return NaN;
    const num = n * this.sumSq - this.sum * this.sum;
    return Math.sqrt(unscaled(num, 2n * SCALE) / (this.count * (this.count - 1)));
  }

  /** Quantiles of the reservoir by linear interpolation (exact while count <= capacity). */
  quantiles(qs: readonly number[] = [0, 0.25, 0.5, 0.75, 1]): number[] {
    this.trim();
    const s = this.sample.map((e) => e[1]).sort((a, b) => a - b);
    if (s.length === 0) return qs.map(() => NaN);
    return qs.map((q) => {
      const pos = q * (s.length - 1);
      const lo = Math.floor(pos);
      const hi = Math.ceil(pos);
      return s[lo] + (s[hi] - s[lo]) * (pos - lo);
    });
  }

  summary(): StatsSummary {
    return { count: this.count, skipped: this.skipped, mean: this.mean, std: this.std, quantiles: this.quantiles() };
  }

  toJSON(): ExactStatsJSON {
    this.trim();
    return { count: this.count, skipped: this.skipped, sum: hex(this.sum), sumSq: hex(this.sumSq), capacity: this.capacity, sample: [...this.sample].sort(byPriority) };
  }

  static fromJSON(j: ExactStatsJSON): ExactStats {
    const s = new ExactStats(j.capacity);
    s.count = j.count;
    s.skipped = j.skipped;
    s.sum = fromHex(j.sum);
    s.sumSq = fromHex(j.sumSq);
    s.sample = j.sample.map(([id, v]) => [id, v]);
    return s;
  }
}

/** An exact sum (no reservoir), e.g. one point of a mean curve. */
export class ExactSum {
  private total = 0n;

  add(v: number): void {
    this.total += scaled(v);
  }

  merge(o: ExactSum): this {
    this.total += o.total;
    return this;
  }

  get value(): number {
    return unscaled(this.total, SCALE);
  }

  toJSON(): string {
    return hex(this.total);
  }

  static fromJSON(s: string): ExactSum {
    const e = new ExactSum();
    e.total = fromHex(s);
    return e;
  }
}

/** A record of named statistics, created on first use; merges and serialises by key. */
export class StatsTable {
  readonly stats = new Map<string, ExactStats>();

  constructor(private readonly capacity = 4096) {}

  get(key: string): ExactStats {
    let s = this.stats.get(key);
    if (!s) {
      s = new ExactStats(this.capacity);
      this.stats.set(key, s);
    }
    return s;
  }

  merge(o: StatsTable): this {
    for (const [k, s] of o.stats) this.get(k).merge(s);
    return this;
  }

  toJSON(): Record<string, ExactStatsJSON> {
    return Object.fromEntries([...this.stats].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, s]) => [k, s.toJSON()]));
  }

  static fromJSON(j: Record<string, ExactStatsJSON>, capacity = 4096): StatsTable {
    const t = new StatsTable(capacity);
    for (const [k, s] of Object.entries(j)) t.stats.set(k, ExactStats.fromJSON(s));
    return t;
  }
}
