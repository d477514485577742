/**
 * CPU twin of `perturb`: row z = s * B + b is copy s of image b, either the interpolation
 * base + coef[z] * (x - base) or x + coef[z] * normal(seed, z, i), with the kernel's PCG hash
 * and Box-Muller transform (the uniforms are the kernel's f32 values; the rest is float64).
 */
type Values = ArrayLike<number>;

function pcg(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

export function normalCpu(seed: number, s: number, i: number): number {
  const h1 = pcg((seed ^ pcg((s ^ pcg(i)) >>> 0)) >>> 0);
  const h2 = pcg((h1 + 0x9e3779b9) >>> 0);
  // WGSL rounds the literal 16777217.0 to the f32 16777216.
  const u1 = Math.fround(Math.fround((h1 >>> 8) + 1) / Math.fround(16777217));
  const u2 = Math.fround((h2 >>> 8) / 16777216);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

export function perturbCpu(x: Values, base: Values | undefined, coef: Values, a: { B: number; copies: number; mode: 'lerp' | 'noise'; seed?: number }): Float64Array {
  const n = x.length / a.B;
  const out = new Float64Array(a.copies * a.B * n);
  for (let z = 0; z < a.copies * a.B; z++) for (let i = 0; i < n; i++) {
    const src = (z % a.B) * n + i;
    out[z * n + i] = a.mode === 'lerp' ? base![src] + coef[z] * (x[src] - base![src]) : x[src] + coef[z] * normalCpu((a.seed ?? 0) >>> 0, z, i);
  }
  return out;
}
