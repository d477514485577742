/**
 * CPU twin of `rolloutMatrix` (float64): entries whose key is at or below the segment's
 * threshold key (state[4z]) are dropped when discarding (sparing flat index 0 if protected),
 * a = (F + I) / 2, then column j is divided by row j's sum (vit-explain) or each row by its own.
 */
import { floatKey } from './select.cpu.js';

export function rolloutMatrixCpu(fused: ArrayLike<number>, state: ArrayLike<number> | undefined, a: {
  S: number; N: number; discard: boolean; protectClsEntry: boolean; normalize: 'vit-explain' | 'rows';
}): Float64Array {
  const { N } = a;
  const out = new Float64Array(a.S * N * N);
  for (let z = 0; z < a.S; z++) {
    const entry = (i: number, j: number) => {
      const idx = i * N + j;
      let v = fused[z * N * N + idx];
      if (a.discard && floatKey(v) <= state![4 * z] && !(a.protectClsEntry && idx === 0)) v = 0;
      return (v + (i === j ? 1 : 0)) / 2;
    };
    const sums = Array.from({ length: N }, (_, i) => Array.from({ length: N }, (_, j) => entry(i, j)).reduce((s, v) => s + v, 0));
    for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) out[(z * N + i) * N + j] = entry(i, j) / sums[a.normalize === 'rows' ? i : j];
  }
  return out;
}
