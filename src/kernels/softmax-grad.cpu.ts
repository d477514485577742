/** CPU twin of `softmaxGrad` (float64): dS = P * (dP - rowsum(dP * P)), gradient row r reads P row r % rows. */
export function softmaxGradCpu(dp: ArrayLike<number>, probs: ArrayLike<number>, gradRows: number, rows: number, L: number): Float64Array {
  const ds = new Float64Array(gradRows * L);
  for (let r = 0; r < gradRows; r++) {
    const pb = (r % rows) * L;
    let dot = 0;
    for (let i = 0; i < L; i++) dot += dp[r * L + i] * probs[pb + i];
    for (let i = 0; i < L; i++) ds[r * L + i] = probs[pb + i] * (dp[r * L + i] - dot);
  }
  return ds;
}
