/** CPU twins of the activation-maximisation image kernels on one [C, H, W] image (float64). */
import type { ImageShape } from './image-ops.js';

type Values = ArrayLike<number>;

const wrap = (v: number, n: number) => ((v % n) + n) % n;
const clampTo = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);

function eachValue(s: ImageShape, f: (c: number, y: number, x: number, i: number) => number): Float64Array {
  const out = new Float64Array(s.C * s.H * s.W);
  for (let c = 0; c < s.C; c++) for (let y = 0; y < s.H; y++) for (let x = 0; x < s.W; x++) {
    const i = (c * s.H + y) * s.W + x;
    out[i] = f(c, y, x, i);
  }
  return out;
}

/** out[c, y, x] = input[c, (y - dy) mod H, (x - dx) mod W] */
export function rollCpu(input: Values, s: ImageShape, dy: number, dx: number): Float64Array {
  return eachValue(s, (c, y, x) => input[(c * s.H + wrap(y - dy, s.H)) * s.W + wrap(x - dx, s.W)]);
}

/** Separable blur with clamped borders, along x then y, taps weights[0..2r]. */
export function gaussianBlurCpu(input: Values, weights: Values, s: ImageShape): Float64Array {
  const r = (weights.length - 1) / 2;
  const along = (src: Values, axis: 0 | 1) =>
    eachValue(s, (c, y, x) => {
      let v = 0;
      for (let t = 0; t <= 2 * r; t++) {
        const yy = axis === 1 ? clampTo(y + t - r, 0, s.H - 1) : y;
        const xx = axis === 0 ? clampTo(x + t - r, 0, s.W - 1) : x;
        v += weights[t] * src[(c * s.H + yy) * s.W + xx];
      }
      return v;
    });
  return along(along(input, 0), 1);
}

export function meanAbsCpu(x: Values): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.abs(x[i]);
  return s / x.length;
}

/** x <- clamp(x * (1 - decay) + lr * g / (norm + 1e-8), lo_c, hi_c), bounds = [lo, hi] per channel. */
export function ascentStepCpu(g: Values, norm: number, bounds: Values, x: Values, s: ImageShape, lr: number, decay: number): Float64Array {
  return eachValue(s, (c, _y, _x, i) => clampTo(x[i] * (1 - decay) + (lr * g[i]) / (norm + 1e-8), bounds[2 * c], bounds[2 * c + 1]));
}
