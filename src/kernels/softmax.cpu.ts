/** CPU twin of `softmaxRows` (float64 arithmetic), in place. */
export function softmaxRowsCpu(x: Float32Array | Float64Array, rows: number, L: number): void {
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let i = 0; i < L; i++) m = Math.max(m, x[r * L + i]);
    let s = 0;
    for (let i = 0; i < L; i++) s += Math.exp(x[r * L + i] - m);
    for (let i = 0; i < L; i++) x[r * L + i] = Math.exp(x[r * L + i] - m) / s;
  }
}
