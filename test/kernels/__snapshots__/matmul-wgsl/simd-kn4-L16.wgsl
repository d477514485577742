// tile 32 x 64
enable subgroups;
// vitlens kernel: matmul_simd [kn4-L16-32x1]
struct Params {
  M: u32,
  N: u32,
  K: u32,
  alpha: f32,
  flags: u32,
  nz2: u32,
  aOff: u32,
  aRs: u32,
  aCs: u32,
  aS1: u32,
  aS2: u32,
  aMod: u32,
  bOff: u32,
  bRs: u32,
  bCs: u32,
  bS1: u32,
  bS2: u32,
  bMod: u32,
  cOff: u32,
  cRs: u32,
  cS1: u32,
  cS2: u32,
  cMod: u32,
  rOff: u32,
  rRs: u32,
  rS1: u32,
  rS2: u32,
  rMod: u32,
  biasOff: u32,
  scaleOff: u32,
}
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<vec4f>;
@group(0) @binding(2) var<storage, read> BIAS: array<f32>;
@group(0) @binding(3) var<storage, read> SCALE: array<f32>;
@group(0) @binding(4) var<storage, read> R: array<f32>;
@group(0) @binding(5) var<storage, read_write> C: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;
fn erf_f32(x: f32) -> f32 {
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.5 * z);
  let erfc = t * exp(-z * z + fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, 1.7087277000e-1, -8.2215223000e-1), 1.4885158700e+0), -1.1352039800e+0), 2.7886807000e-1), -1.8628806000e-1), 9.6784180000e-2), 3.7409196000e-1), 1.0000236800e+0), -1.2655122300e+0));
  return sign(x) * (1.0 - erfc);
}
fn gelu(u: f32) -> f32 {
  return 0.5 * u * (1.0 + erf_f32(u * 0.70710678118654752));
}
fn gelu_grad(u: f32) -> f32 {
  let cdf = 0.5 * (1.0 + erf_f32(u * 0.70710678118654752));
  let pdf = 0.39894228040143268 * exp(-0.5 * u * u);
  return cdf + u * pdf;
}

fn batch_offset(z: u32, off: u32, s1: u32, s2: u32, md: u32) -> u32 {
  let z1 = z / p.nz2;
  let z2 = z % p.nz2;
  return off + (z1 % md) * s1 + z2 * s2;
}
fn a_base(z: u32) -> u32 { return batch_offset(z, p.aOff, p.aS1, p.aS2, p.aMod); }
fn b_base(z: u32) -> u32 { return batch_offset(z, p.bOff, p.bS1, p.bS2, p.bMod); }
fn c_base(z: u32) -> u32 { return batch_offset(z, p.cOff, p.cS1, p.cS2, p.cMod); }
fn r_base(z: u32) -> u32 { return batch_offset(z, p.rOff, p.rS1, p.rS2, p.rMod); }

// Epilogue pieces for kernels that own whole columns (the simd family): a column's bias and
// scale are loaded once, not once per output row.
fn col_bias(n: u32) -> f32 {
  if ((p.flags & 1u) == 0u) { return 0.0; }
  return BIAS[p.biasOff + min(n, p.N - 1u)];
}
fn col_scale(n: u32) -> f32 {
  if ((p.flags & 4u) == 0u) { return 1.0; }
  return SCALE[p.scaleOff + min(n, p.N - 1u)];
}
// acc -> output value before residual / accumulation.
fn finish(acc: f32, bias: f32, scale: f32) -> f32 {
  var v = fma(acc, p.alpha, bias);
  if ((p.flags & 2u) != 0u) { v = gelu(v); }
  return v * scale;
}
// Adds residual / previous C and stores; the caller checked the bounds.
fn put(cb: u32, rb: u32, m: u32, n: u32, value: f32) {
  var v = value;
  if ((p.flags & 8u) != 0u) { v += R[rb + m * p.rRs + n]; }
  let ci = cb + m * p.cRs + n;
  if ((p.flags & 16u) != 0u) { v += C[ci]; }
  C[ci] = v;
}

