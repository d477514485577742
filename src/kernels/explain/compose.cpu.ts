/** CPU twin of `composePatches`: copy s takes a's pixels where keep[s, patch] != 0, else base's, of image imageOf[s]. */
import { eachPixel, patchAt, type PatchedImages } from './patch-geometry.cpu.js';

type Values = ArrayLike<number>;

export function composePatchesCpu(a: Values, base: Values, keep: Values, imageOf: ArrayLike<number>, S: number, g: PatchedImages): Float64Array {
  const out = new Float64Array(S * g.C * g.H * g.W);
  eachPixel(S * g.C, g, (plane, y, x, i) => {
    const s = Math.floor(plane / g.C);
    const src = ((imageOf[s] * g.C + (plane % g.C)) * g.H + y) * g.W + x;
    const q = patchAt(g, y, x);
    out[i] = q >= 0 && keep[s * g.P + q] !== 0 ? a[src] : base[src];
  });
  return out;
}
