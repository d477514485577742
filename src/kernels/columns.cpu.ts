/** CPU twins of the per-column kernels (float64). */
type Values = ArrayLike<number>;

/** y[m, n] = x[m, n] * v[vOffset + n] */
export function mulColumnsCpu(x: Values, v: Values, M: number, N: number, vOffset = 0): Float64Array {
  return Float64Array.from({ length: M * N }, (_, i) => x[i] * v[vOffset + (i % N)]);
}

/**
 * out[n] = (out[n] if accumulate) + sum_m a[m, n] * f(m, n): f = 1, b[m % bRows, n] with b, or
 * the layer-norm normalised b (stats rows (mean, rstd)) with b and stats.
 */
export function columnSumsCpu(a: {
  a: Values; M: number; N: number; out?: Values; accumulate: boolean; b?: Values; stats?: Values; bRows?: number;
}): Float64Array {
  const bRows = a.bRows ?? a.M;
  const out = new Float64Array(a.N);
  for (let n = 0; n < a.N; n++) {
    let s = a.accumulate && a.out ? a.out[n] : 0;
    for (let m = 0; m < a.M; m++) {
      const r = m % bRows;
      let f = 1;
      if (a.stats && a.b) f = (a.b[r * a.N + n] - a.stats[2 * r]) * a.stats[2 * r + 1];
      else if (a.b) f = a.b[r * a.N + n];
      s += a.a[m * a.N + n] * f;
    }
    out[n] = s;
  }
  return out;
}