// Writes one output element; cb / rb are c_base(z) / r_base(z), computed once per invocation
// (integer division has no SIMD form on CPUs). The flag tests are uniform: no divergence.
fn store_c(cb: u32, rb: u32, m: u32, n: u32, acc: f32) {
  if (m >= p.M || n >= p.N) { return; }
  var v = acc * p.alpha;
  if ((p.flags & 1u) != 0u) { v += BIAS[p.biasOff + n]; }
  if ((p.flags & 2u) != 0u) { v = gelu(v); }
  if ((p.flags & 4u) != 0u) { v *= SCALE[p.scaleOff + n]; }
  if ((p.flags & 8u) != 0u) { v += R[rb + m * p.rRs + n]; }
  let ci = cb + m * p.cRs + n;
  if ((p.flags & 16u) != 0u) { v += C[ci]; }
  C[ci] = v;
}
@compute @workgroup_size(16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let z = wid.z;
  let m0 = wid.y * 32u;
  let ab = a_base(z);
  let bb = b_base(z);
  let K4 = (p.K + 3u) / 4u;
  let kLast = max(p.K, 1u) - 1u;
  let ar0 = ab + min(m0 + 0u + lane, p.M - 1u) * p.aRs;
  let ar1 = ab + min(m0 + 16u + lane, p.M - 1u) * p.aRs;
  let N4 = p.N / 4u;
  let cg0 = wid.x * 16u + li + 0u;
  let bc0 = bb / 4u + min(cg0, N4 - 1u);
  var c0_0 = vec4f(0.0);
  var c1_0 = vec4f(0.0);
  var c2_0 = vec4f(0.0);
  var c3_0 = vec4f(0.0);
  var c4_0 = vec4f(0.0);
  var c5_0 = vec4f(0.0);
  var c6_0 = vec4f(0.0);
  var c7_0 = vec4f(0.0);
  var c8_0 = vec4f(0.0);
  var c9_0 = vec4f(0.0);
  var c10_0 = vec4f(0.0);
  var c11_0 = vec4f(0.0);
  var c12_0 = vec4f(0.0);
  var c13_0 = vec4f(0.0);
  var c14_0 = vec4f(0.0);
  var c15_0 = vec4f(0.0);
  var c16_0 = vec4f(0.0);
  var c17_0 = vec4f(0.0);
  var c18_0 = vec4f(0.0);
  var c19_0 = vec4f(0.0);
  var c20_0 = vec4f(0.0);
  var c21_0 = vec4f(0.0);
  var c22_0 = vec4f(0.0);
  var c23_0 = vec4f(0.0);
  var c24_0 = vec4f(0.0);
  var c25_0 = vec4f(0.0);
  var c26_0 = vec4f(0.0);
  var c27_0 = vec4f(0.0);
  var c28_0 = vec4f(0.0);
  var c29_0 = vec4f(0.0);
  var c30_0 = vec4f(0.0);
  var c31_0 = vec4f(0.0);
  for (var k4 = 0u; k4 < K4; k4++) {
    let kb = k4 * 4u;
    let kc0 = min(kb + 0u, kLast) * p.aCs;
    let kc1 = min(kb + 1u, kLast) * p.aCs;
    let kc2 = min(kb + 2u, kLast) * p.aCs;
    let kc3 = min(kb + 3u, kLast) * p.aCs;
    let at0 = vec4f(select(0.0, A[ar0 + kc0], kb + 0u < p.K), select(0.0, A[ar0 + kc1], kb + 1u < p.K), select(0.0, A[ar0 + kc2], kb + 2u < p.K), select(0.0, A[ar0 + kc3], kb + 3u < p.K));
    let at1 = vec4f(select(0.0, A[ar1 + kc0], kb + 0u < p.K), select(0.0, A[ar1 + kc1], kb + 1u < p.K), select(0.0, A[ar1 + kc2], kb + 2u < p.K), select(0.0, A[ar1 + kc3], kb + 3u < p.K));
    let br0 = min(kb + 0u, kLast) * (p.bRs / 4u);
    let b0_0 = B[br0 + bc0];
    let br1 = min(kb + 1u, kLast) * (p.bRs / 4u);
    let b1_0 = B[br1 + bc0];
    let br2 = min(kb + 2u, kLast) * (p.bRs / 4u);
    let b2_0 = B[br2 + bc0];
    let br3 = min(kb + 3u, kLast) * (p.bRs / 4u);
    let b3_0 = B[br3 + bc0];
    let a0 = subgroupBroadcast(at0, 0u);
    c0_0 = fma(vec4f(a0[0]), b0_0, c0_0);
    c0_0 = fma(vec4f(a0[1]), b1_0, c0_0);
    c0_0 = fma(vec4f(a0[2]), b2_0, c0_0);
    c0_0 = fma(vec4f(a0[3]), b3_0, c0_0);
    let a1 = subgroupBroadcast(at0, 1u);
    c1_0 = fma(vec4f(a1[0]), b0_0, c1_0);
    c1_0 = fma(vec4f(a1[1]), b1_0, c1_0);
    c1_0 = fma(vec4f(a1[2]), b2_0, c1_0);
    c1_0 = fma(vec4f(a1[3]), b3_0, c1_0);
    let a2 = subgroupBroadcast(at0, 2u);
    c2_0 = fma(vec4f(a2[0]), b0_0, c2_0);
    c2_0 = fma(vec4f(a2[1]), b1_0, c2_0);
    c2_0 = fma(vec4f(a2[2]), b2_0, c2_0);
    c2_0 = fma(vec4f(a2[3]), b3_0, c2_0);
    let a3 = subgroupBroadcast(at0, 3u);
    c3_0 = fma(vec4f(a3[0]), b0_0, c3_0);
    c3_0 = fma(vec4f(a3[1]), b1_0, c3_0);
    c3_0 = fma(vec4f(a3[2]), b2_0, c3_0);
    c3_0 = fma(vec4f(a3[3]), b3_0, c3_0);
    let a4 = subgroupBroadcast(at0, 4u);
    c4_0 = fma(vec4f(a4[0]), b0_0, c4_0);
    c4_0 = fma(vec4f(a4[1]), b1_0, c4_0);
    c4_0 = fma(vec4f(a4[2]), b2_0, c4_0);
    c4_0 = fma(vec4f(a4[3]), b3_0, c4_0);
    let a5 = subgroupBroadcast(at0, 5u);
    c5_0 = fma(vec4f(a5[0]), b0_0, c5_0);
    c5_0 = fma(vec4f(a5[1]), b1_0, c5_0);
    c5_0 = fma(vec4f(a5[2]), b2_0, c5_0);
    c5_0 = fma(vec4f(a5[3]), b3_0, c5_0);
    let a6 = subgroupBroadcast(at0, 6u);
    c6_0 = fma(vec4f(a6[0]), b0_0, c6_0);
    c6_0 = fma(vec4f(a6[1]), b1_0, c6_0);
    c6_0 = fma(vec4f(a6[2]), b2_0, c6_0);
    c6_0 = fma(vec4f(a6[3]), b3_0, c6_0);
    let a7 = subgroupBroadcast(at0, 7u);
    c7_0 = fma(vec4f(a7[0]), b0_0, c7_0);
    c7_0 = fma(vec4f(a7[1]), b1_0, c7_0);
    c7_0 = fma(vec4f(a7[2]), b2_0, c7_0);
    c7_0 = fma(vec4f(a7[3]), b3_0, c7_0);
    let a8 = subgroupBroadcast(at0, 8u);
    c8_0 = fma(vec4f(a8[0]), b0_0, c8_0);
    c8_0 = fma(vec4f(a8[1]), b1_0, c8_0);
    c8_0 = fma(vec4f(a8[2]), b2_0, c8_0);
    c8_0 = fma(vec4f(a8[3]), b3_0, c8_0);
    let a9 = subgroupBroadcast(at0, 9u);
    c9_0 = fma(vec4f(a9[0]), b0_0, c9_0);
    c9_0 = fma(vec4f(a9[1]), b1_0, c9_0);
    c9_0 = fma(vec4f(a9[2]), b2_0, c9_0);
    c9_0 = fma(vec4f(a9[3]), b3_0, c9_0);
    let a10 = subgroupBroadcast(at0, 10u);
    c10_0 = fma(vec4f(a10[0]), b0_0, c10_0);
    c10_0 = fma(vec4f(a10[1]), b1_0, c10_0);
    c10_0 = fma(vec4f(a10[2]), b2_0, c10_0);
    c10_0 = fma(vec4f(a10[3]), b3_0, c10_0);
    let a11 = subgroupBroadcast(at0, 11u);
    c11_0 = fma(vec4f(a11[0]), b0_0, c11_0);
    c11_0 = fma(vec4f(a11[1]), b1_0, c11_0);
    c11_0 = fma(vec4f(a11[2]), b2_0, c11_0);
    c11_0 = fma(vec4f(a11[3]), b3_0, c11_0);
    let a12 = subgroupBroadcast(at0, 12u);
    c12_0 = fma(vec4f(a12[0]), b0_0, c12_0);
    c12_0 = fma(vec4f(a12[1]), b1_0, c12_0);
    c12_0 = fma(vec4f(a12[2]), b2_0, c12_0);
    c12_0 = fma(vec4f(a12[3]), b3_0, c12_0);
    let a13 = subgroupBroadcast(at0, 13u);
    c13_0 = fma(vec4f(a13[0]), b0_0, c13_0);
    c13_0 = fma(vec4f(a13[1]), b1_0, c13_0);
    c13_0 = fma(vec4f(a13[2]), b2_0, c13_0);
    c13_0 = fma(vec4f(a13[3]), b3_0, c13_0);
    let a14 = subgroupBroadcast(at0, 14u);
    c14_0 = fma(vec4f(a14[0]), b0_0, c14_0);
    c14_0 = fma(vec4f(a14[1]), b1_0, c14_0);
    c14_0 = fma(vec4f(a14[2]), b2_0, c14_0);
    c14_0 = fma(vec4f(a14[3]), b3_0, c14_0);
    let a15 = subgroupBroadcast(at0, 15u);
    c15_0 = fma(vec4f(a15[0]), b0_0, c15_0);
    c15_0 = fma(vec4f(a15[1]), b1_0, c15_0);
    c15_0 = fma(vec4f(a15[2]), b2_0, c15_0);
    c15_0 = fma(vec4f(a15[3]), b3_0, c15_0);
    let a16 = subgroupBroadcast(at1, 0u);
    c16_0 = fma(vec4f(a16[0]), b0_0, c16_0);
    c16_0 = fma(vec4f(a16[1]), b1_0, c16_0);
    c16_0 = fma(vec4f(a16[2]), b2_0, c16_0);
    c16_0 = fma(vec4f(a16[3]), b3_0, c16_0);
    let a17 = subgroupBroadcast(at1, 1u);
    c17_0 = fma(vec4f(a17[0]), b0_0, c17_0);
    c17_0 = fma(vec4f(a17[1]), b1_0, c17_0);
    c17_0 = fma(vec4f(a17[2]), b2_0, c17_0);
    c17_0 = fma(vec4f(a17[3]), b3_0, c17_0);
    let a18 = subgroupBroadcast(at1, 2u);
    c18_0 = fma(vec4f(a18[0]), b0_0, c18_0);
    c18_0 = fma(vec4f(a18[1]), b1_0, c18_0);
    c18_0 = fma(vec4f(a18[2]), b2_0, c18_0);
    c18_0 = fma(vec4f(a18[3]), b3_0, c18_0);
    let a19 = subgroupBroadcast(at1, 3u);
    c19_0 = fma(vec4f(a19[0]), b0_0, c19_0);
    c19_0 = fma(vec4f(a19[1]), b1_0, c19_0);
    c19_0 = fma(vec4f(a19[2]), b2_0, c19_0);
    c19_0 = fma(vec4f(a19[3]), b3_0, c19_0);
    let a20 = subgroupBroadcast(at1, 4u);
    c20_0 = fma(vec4f(a20[0]), b0_0, c20_0);
    c20_0 = fma(vec4f(a20[1]), b1_0, c20_0);
    c20_0 = fma(vec4f(a20[2]), b2_0, c20_0);
    c20_0 = fma(vec4f(a20[3]), b3_0, c20_0);
    let a21 = subgroupBroadcast(at1, 5u);
    c21_0 = fma(vec4f(a21[0]), b0_0, c21_0);
    c21_0 = fma(vec4f(a21[1]), b1_0, c21_0);
    c21_0 = fma(vec4f(a21[2]), b2_0, c21_0);
    c21_0 = fma(vec4f(a21[3]), b3_0, c21_0);
    let a22 = subgroupBroadcast(at1, 6u);
    c22_0 = fma(vec4f(a22[0]), b0_0, c22_0);
    c22_0 = fma(vec4f(a22[1]), b1_0, c22_0);
    c22_0 = fma(vec4f(a22[2]), b2_0, c22_0);
    c22_0 = fma(vec4f(a22[3]), b3_0, c22_0);
    let a23 = subgroupBroadcast(at1, 7u);
    c23_0 = fma(vec4f(a23[0]), b0_0, c23_0);
    c23_0 = fma(vec4f(a23[1]), b1_0, c23_0);
    c23_0 = fma(vec4f(a23[2]), b2_0, c23_0);
    c23_0 = fma(vec4f(a23[3]), b3_0, c23_0);
    let a24 = subgroupBroadcast(at1, 8u);
    c24_0 = fma(vec4f(a24[0]), b0_0, c24_0);
    c24_0 = fma(vec4f(a24[1]), b1_0, c24_0);
    c24_0 = fma(vec4f(a24[2]), b2_0, c24_0);
    c24_0 = fma(vec4f(a24[3]), b3_0, c24_0);
    let a25 = subgroupBroadcast(at1, 9u);
    c25_0 = fma(vec4f(a25[0]), b0_0, c25_0);
    c25_0 = fma(vec4f(a25[1]), b1_0, c25_0);
    c25_0 = fma(vec4f(a25[2]), b2_0, c25_0);
    c25_0 = fma(vec4f(a25[3]), b3_0, c25_0);
    let a26 = subgroupBroadcast(at1, 10u);
    c26_0 = fma(vec4f(a26[0]), b0_0, c26_0);
    c26_0 = fma(vec4f(a26[1]), b1_0, c26_0);
    c26_0 = fma(vec4f(a26[2]), b2_0, c26_0);
    c26_0 = fma(vec4f(a26[3]), b3_0, c26_0);
    let a27 = subgroupBroadcast(at1, 11u);
    c27_0 = fma(vec4f(a27[0]), b0_0, c27_0);
    c27_0 = fma(vec4f(a27[1]), b1_0, c27_0);
    c27_0 = fma(vec4f(a27[2]), b2_0, c27_0);
    c27_0 = fma(vec4f(a27[3]), b3_0, c27_0);
    let a28 = subgroupBroadcast(at1, 12u);
    c28_0 = fma(vec4f(a28[0]), b0_0, c28_0);
    c28_0 = fma(vec4f(a28[1]), b1_0, c28_0);
    c28_0 = fma(vec4f(a28[2]), b2_0, c28_0);
    c28_0 = fma(vec4f(a28[3]), b3_0, c28_0);
    let a29 = subgroupBroadcast(at1, 13u);
    c29_0 = fma(vec4f(a29[0]), b0_0, c29_0);
    c29_0 = fma(vec4f(a29[1]), b1_0, c29_0);
    c29_0 = fma(vec4f(a29[2]), b2_0, c29_0);
    c29_0 = fma(vec4f(a29[3]), b3_0, c29_0);
    let a30 = subgroupBroadcast(at1, 14u);
    c30_0 = fma(vec4f(a30[0]), b0_0, c30_0);
    c30_0 = fma(vec4f(a30[1]), b1_0, c30_0);
    c30_0 = fma(vec4f(a30[2]), b2_0, c30_0);
    c30_0 = fma(vec4f(a30[3]), b3_0, c30_0);
    let a31 = subgroupBroadcast(at1, 15u);
    c31_0 = fma(vec4f(a31[0]), b0_0, c31_0);
    c31_0 = fma(vec4f(a31[1]), b1_0, c31_0);
    c31_0 = fma(vec4f(a31[2]), b2_0, c31_0);
    c31_0 = fma(vec4f(a31[3]), b3_0, c31_0);
  }
  let cb = c_base(z);
  let rb = r_base(z);
  let col0 = cg0 * 4u + 0u;
  let bias0 = col_bias(col0);
  let scale0 = col_scale(col0);
  let ok0 = col0 < p.N;
  let col1 = cg0 * 4u + 1u;
  let bias1 = col_bias(col1);
  let scale1 = col_scale(col1);
  let ok1 = col1 < p.N;
  let col2 = cg0 * 4u + 2u;
  let bias2 = col_bias(col2);
  let scale2 = col_scale(col2);
  let ok2 = col2 < p.N;
  let col3 = cg0 * 4u + 3u;
  let bias3 = col_bias(col3);
  let scale3 = col_scale(col3);
  let ok3 = col3 < p.N;
  if (m0 + 0u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 0u, col0, finish(c0_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 0u, col1, finish(c0_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 0u, col2, finish(c0_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 0u, col3, finish(c0_0[3], bias3, scale3)); }
  if (m0 + 1u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 1u, col0, finish(c1_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 1u, col1, finish(c1_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 1u, col2, finish(c1_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 1u, col3, finish(c1_0[3], bias3, scale3)); }
  if (m0 + 2u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 2u, col0, finish(c2_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 2u, col1, finish(c2_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 2u, col2, finish(c2_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 2u, col3, finish(c2_0[3], bias3, scale3)); }
  if (m0 + 3u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 3u, col0, finish(c3_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 3u, col1, finish(c3_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 3u, col2, finish(c3_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 3u, col3, finish(c3_0[3], bias3, scale3)); }
  if (m0 + 4u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 4u, col0, finish(c4_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 4u, col1, finish(c4_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 4u, col2, finish(c4_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 4u, col3, finish(c4_0[3], bias3, scale3)); }
  if (m0 + 5u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 5u, col0, finish(c5_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 5u, col1, finish(c5_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 5u, col2, finish(c5_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 5u, col3, finish(c5_0[3], bias3, scale3)); }
  if (m0 + 6u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 6u, col0, finish(c6_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 6u, col1, finish(c6_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 6u, col2, finish(c6_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 6u, col3, finish(c6_0[3], bias3, scale3)); }
  if (m0 + 7u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 7u, col0, finish(c7_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 7u, col1, finish(c7_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 7u, col2, finish(c7_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 7u, col3, finish(c7_0[3], bias3, scale3)); }
  if (m0 + 8u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 8u, col0, finish(c8_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 8u, col1, finish(c8_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 8u, col2, finish(c8_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 8u, col3, finish(c8_0[3], bias3, scale3)); }
  if (m0 + 9u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 9u, col0, finish(c9_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 9u, col1, finish(c9_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 9u, col2, finish(c9_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 9u, col3, finish(c9_0[3], bias3, scale3)); }
  if (m0 + 10u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 10u, col0, finish(c10_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 10u, col1, finish(c10_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 10u, col2, finish(c10_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 10u, col3, finish(c10_0[3], bias3, scale3)); }
  if (m0 + 11u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 11u, col0, finish(c11_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 11u, col1, finish(c11_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 11u, col2, finish(c11_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 11u, col3, finish(c11_0[3], bias3, scale3)); }
  if (m0 + 12u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 12u, col0, finish(c12_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 12u, col1, finish(c12_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 12u, col2, finish(c12_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 12u, col3, finish(c12_0[3], bias3, scale3)); }
  if (m0 + 13u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 13u, col0, finish(c13_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 13u, col1, finish(c13_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 13u, col2, finish(c13_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 13u, col3, finish(c13_0[3], bias3, scale3)); }
  if (m0 + 14u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 14u, col0, finish(c14_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 14u, col1, finish(c14_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 14u, col2, finish(c14_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 14u, col3, finish(c14_0[3], bias3, scale3)); }
  if (m0 + 15u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 15u, col0, finish(c15_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 15u, col1, finish(c15_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 15u, col2, finish(c15_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 15u, col3, finish(c15_0[3], bias3, scale3)); }
  if (m0 + 16u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 16u, col0, finish(c16_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 16u, col1, finish(c16_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 16u, col2, finish(c16_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 16u, col3, finish(c16_0[3], bias3, scale3)); }
  if (m0 + 17u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 17u, col0, finish(c17_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 17u, col1, finish(c17_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 17u, col2, finish(c17_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 17u, col3, finish(c17_0[3], bias3, scale3)); }
  if (m0 + 18u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 18u, col0, finish(c18_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 18u, col1, finish(c18_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 18u, col2, finish(c18_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 18u, col3, finish(c18_0[3], bias3, scale3)); }
  if (m0 + 19u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 19u, col0, finish(c19_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 19u, col1, finish(c19_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 19u, col2, finish(c19_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 19u, col3, finish(c19_0[3], bias3, scale3)); }
  if (m0 + 20u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 20u, col0, finish(c20_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 20u, col1, finish(c20_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 20u, col2, finish(c20_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 20u, col3, finish(c20_0[3], bias3, scale3)); }
  if (m0 + 21u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 21u, col0, finish(c21_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 21u, col1, finish(c21_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 21u, col2, finish(c21_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 21u, col3, finish(c21_0[3], bias3, scale3)); }
  if (m0 + 22u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 22u, col0, finish(c22_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 22u, col1, finish(c22_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 22u, col2, finish(c22_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 22u, col3, finish(c22_0[3], bias3, scale3)); }
  if (m0 + 23u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 23u, col0, finish(c23_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 23u, col1, finish(c23_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 23u, col2, finish(c23_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 23u, col3, finish(c23_0[3], bias3, scale3)); }
  if (m0 + 24u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 24u, col0, finish(c24_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 24u, col1, finish(c24_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 24u, col2, finish(c24_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 24u, col3, finish(c24_0[3], bias3, scale3)); }
  if (m0 + 25u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 25u, col0, finish(c25_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 25u, col1, finish(c25_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 25u, col2, finish(c25_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 25u, col3, finish(c25_0[3], bias3, scale3)); }
  if (m0 + 26u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 26u, col0, finish(c26_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 26u, col1, finish(c26_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 26u, col2, finish(c26_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 26u, col3, finish(c26_0[3], bias3, scale3)); }
  if (m0 + 27u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 27u, col0, finish(c27_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 27u, col1, finish(c27_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 27u, col2, finish(c27_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 27u, col3, finish(c27_0[3], bias3, scale3)); }
  if (m0 + 28u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 28u, col0, finish(c28_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 28u, col1, finish(c28_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 28u, col2, finish(c28_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 28u, col3, finish(c28_0[3], bias3, scale3)); }
  if (m0 + 29u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 29u, col0, finish(c29_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 29u, col1, finish(c29_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 29u, col2, finish(c29_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 29u, col3, finish(c29_0[3], bias3, scale3)); }
  if (m0 + 30u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 30u, col0, finish(c30_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 30u, col1, finish(c30_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 30u, col2, finish(c30_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 30u, col3, finish(c30_0[3], bias3, scale3)); }
  if (m0 + 31u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 31u, col0, finish(c31_0[0], bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 31u, col1, finish(c31_0[1], bias1, scale1)); }
  if (ok2) { put(cb, rb, m0 + 31u, col2, finish(c31_0[2], bias2, scale2)); }
  if (ok3) { put(cb, rb, m0 + 31u, col3, finish(c31_0[3], bias3, scale3)); }
}
