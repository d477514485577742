/** CPU twins of the row movement kernels (float64). The add-backs return the updated `out`. */
import type { RowRange } from './rows.js';

type Values = ArrayLike<number>;

/** Calls f(g, t, d) for every value of the range. */
function eachInRange(r: RowRange, f: (g: number, t: number, d: number) => void): void {
  for (let g = 0; g < r.groups; g++) for (let t = 0; t < r.count; t++) for (let d = 0; d < r.D; d++) f(g, t, d);
}

const at = (r: RowRange, g: number, t: number, d: number) => (g * r.rowsPerGroup + r.first + t) * r.D + d;

export function gatherRowsCpu(input: Values, idx: ArrayLike<number>, s: { rows: number; D: number }): Float64Array {
  return Float64Array.from({ length: s.rows * s.D }, (_, i) => input[idx[Math.floor(i / s.D)] * s.D + (i % s.D)]);
}

export function sliceRowsCpu(input: Values, r: RowRange): Float64Array {
  const out = new Float64Array(r.groups * r.count * r.D);
  eachInRange(r, (g, t, d) => (out[(g * r.count + t) * r.D + d] = input[at(r, g, t, d)]));
  return out;
}

export function unsliceRowsAddCpu(input: Values, out: Values, r: RowRange): Float64Array {
  const y = Float64Array.from(out);
  eachInRange(r, (g, t, d) => (y[at(r, g, t, d)] += input[(g * r.count + t) * r.D + d]));
  return y;
}

export function meanRowsCpu(input: Values, r: RowRange): Float64Array {
  const out = new Float64Array(r.groups * r.D);
  eachInRange(r, (g, t, d) => (out[g * r.D + d] += input[at(r, g, t, d)] / r.count));
  return out;
}

export function spreadRowsCpu(input: Values, out: Values, r: RowRange): Float64Array {
  const y = Float64Array.from(out);
  eachInRange(r, (g, t, d) => (y[at(r, g, t, d)] += input[g * r.D + d] / r.count));
  return y;
}
