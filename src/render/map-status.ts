/**
 * Whether a map has anything to show. A map that is all zero, constant or not finite (GradCAM
 * after its ReLU when every value was negative; most maps of a blank image) has no colour scale:
 * drawn like any other map it becomes one flat colour under a "0 … 1.00" colour bar, which reads
 * as "the model looked everywhere equally". Pictures, the report and summary.json say so instead.
 */

export interface MapStatus {
  /** Nothing to draw: constant, or no finite value. */
  empty: boolean;
  /** Why it is empty, for tiles, PNG metadata and summary.json (absent when not empty). */
  note?: string;
  /** Smallest and largest finite value (NaN, NaN when there is none). */
  range: [number, number];
  /** NaN or infinite values (drawn as the colour map's middle colour when the map is not empty). */
  nonFinite: number;
  /** The range of the map before a method's ReLU, when the method has one and the map is empty. */
  rawRange?: [number, number];
}

/** Short number for labels: 3 significant digits, exponent outside 1e-3 .. 1e4. */
export function formatValue(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (!Number.isFinite(v)) return String(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(2);
  return String(Number(v.toPrecision(3)));
}

function finiteRange(map: ArrayLike<number>): { range: [number, number]; nonFinite: number } {
  let lo = Infinity;
  let hi = -Infinity;
  let nonFinite = 0;
  for (let i = 0; i < map.length; i++) {
    const v = map[i];
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return { range: lo <= hi ? [lo, hi] : [NaN, NaN], nonFinite };
}

/**
 * The status of `map`. `beforeRelu` is the method's map before its ReLU (GradCAM's raw weighted
 * sum): when it is given and has no positive value, the note says the ReLU removed everything.
 * A map counts as constant when its spread is below 1e-6 of its magnitude (float noise).
 */
export function mapStatus(map: ArrayLike<number>, opts: { beforeRelu?: ArrayLike<number> } = {}): MapStatus {
  const { range, nonFinite } = finiteRange(map);
  const [lo, hi] = range;
  if (Number.isNaN(lo)) return { empty: true, note: `no finite value (${map.length} NaN or infinite)`, range, nonFinite };
  if (hi - lo > 1e-6 * Math.max(Math.abs(lo), Math.abs(hi))) return { empty: false, range, nonFinite };
  if (opts.beforeRelu) {
    const raw = finiteRange(opts.beforeRelu).range;
    if (!(raw[1] > 0)) {
      return { empty: true, note: `empty: every value ≤ 0 before the ReLU (raw ${formatValue(raw[0])} … ${formatValue(raw[1])})`, range, nonFinite, rawRange: raw };
    }
  }
  return { empty: true, note: `constant map: value ${formatValue(lo)}`, range, nonFinite };
}
