/** CPU twin of `tokenDot` (float64): out[z, i] = x[z mod B, first + i, :] . y[z, first + i, :]. */
export function tokenDotCpu(x: ArrayLike<number>, y: ArrayLike<number>, s: { Z: number; B: number; N: number; D: number; first: number; count: number }): Float64Array {
  const out = new Float64Array(s.Z * s.count);
  for (let z = 0; z < s.Z; z++) for (let i = 0; i < s.count; i++) {
    const xb = ((z % s.B) * s.N + s.first + i) * s.D;
    const yb = (z * s.N + s.first + i) * s.D;
    let v = 0;
    for (let d = 0; d < s.D; d++) v += x[xb + d] * y[yb + d];
    out[z * s.count + i] = v;
  }
  return out;
}
