/** CPU twin of `softmaxProbSeed` (float64): row r = t * B + b is d p_k / d logits[b] for k = classes[r]. */
export function softmaxProbSeedCpu(logits: ArrayLike<number>, classes: ArrayLike<number>, rows: number, B: number, C: number): Float64Array {
  const seed = new Float64Array(rows * C);
  for (let r = 0; r < rows; r++) {
    const lb = (r % B) * C;
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, logits[lb + c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(logits[lb + c] - m);
    const prob = (c: number) => Math.exp(logits[lb + c] - m) / s;
    const k = classes[r];
    for (let c = 0; c < C; c++) seed[r * C + c] = prob(k) * ((c === k ? 1 : 0) - prob(c));
  }
  return seed;
}
