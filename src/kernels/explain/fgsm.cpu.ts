/**
 * CPU twin of `fgsmStep`: x - eps_c * sign(g), clamped to [lo_c, hi_c], on the masked pixels of
 * active images; other pixels unchanged. channel = [lo, hi, eps] per channel.
 */
import { eachPixel, patchAt, type PatchedImages } from './patch-geometry.cpu.js';

type Values = ArrayLike<number>;

export function fgsmStepCpu(grad: Values, mask: Values, active: Values, channel: Values, x: Values, B: number, g: PatchedImages): Float64Array {
  const out = Float64Array.from(x);
  eachPixel(B * g.C, g, (plane, y, xx, i) => {
    const b = Math.floor(plane / g.C);
    const c = plane % g.C;
    const q = patchAt(g, y, xx);
    if (q < 0 || mask[b * g.P + q] * active[b] === 0) return;
    const v = x[i] - channel[3 * c + 2] * Math.sign(grad[i]);
    out[i] = Math.min(Math.max(v, channel[3 * c]), channel[3 * c + 1]);
  });
  return out;
}
