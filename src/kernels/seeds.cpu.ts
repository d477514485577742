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

/**
 * The ranking rule of class targets 'top' / 'topK' (class-specs.ts) and of `topClassSeed`:
 * the first `k` class ids of image b by logit, descending, equal logits by the lower id (what a
 * stable sort gives). Null when a logit of the image is NaN (no ranking exists).
 */
export function rankClasses(logits: ArrayLike<number>, b: number, C: number, k: number): number[] | null {
  const row = Array.from({ length: C }, (_, c) => logits[b * C + c]);
  if (row.some(Number.isNaN)) return null;
  const before = (x: number, y: number) => row[x] > row[y] || (row[x] === row[y] && x < y);
  const ids = Array.from({ length: C }, (_, c) => c).sort((x, y) => (before(x, y) ? -1 : before(y, x) ? 1 : 0));
  return ids.slice(0, k);
}

/** CPU twin of `topClassSeed`: updates `seed` [T*B, C] and `classes` [T*B] in place. */
export function topClassSeedCpu(logits: ArrayLike<number>, ranks: readonly number[], seed: Float32Array, classes: Uint32Array, B: number, C: number): void {
  const maxRank = Math.max(0, ...ranks);
  for (let b = 0; b < B; b++) {
    const ranked = rankClasses(logits, b, C, maxRank);
    ranks.forEach((r, t) => {
      if (r === 0) return;
      const row = t * B + b;
      const k = ranked ? ranked[r - 1] : 0xffffffff;
      classes[row] = k;
      for (let c = 0; c < C; c++) seed[row * C + c] = c === k ? 1 : 0;
    });
  }
}
