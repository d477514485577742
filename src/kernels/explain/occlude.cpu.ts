/** CPU twin of `occludePatches`: copy s is item items[first + s] = b * P + p, image b with patch p set to fill[c]. */
import { eachPixel, type PatchedImages } from './patch-geometry.cpu.js';

type Values = ArrayLike<number>;

export function occludePatchesCpu(images: Values, fill: Values, items: ArrayLike<number>, first: number, count: number, g: PatchedImages): Float64Array {
  const out = new Float64Array(count * g.C * g.H * g.W);
  eachPixel(count * g.C, g, (plane, y, x, i) => {
    const item = items[first + Math.floor(plane / g.C)];
    const b = Math.floor(item / g.P);
    const p = item % g.P;
    const c = plane % g.C;
    const py = Math.floor(p / g.gw) * g.ph;
    const px = (p % g.gw) * g.pw;
    const inside = y >= py && y < py + g.ph && x >= px && x < px + g.pw;
    out[i] = inside ? fill[c] : images[((b * g.C + c) * g.H + y) * g.W + x];
  });
  return out;
}
