/** CPU twin of `fuseHeads` (float64). */
import type { HeadFusion } from './fuse-heads.js';

type Values = ArrayLike<number>;

export function fuseHeadsCpu(attn: Values, grad: Values | undefined, a: {
  B: number; H: number; N: number; T?: number; fusion: HeadFusion; reluAfter?: boolean; reluEach?: boolean;
}): Float64Array {
  const NN = a.N * a.N;
  const Z = (a.T ?? 1) * a.B;
  const out = new Float64Array(Z * NN);
  for (let z = 0; z < Z; z++) for (let ij = 0; ij < NN; ij++) {
    const v = Array.from({ length: a.H }, (_, h) => {
      let x = attn[((z % a.B) * a.H + h) * NN + ij];
      if (grad) x *= grad[(z * a.H + h) * NN + ij];
      return a.reluEach ? Math.max(x, 0) : x;
    });
    let f = a.fusion === 'min' ? Math.min(...v) : a.fusion === 'max' ? Math.max(...v) : v.reduce((s, x) => s + x, 0) / a.H;
    if (a.reluAfter) f = Math.max(f, 0);
    out[z * NN + ij] = f;
  }
  return out;
}
