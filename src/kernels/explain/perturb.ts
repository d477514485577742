/**
 * Batches of perturbed copies of images for path and noise methods. Output row z = s * B + b is
 * copy s of image b (i runs over one image's n values):
 *   lerp:  OUT[z, i] = BASE[b, i] + COEF[z] * (X[b, i] - BASE[b, i])   (integrated gradients)
 *   noise: OUT[z, i] = X[b, i] + COEF[z] * normal(seed, z, i)          (SmoothGrad)
 * The normal deviates come from a counter-based hash (PCG) and Box-Muller, so a seed reproduces
 * them exactly.
 */
import type { GpuContext } from '../../gpu/context.js';
import { defineKernel } from '../../gpu/kernel.js';
import type { Tensor } from '../../gpu/tensor.js';
import { uniformStruct } from '../../gpu/uniforms.js';

const WG = 64;
const Params = uniformStruct({ n: 'u32', B: 'u32', mode: 'u32', seed: 'u32', chunksX: 'u32' });

const kernel = defineKernel({
  name: 'perturb',
  params: Params,
  bindings: [
    { name: 'X', access: 'read' },
    { name: 'BASE', access: 'read' },
    { name: 'COEF', access: 'read' },
    { name: 'OUT', access: 'read_write' },
  ],
  body: /* wgsl */ `
fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}
fn normal(seed: u32, s: u32, i: u32) -> f32 {
  let h1 = pcg(seed ^ pcg(s ^ pcg(i)));
  let h2 = pcg(h1 + 0x9e3779b9u);
  let u1 = (f32(h1 >> 8u) + 1.0) / 16777217.0;
  let u2 = f32(h2 >> 8u) / 16777216.0;
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = (wid.x + wid.y * p.chunksX) * ${WG}u + li;
  let z = wid.z;
  if (i >= p.n) { return; }
  let src = (z % p.B) * p.n + i;
  var v: f32;
  if (p.mode == 0u) { v = BASE[src] + COEF[z] * (X[src] - BASE[src]); }
  else { v = X[src] + COEF[z] * normal(p.seed, z, i); }
  OUT[z * p.n + i] = v;
}`,
});

export interface PerturbArgs {
  /** Images [B, ...]. */
  x: Tensor;
  /** Baseline of the same shape as x (lerp), unused for noise. */
  base?: Tensor;
  /** One coefficient per output row z = s * B + b: alpha (lerp) or the noise stdev (noise). */
  coef: Tensor;
  /** [copies * B, ...] */
  out: Tensor;
  copies: number;
  mode: 'lerp' | 'noise';
  seed?: number;
}

export function perturb(ctx: GpuContext, a: PerturbArgs): void {
  const B = a.x.shape[0];
  const n = a.x.size / B;
  const groups = Math.ceil(n / WG);
  const chunksX = Math.min(groups, 65535);
  ctx.dispatch(
    kernel,
    [a.x, a.base ?? a.x, a.coef, a.out],
    { n, B, mode: a.mode === 'lerp' ? 0 : 1, seed: (a.seed ?? 0) >>> 0, chunksX },
    [chunksX, Math.ceil(groups / chunksX), a.copies * B],
  );
}
