/**
 * CPU twin of `layernormGrad` (float64): dx = rstd * (g - mean(g) - xh * mean(g * xh)) with
 * g = dy * gamma, xh the normalised saved input; gradient row r reads saved row r % rows.
 */
export function layernormGradCpu(a: {
  dy: ArrayLike<number>; x: ArrayLike<number>; mean: ArrayLike<number>; rstd: ArrayLike<number>; gamma: ArrayLike<number>;
  gradRows: number; rows: number; D: number; accumulateInto?: ArrayLike<number>;
}): Float64Array {
  const { D } = a;
  const dx = new Float64Array(a.gradRows * D);
  for (let r = 0; r < a.gradRows; r++) {
    const s = r % a.rows;
    const xh = (i: number) => (a.x[s * D + i] - a.mean[s]) * a.rstd[s];
    const g = (i: number) => a.dy[r * D + i] * a.gamma[i];
    let mg = 0;
    let mgx = 0;
    for (let i = 0; i < D; i++) {
      mg += g(i) / D;
      mgx += (g(i) * xh(i)) / D;
    }
    for (let i = 0; i < D; i++) dx[r * D + i] = a.rstd[s] * (g(i) - mg - xh(i) * mgx) + (a.accumulateInto?.[r * D + i] ?? 0);
  }
  return dx;
}
