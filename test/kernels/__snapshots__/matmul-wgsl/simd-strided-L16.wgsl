// tile 16 x 32
enable subgroups;
// vitlens kernel: matmul_simd [strided-L16-16x2]
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
@group(0) @binding(1) var<storage, read> B: array<f32>;
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
  let m0 = wid.y * 16u;
  let ab = a_base(z);
  let bb = b_base(z);
  let K4 = (p.K + 3u) / 4u;
  let kLast = max(p.K, 1u) - 1u;
  let ar0 = ab + min(m0 + 0u + lane, p.M - 1u) * p.aRs;
  let n0 = wid.x * 32u + li + 0u;
  let n1 = wid.x * 32u + li + 16u;
  let bc0 = bb + min(n0, p.N - 1u) * p.bCs;
  let bc1 = bb + min(n1, p.N - 1u) * p.bCs;
  var c0_0 = f32(0.0);
  var c0_1 = f32(0.0);
  var c1_0 = f32(0.0);
  var c1_1 = f32(0.0);
  var c2_0 = f32(0.0);
  var c2_1 = f32(0.0);
  var c3_0 = f32(0.0);
  var c3_1 = f32(0.0);
  var c4_0 = f32(0.0);
  var c4_1 = f32(0.0);
  var c5_0 = f32(0.0);
  var c5_1 = f32(0.0);
  var c6_0 = f32(0.0);
  var c6_1 = f32(0.0);
  var c7_0 = f32(0.0);
  var c7_1 = f32(0.0);
  var c8_0 = f32(0.0);
  var c8_1 = f32(0.0);
  var c9_0 = f32(0.0);
  var c9_1 = f32(0.0);
  var c10_0 = f32(0.0);
  var c10_1 = f32(0.0);
  var c11_0 = f32(0.0);
  var c11_1 = f32(0.0);
  var c12_0 = f32(0.0);
  var c12_1 = f32(0.0);
  var c13_0 = f32(0.0);
  var c13_1 = f32(0.0);
  var c14_0 = f32(0.0);
  var c14_1 = f32(0.0);
  var c15_0 = f32(0.0);
  var c15_1 = f32(0.0);
  for (var k4 = 0u; k4 < K4; k4++) {
    let kb = k4 * 4u;
    let kc0 = min(kb + 0u, kLast) * p.aCs;
    let kc1 = min(kb + 1u, kLast) * p.aCs;
    let kc2 = min(kb + 2u, kLast) * p.aCs;
    let kc3 = min(kb + 3u, kLast) * p.aCs;
    let at0 = vec4f(select(0.0, A[ar0 + kc0], kb + 0u < p.K), select(0.0, A[ar0 + kc1], kb + 1u < p.K), select(0.0, A[ar0 + kc2], kb + 2u < p.K), select(0.0, A[ar0 + kc3], kb + 3u < p.K));
    let br0 = min(kb + 0u, kLast) * p.bRs;
    let b0_0 = B[br0 + bc0];
    let b0_1 = B[br0 + bc1];
    let br1 = min(kb + 1u, kLast) * p.bRs;
    let b1_0 = B[br1 + bc0];
    let b1_1 = B[br1 + bc1];
    let br2 = min(kb + 2u, kLast) * p.bRs;
    let b2_0 = B[br2 + bc0];
    let b2_1 = B[br2 + bc1];
    let br3 = min(kb + 3u, kLast) * p.bRs;
    let b3_0 = B[br3 + bc0];
    let b3_1 = B[br3 + bc1];
    let a0 = subgroupBroadcast(at0, 0u);
    c0_0 = fma(a0[0], b0_0, c0_0);
    c0_0 = fma(a0[1], b1_0, c0_0);
    c0_0 = fma(a0[2], b2_0, c0_0);
    c0_0 = fma(a0[3], b3_0, c0_0);
    c0_1 = fma(a0[0], b0_1, c0_1);
    c0_1 = fma(a0[1], b1_1, c0_1);
    c0_1 = fma(a0[2], b2_1, c0_1);
    c0_1 = fma(a0[3], b3_1, c0_1);
    let a1 = subgroupBroadcast(at0, 1u);
    c1_0 = fma(a1[0], b0_0, c1_0);
    c1_0 = fma(a1[1], b1_0, c1_0);
    c1_0 = fma(a1[2], b2_0, c1_0);
    c1_0 = fma(a1[3], b3_0, c1_0);
    c1_1 = fma(a1[0], b0_1, c1_1);
    c1_1 = fma(a1[1], b1_1, c1_1);
    c1_1 = fma(a1[2], b2_1, c1_1);
    c1_1 = fma(a1[3], b3_1, c1_1);
    let a2 = subgroupBroadcast(at0, 2u);
    c2_0 = fma(a2[0], b0_0, c2_0);
    c2_0 = fma(a2[1], b1_0, c2_0);
    c2_0 = fma(a2[2], b2_0, c2_0);
    c2_0 = fma(a2[3], b3_0, c2_0);
    c2_1 = fma(a2[0], b0_1, c2_1);
    c2_1 = fma(a2[1], b1_1, c2_1);
    c2_1 = fma(a2[2], b2_1, c2_1);
    c2_1 = fma(a2[3], b3_1, c2_1);
    let a3 = subgroupBroadcast(at0, 3u);
    c3_0 = fma(a3[0], b0_0, c3_0);
    c3_0 = fma(a3[1], b1_0, c3_0);
    c3_0 = fma(a3[2], b2_0, c3_0);
    c3_0 = fma(a3[3], b3_0, c3_0);
    c3_1 = fma(a3[0], b0_1, c3_1);
    c3_1 = fma(a3[1], b1_1, c3_1);
    c3_1 = fma(a3[2], b2_1, c3_1);
    c3_1 = fma(a3[3], b3_1, c3_1);
    let a4 = subgroupBroadcast(at0, 4u);
    c4_0 = fma(a4[0], b0_0, c4_0);
    c4_0 = fma(a4[1], b1_0, c4_0);
    c4_0 = fma(a4[2], b2_0, c4_0);
    c4_0 = fma(a4[3], b3_0, c4_0);
    c4_1 = fma(a4[0], b0_1, c4_1);
    c4_1 = fma(a4[1], b1_1, c4_1);
    c4_1 = fma(a4[2], b2_1, c4_1);
    c4_1 = fma(a4[3], b3_1, c4_1);
    let a5 = subgroupBroadcast(at0, 5u);
    c5_0 = fma(a5[0], b0_0, c5_0);
    c5_0 = fma(a5[1], b1_0, c5_0);
    c5_0 = fma(a5[2], b2_0, c5_0);
    c5_0 = fma(a5[3], b3_0, c5_0);
    c5_1 = fma(a5[0], b0_1, c5_1);
    c5_1 = fma(a5[1], b1_1, c5_1);
    c5_1 = fma(a5[2], b2_1, c5_1);
    c5_1 = fma(a5[3], b3_1, c5_1);
    let a6 = subgroupBroadcast(at0, 6u);
    c6_0 = fma(a6[0], b0_0, c6_0);
    c6_0 = fma(a6[1], b1_0, c6_0);
    c6_0 = fma(a6[2], b2_0, c6_0);
    c6_0 = fma(a6[3], b3_0, c6_0);
    c6_1 = fma(a6[0], b0_1, c6_1);
    c6_1 = fma(a6[1], b1_1, c6_1);
    c6_1 = fma(a6[2], b2_1, c6_1);
    c6_1 = fma(a6[3], b3_1, c6_1);
    let a7 = subgroupBroadcast(at0, 7u);
    c7_0 = fma(a7[0], b0_0, c7_0);
    c7_0 = fma(a7[1], b1_0, c7_0);
    c7_0 = fma(a7[2], b2_0, c7_0);
    c7_0 = fma(a7[3], b3_0, c7_0);
    c7_1 = fma(a7[0], b0_1, c7_1);
    c7_1 = fma(a7[1], b1_1, c7_1);
    c7_1 = fma(a7[2], b2_1, c7_1);
    c7_1 = fma(a7[3], b3_1, c7_1);
    let a8 = subgroupBroadcast(at0, 8u);
    c8_0 = fma(a8[0], b0_0, c8_0);
    c8_0 = fma(a8[1], b1_0, c8_0);
    c8_0 = fma(a8[2], b2_0, c8_0);
    c8_0 = fma(a8[3], b3_0, c8_0);
    c8_1 = fma(a8[0], b0_1, c8_1);
    c8_1 = fma(a8[1], b1_1, c8_1);
    c8_1 = fma(a8[2], b2_1, c8_1);
    c8_1 = fma(a8[3], b3_1, c8_1);
    let a9 = subgroupBroadcast(at0, 9u);
    c9_0 = fma(a9[0], b0_0, c9_0);
    c9_0 = fma(a9[1], b1_0, c9_0);
    c9_0 = fma(a9[2], b2_0, c9_0);
    c9_0 = fma(a9[3], b3_0, c9_0);
    c9_1 = fma(a9[0], b0_1, c9_1);
    c9_1 = fma(a9[1], b1_1, c9_1);
    c9_1 = fma(a9[2], b2_1, c9_1);
    c9_1 = fma(a9[3], b3_1, c9_1);
    let a10 = subgroupBroadcast(at0, 10u);
    c10_0 = fma(a10[0], b0_0, c10_0);
    c10_0 = fma(a10[1], b1_0, c10_0);
    c10_0 = fma(a10[2], b2_0, c10_0);
    c10_0 = fma(a10[3], b3_0, c10_0);
    c10_1 = fma(a10[0], b0_1, c10_1);
    c10_1 = fma(a10[1], b1_1, c10_1);
    c10_1 = fma(a10[2], b2_1, c10_1);
    c10_1 = fma(a10[3], b3_1, c10_1);
    let a11 = subgroupBroadcast(at0, 11u);
    c11_0 = fma(a11[0], b0_0, c11_0);
    c11_0 = fma(a11[1], b1_0, c11_0);
    c11_0 = fma(a11[2], b2_0, c11_0);
    c11_0 = fma(a11[3], b3_0, c11_0);
    c11_1 = fma(a11[0], b0_1, c11_1);
    c11_1 = fma(a11[1], b1_1, c11_1);
    c11_1 = fma(a11[2], b2_1, c11_1);
    c11_1 = fma(a11[3], b3_1, c11_1);
    let a12 = subgroupBroadcast(at0, 12u);
    c12_0 = fma(a12[0], b0_0, c12_0);
    c12_0 = fma(a12[1], b1_0, c12_0);
    c12_0 = fma(a12[2], b2_0, c12_0);
    c12_0 = fma(a12[3], b3_0, c12_0);
    c12_1 = fma(a12[0], b0_1, c12_1);
    c12_1 = fma(a12[1], b1_1, c12_1);
    c12_1 = fma(a12[2], b2_1, c12_1);
    c12_1 = fma(a12[3], b3_1, c12_1);
    let a13 = subgroupBroadcast(at0, 13u);
    c13_0 = fma(a13[0], b0_0, c13_0);
    c13_0 = fma(a13[1], b1_0, c13_0);
    c13_0 = fma(a13[2], b2_0, c13_0);
    c13_0 = fma(a13[3], b3_0, c13_0);
    c13_1 = fma(a13[0], b0_1, c13_1);
    c13_1 = fma(a13[1], b1_1, c13_1);
    c13_1 = fma(a13[2], b2_1, c13_1);
    c13_1 = fma(a13[3], b3_1, c13_1);
    let a14 = subgroupBroadcast(at0, 14u);
    c14_0 = fma(a14[0], b0_0, c14_0);
    c14_0 = fma(a14[1], b1_0, c14_0);
    c14_0 = fma(a14[2], b2_0, c14_0);
    c14_0 = fma(a14[3], b3_0, c14_0);
    c14_1 = fma(a14[0], b0_1, c14_1);
    c14_1 = fma(a14[1], b1_1, c14_1);
    c14_1 = fma(a14[2], b2_1, c14_1);
    c14_1 = fma(a14[3], b3_1, c14_1);
    let a15 = subgroupBroadcast(at0, 15u);
    c15_0 = fma(a15[0], b0_0, c15_0);
    c15_0 = fma(a15[1], b1_0, c15_0);
    c15_0 = fma(a15[2], b2_0, c15_0);
    c15_0 = fma(a15[3], b3_0, c15_0);
    c15_1 = fma(a15[0], b0_1, c15_1);
    c15_1 = fma(a15[1], b1_1, c15_1);
    c15_1 = fma(a15[2], b2_1, c15_1);
    c15_1 = fma(a15[3], b3_1, c15_1);
  }
  let cb = c_base(z);
  let rb = r_base(z);
  let col0 = n0;
  let bias0 = col_bias(col0);
  let scale0 = col_scale(col0);
  let ok0 = col0 < p.N;
  let col1 = n1;
  let bias1 = col_bias(col1);
  let scale1 = col_scale(col1);
  let ok1 = col1 < p.N;
  if (m0 + 0u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 0u, col0, finish(c0_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 0u, col1, finish(c0_1, bias1, scale1)); }
  if (m0 + 1u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 1u, col0, finish(c1_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 1u, col1, finish(c1_1, bias1, scale1)); }
  if (m0 + 2u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 2u, col0, finish(c2_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 2u, col1, finish(c2_1, bias1, scale1)); }
  if (m0 + 3u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 3u, col0, finish(c3_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 3u, col1, finish(c3_1, bias1, scale1)); }
  if (m0 + 4u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 4u, col0, finish(c4_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 4u, col1, finish(c4_1, bias1, scale1)); }
  if (m0 + 5u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 5u, col0, finish(c5_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 5u, col1, finish(c5_1, bias1, scale1)); }
  if (m0 + 6u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 6u, col0, finish(c6_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 6u, col1, finish(c6_1, bias1, scale1)); }
  if (m0 + 7u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 7u, col0, finish(c7_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 7u, col1, finish(c7_1, bias1, scale1)); }
  if (m0 + 8u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 8u, col0, finish(c8_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 8u, col1, finish(c8_1, bias1, scale1)); }
  if (m0 + 9u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 9u, col0, finish(c9_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 9u, col1, finish(c9_1, bias1, scale1)); }
  if (m0 + 10u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 10u, col0, finish(c10_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 10u, col1, finish(c10_1, bias1, scale1)); }
  if (m0 + 11u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 11u, col0, finish(c11_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 11u, col1, finish(c11_1, bias1, scale1)); }
  if (m0 + 12u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 12u, col0, finish(c12_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 12u, col1, finish(c12_1, bias1, scale1)); }
  if (m0 + 13u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 13u, col0, finish(c13_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 13u, col1, finish(c13_1, bias1, scale1)); }
  if (m0 + 14u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 14u, col0, finish(c14_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 14u, col1, finish(c14_1, bias1, scale1)); }
  if (m0 + 15u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 15u, col0, finish(c15_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 15u, col1, finish(c15_1, bias1, scale1)); }
}
