/** CPU twin of `assembleTokens` (float64). */
import type { TokenLayout } from './tokens.js';

type Values = ArrayLike<number>;

export function assembleTokensCpu(prefix: Values, patches: Values, pos: Values, l: TokenLayout): Float64Array {
  const { B, N, NP, D } = l;
  const z = new Float64Array(B * N * D);
  const P = N - NP;
  for (let b = 0; b < B; b++) for (let t = 0; t < N; t++) for (let d = 0; d < D; d++) {
    let v = t < NP ? prefix[t * D + d] : patches[(b * P + t - NP) * D + d];
    if (l.posPrefix) v += pos[t * D + d];
    else if (t >= NP) v += pos[(t - NP) * D + d];
    z[(b * N + t) * D + d] = v;
  }
  return z;
}
