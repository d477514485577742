/**
 * Image kernels for activation maximisation, on [C, H, W] images (one image): a circular shift
 * (jitter), a separable Gaussian blur, the mean absolute value of a gradient, and the ascent step
 *   x <- clamp(x * (1 - decay) + lr * g / (mean|g| + 1e-8), lo_c, hi_c)
 * with per-channel bounds (the valid pixel range in normalised space).
 */
import type { GpuContext } from '../../gpu/context.js';
import { defineKernel } from '../../gpu/kernel.js';
import type { Tensor } from '../../gpu/tensor.js';
import { uniformStruct } from '../../gpu/uniforms.js';
import { PIXEL_ROW_MAIN, pixelGrid } from '../entry-points.js';
import { defineRowKernel } from '../row-kernel.js';

const Params = uniformStruct({ C: 'u32', H: 'u32', W: 'u32', dy: 'i32', dx: 'i32', axis: 'u32', radius: 'u32', lr: 'f32', decay: 'f32', n: 'u32' });

const PIXEL = /* wgsl */ `${PIXEL_ROW_MAIN}
  let c = wid.z;
  let i = (c * p.H + y) * p.W + x;`;

/** OUT[c, y, x] = IN[c, (y - dy) mod H, (x - dx) mod W] */
const rollKernel = defineKernel({
  name: 'roll',
  params: Params,
  bindings: [
    { name: 'IN', access: 'read' },
    { name: 'OUT', access: 'read_write' },
  ],
  body: `${PIXEL}
  let sy = u32((i32(y) - p.dy + 4 * i32(p.H)) % i32(p.H));
  let sx = u32((i32(x) - p.dx + 4 * i32(p.W)) % i32(p.W));
  OUT[i] = IN[(c * p.H + sy) * p.W + sx];
}`,
});

/** One axis of a Gaussian blur with clamped borders; taps in WEIGHTS[0..2*radius]. */
const blurKernel = defineKernel({
  name: 'blur_axis',
  params: Params,
  bindings: [
    { name: 'IN', access: 'read' },
    { name: 'WEIGHTS', access: 'read' },
    { name: 'OUT', access: 'read_write' },
  ],
  body: `${PIXEL}
  var s = 0.0;
  for (var t = 0u; t <= 2u * p.radius; t++) {
    let o = i32(t) - i32(p.radius);
    var v: f32;
    if (p.axis == 0u) {
      let xx = u32(clamp(i32(x) + o, 0, i32(p.W) - 1));
      v = IN[(c * p.H + y) * p.W + xx];
    } else {
      let yy = u32(clamp(i32(y) + o, 0, i32(p.H) - 1));
      v = IN[(c * p.H + yy) * p.W + x];
    }
    s += WEIGHTS[t] * v;
  }
  OUT[i] = s;
}`,
});

const stepKernel = defineKernel({
  name: 'ascent_step',
  params: Params,
  bindings: [
    { name: 'G', access: 'read' },
    { name: 'NORM', access: 'read' },
    { name: 'BOUNDS', access: 'read' },
    { name: 'X', access: 'read_write' },
  ],
  body: `${PIXEL}
  let v = X[i] * (1.0 - p.decay) + p.lr * G[i] / (NORM[0] + 1e-8);
  X[i] = clamp(v, BOUNDS[2u * c], BOUNDS[2u * c + 1u]);
}`,
});

/** Mean |x| over the whole image, as one row (only the first row of the grid runs). */
const meanAbsKernel = defineRowKernel({
  name: 'mean_abs',
  params: Params,
  bindings: [
    { name: 'X', access: 'read' },
    { name: 'OUT', access: 'read_write' },
  ],
  rows: '1u',
  body: /* wgsl */ `
  var s = 0.0;
  for (var i = tid; i < p.n; i += ROW_THREADS) { s += abs(X[i]); }
  let total = row_sum(s, tid);
  if (tid == 0u) { OUT[0] = total / f32(p.n); }`,
});

export interface ImageShape {
  C: number;
  H: number;
  W: number;
}

const base = (s: ImageShape) => ({ ...s, dy: 0, dx: 0, axis: 0, radius: 0, lr: 0, decay: 0, n: s.C * s.H * s.W });
const grid = (s: ImageShape) => pixelGrid(s.W, s.H, s.C);

export function roll(ctx: GpuContext, input: Tensor, out: Tensor, s: ImageShape, dy: number, dx: number): void {
  ctx.dispatch(rollKernel, [input, out], { ...base(s), dy, dx }, grid(s));
}

/** Gaussian blur of `x` in place (through `tmp`), with the normalised taps of `weights` (radius from its length). */
export function gaussianBlur(ctx: GpuContext, x: Tensor, tmp: Tensor, weights: Tensor, s: ImageShape): void {
  const radius = (weights.size - 1) / 2;
  ctx.dispatch(blurKernel, [x, weights, tmp], { ...base(s), axis: 0, radius }, grid(s));
  ctx.dispatch(blurKernel, [tmp, weights, x], { ...base(s), axis: 1, radius }, grid(s));
}

export function meanAbs(ctx: GpuContext, x: Tensor, out: Tensor, s: ImageShape): void {
  meanAbsKernel.dispatch(ctx, [x, out], base(s), 1);
}

export function ascentStep(ctx: GpuContext, g: Tensor, norm: Tensor, bounds: Tensor, x: Tensor, s: ImageShape, lr: number, decay: number): void {
  ctx.dispatch(stepKernel, [g, norm, bounds, x], { ...base(s), lr, decay }, grid(s));
}
