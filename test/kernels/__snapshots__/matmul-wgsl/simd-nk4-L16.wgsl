// tile 32 x 32
enable subgroups;
// vitlens kernel: matmul_simd [nk4-L16-32x2]
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
  let n0 = wid.x * 32u + li + 0u;
  let n1 = wid.x * 32u + li + 16u;
  let bc0 = (bb + min(n0, p.N - 1u) * p.bCs) / 4u;
  let bc1 = (bb + min(n1, p.N - 1u) * p.bCs) / 4u;
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
  var c16_0 = f32(0.0);
  var c16_1 = f32(0.0);
  var c17_0 = f32(0.0);
  var c17_1 = f32(0.0);
  var c18_0 = f32(0.0);
  var c18_1 = f32(0.0);
  var c19_0 = f32(0.0);
  var c19_1 = f32(0.0);
  var c20_0 = f32(0.0);
  var c20_1 = f32(0.0);
  var c21_0 = f32(0.0);
  var c21_1 = f32(0.0);
  var c22_0 = f32(0.0);
  var c22_1 = f32(0.0);
  var c23_0 = f32(0.0);
  var c23_1 = f32(0.0);
  var c24_0 = f32(0.0);
  var c24_1 = f32(0.0);
  var c25_0 = f32(0.0);
  var c25_1 = f32(0.0);
  var c26_0 = f32(0.0);
  var c26_1 = f32(0.0);
  var c27_0 = f32(0.0);
  var c27_1 = f32(0.0);
  var c28_0 = f32(0.0);
  var c28_1 = f32(0.0);
  var c29_0 = f32(0.0);
  var c29_1 = f32(0.0);
  var c30_0 = f32(0.0);
  var c30_1 = f32(0.0);
  var c31_0 = f32(0.0);
  var c31_1 = f32(0.0);
  for (var k4 = 0u; k4 < K4; k4++) {
    let kb = k4 * 4u;
    let kc0 = min(kb + 0u, kLast) * p.aCs;
    let kc1 = min(kb + 1u, kLast) * p.aCs;
    let kc2 = min(kb + 2u, kLast) * p.aCs;
    let kc3 = min(kb + 3u, kLast) * p.aCs;
    let at0 = vec4f(A[ar0 + kc0], A[ar0 + kc1], A[ar0 + kc2], A[ar0 + kc3]);
    let at1 = vec4f(A[ar1 + kc0], A[ar1 + kc1], A[ar1 + kc2], A[ar1 + kc3]);
    let b0 = B[bc0 + k4];
    let b1 = B[bc1 + k4];
    let a0 = subgroupBroadcast(at0, 0u);
    c0_0 = fma(a0.w, b0.w, fma(a0.z, b0.z, fma(a0.y, b0.y, fma(a0.x, b0.x, c0_0))));
    c0_1 = fma(a0.w, b1.w, fma(a0.z, b1.z, fma(a0.y, b1.y, fma(a0.x, b1.x, c0_1))));
    let a1 = subgroupBroadcast(at0, 1u);
    c1_0 = fma(a1.w, b0.w, fma(a1.z, b0.z, fma(a1.y, b0.y, fma(a1.x, b0.x, c1_0))));
    c1_1 = fma(a1.w, b1.w, fma(a1.z, b1.z, fma(a1.y, b1.y, fma(a1.x, b1.x, c1_1))));
    let a2 = subgroupBroadcast(at0, 2u);
    c2_0 = fma(a2.w, b0.w, fma(a2.z, b0.z, fma(a2.y, b0.y, fma(a2.x, b0.x, c2_0))));
    c2_1 = fma(a2.w, b1.w, fma(a2.z, b1.z, fma(a2.y, b1.y, fma(a2.x, b1.x, c2_1))));
    let a3 = subgroupBroadcast(at0, 3u);
    c3_0 = fma(a3.w, b0.w, fma(a3.z, b0.z, fma(a3.y, b0.y, fma(a3.x, b0.x, c3_0))));
    c3_1 = fma(a3.w, b1.w, fma(a3.z, b1.z, fma(a3.y, b1.y, fma(a3.x, b1.x, c3_1))));
    let a4 = subgroupBroadcast(at0, 4u);
    c4_0 = fma(a4.w, b0.w, fma(a4.z, b0.z, fma(a4.y, b0.y, fma(a4.x, b0.x, c4_0))));
    c4_1 = fma(a4.w, b1.w, fma(a4.z, b1.z, fma(a4.y, b1.y, fma(a4.x, b1.x, c4_1))));
    let a5 = subgroupBroadcast(at0, 5u);
    c5_0 = fma(a5.w, b0.w, fma(a5.z, b0.z, fma(a5.y, b0.y, fma(a5.x, b0.x, c5_0))));
    c5_1 = fma(a5.w, b1.w, fma(a5.z, b1.z, fma(a5.y, b1.y, fma(a5.x, b1.x, c5_1))));
    let a6 = subgroupBroadcast(at0, 6u);
    c6_0 = fma(a6.w, b0.w, fma(a6.z, b0.z, fma(a6.y, b0.y, fma(a6.x, b0.x, c6_0))));
    c6_1 = fma(a6.w, b1.w, fma(a6.z, b1.z, fma(a6.y, b1.y, fma(a6.x, b1.x, c6_1))));
    let a7 = subgroupBroadcast(at0, 7u);
    c7_0 = fma(a7.w, b0.w, fma(a7.z, b0.z, fma(a7.y, b0.y, fma(a7.x, b0.x, c7_0))));
    c7_1 = fma(a7.w, b1.w, fma(a7.z, b1.z, fma(a7.y, b1.y, fma(a7.x, b1.x, c7_1))));
    let a8 = subgroupBroadcast(at0, 8u);
    c8_0 = fma(a8.w, b0.w, fma(a8.z, b0.z, fma(a8.y, b0.y, fma(a8.x, b0.x, c8_0))));
    c8_1 = fma(a8.w, b1.w, fma(a8.z, b1.z, fma(a8.y, b1.y, fma(a8.x, b1.x, c8_1))));
    let a9 = subgroupBroadcast(at0, 9u);
    c9_0 = fma(a9.w, b0.w, fma(a9.z, b0.z, fma(a9.y, b0.y, fma(a9.x, b0.x, c9_0))));
    c9_1 = fma(a9.w, b1.w, fma(a9.z, b1.z, fma(a9.y, b1.y, fma(a9.x, b1.x, c9_1))));
    let a10 = subgroupBroadcast(at0, 10u);
    c10_0 = fma(a10.w, b0.w, fma(a10.z, b0.z, fma(a10.y, b0.y, fma(a10.x, b0.x, c10_0))));
    c10_1 = fma(a10.w, b1.w, fma(a10.z, b1.z, fma(a10.y, b1.y, fma(a10.x, b1.x, c10_1))));
    let a11 = subgroupBroadcast(at0, 11u);
    c11_0 = fma(a11.w, b0.w, fma(a11.z, b0.z, fma(a11.y, b0.y, fma(a11.x, b0.x, c11_0))));
    c11_1 = fma(a11.w, b1.w, fma(a11.z, b1.z, fma(a11.y, b1.y, fma(a11.x, b1.x, c11_1))));
    let a12 = subgroupBroadcast(at0, 12u);
    c12_0 = fma(a12.w, b0.w, fma(a12.z, b0.z, fma(a12.y, b0.y, fma(a12.x, b0.x, c12_0))));
    c12_1 = fma(a12.w, b1.w, fma(a12.z, b1.z, fma(a12.y, b1.y, fma(a12.x, b1.x, c12_1))));
    let a13 = subgroupBroadcast(at0, 13u);
    c13_0 = fma(a13.w, b0.w, fma(a13.z, b0.z, fma(a13.y, b0.y, fma(a13.x, b0.x, c13_0))));
    c13_1 = fma(a13.w, b1.w, fma(a13.z, b1.z, fma(a13.y, b1.y, fma(a13.x, b1.x, c13_1))));
    let a14 = subgroupBroadcast(at0, 14u);
    c14_0 = fma(a14.w, b0.w, fma(a14.z, b0.z, fma(a14.y, b0.y, fma(a14.x, b0.x, c14_0))));
    c14_1 = fma(a14.w, b1.w, fma(a14.z, b1.z, fma(a14.y, b1.y, fma(a14.x, b1.x, c14_1))));
    let a15 = subgroupBroadcast(at0, 15u);
    c15_0 = fma(a15.w, b0.w, fma(a15.z, b0.z, fma(a15.y, b0.y, fma(a15.x, b0.x, c15_0))));
    c15_1 = fma(a15.w, b1.w, fma(a15.z, b1.z, fma(a15.y, b1.y, fma(a15.x, b1.x, c15_1))));
    let a16 = subgroupBroadcast(at1, 0u);
    c16_0 = fma(a16.w, b0.w, fma(a16.z, b0.z, fma(a16.y, b0.y, fma(a16.x, b0.x, c16_0))));
    c16_1 = fma(a16.w, b1.w, fma(a16.z, b1.z, fma(a16.y, b1.y, fma(a16.x, b1.x, c16_1))));
    let a17 = subgroupBroadcast(at1, 1u);
    c17_0 = fma(a17.w, b0.w, fma(a17.z, b0.z, fma(a17.y, b0.y, fma(a17.x, b0.x, c17_0))));
    c17_1 = fma(a17.w, b1.w, fma(a17.z, b1.z, fma(a17.y, b1.y, fma(a17.x, b1.x, c17_1))));
    let a18 = subgroupBroadcast(at1, 2u);
    c18_0 = fma(a18.w, b0.w, fma(a18.z, b0.z, fma(a18.y, b0.y, fma(a18.x, b0.x, c18_0))));
    c18_1 = fma(a18.w, b1.w, fma(a18.z, b1.z, fma(a18.y, b1.y, fma(a18.x, b1.x, c18_1))));
    let a19 = subgroupBroadcast(at1, 3u);
    c19_0 = fma(a19.w, b0.w, fma(a19.z, b0.z, fma(a19.y, b0.y, fma(a19.x, b0.x, c19_0))));
    c19_1 = fma(a19.w, b1.w, fma(a19.z, b1.z, fma(a19.y, b1.y, fma(a19.x, b1.x, c19_1))));
    let a20 = subgroupBroadcast(at1, 4u);
    c20_0 = fma(a20.w, b0.w, fma(a20.z, b0.z, fma(a20.y, b0.y, fma(a20.x, b0.x, c20_0))));
    c20_1 = fma(a20.w, b1.w, fma(a20.z, b1.z, fma(a20.y, b1.y, fma(a20.x, b1.x, c20_1))));
    let a21 = subgroupBroadcast(at1, 5u);
    c21_0 = fma(a21.w, b0.w, fma(a21.z, b0.z, fma(a21.y, b0.y, fma(a21.x, b0.x, c21_0))));
    c21_1 = fma(a21.w, b1.w, fma(a21.z, b1.z, fma(a21.y, b1.y, fma(a21.x, b1.x, c21_1))));
    let a22 = subgroupBroadcast(at1, 6u);
    c22_0 = fma(a22.w, b0.w, fma(a22.z, b0.z, fma(a22.y, b0.y, fma(a22.x, b0.x, c22_0))));
    c22_1 = fma(a22.w, b1.w, fma(a22.z, b1.z, fma(a22.y, b1.y, fma(a22.x, b1.x, c22_1))));
    let a23 = subgroupBroadcast(at1, 7u);
    c23_0 = fma(a23.w, b0.w, fma(a23.z, b0.z, fma(a23.y, b0.y, fma(a23.x, b0.x, c23_0))));
    c23_1 = fma(a23.w, b1.w, fma(a23.z, b1.z, fma(a23.y, b1.y, fma(a23.x, b1.x, c23_1))));
    let a24 = subgroupBroadcast(at1, 8u);
    c24_0 = fma(a24.w, b0.w, fma(a24.z, b0.z, fma(a24.y, b0.y, fma(a24.x, b0.x, c24_0))));
    c24_1 = fma(a24.w, b1.w, fma(a24.z, b1.z, fma(a24.y, b1.y, fma(a24.x, b1.x, c24_1))));
    let a25 = subgroupBroadcast(at1, 9u);
    c25_0 = fma(a25.w, b0.w, fma(a25.z, b0.z, fma(a25.y, b0.y, fma(a25.x, b0.x, c25_0))));
    c25_1 = fma(a25.w, b1.w, fma(a25.z, b1.z, fma(a25.y, b1.y, fma(a25.x, b1.x, c25_1))));
    let a26 = subgroupBroadcast(at1, 10u);
    c26_0 = fma(a26.w, b0.w, fma(a26.z, b0.z, fma(a26.y, b0.y, fma(a26.x, b0.x, c26_0))));
    c26_1 = fma(a26.w, b1.w, fma(a26.z, b1.z, fma(a26.y, b1.y, fma(a26.x, b1.x, c26_1))));
    let a27 = subgroupBroadcast(at1, 11u);
    c27_0 = fma(a27.w, b0.w, fma(a27.z, b0.z, fma(a27.y, b0.y, fma(a27.x, b0.x, c27_0))));
    c27_1 = fma(a27.w, b1.w, fma(a27.z, b1.z, fma(a27.y, b1.y, fma(a27.x, b1.x, c27_1))));
    let a28 = subgroupBroadcast(at1, 12u);
    c28_0 = fma(a28.w, b0.w, fma(a28.z, b0.z, fma(a28.y, b0.y, fma(a28.x, b0.x, c28_0))));
    c28_1 = fma(a28.w, b1.w, fma(a28.z, b1.z, fma(a28.y, b1.y, fma(a28.x, b1.x, c28_1))));
    let a29 = subgroupBroadcast(at1, 13u);
    c29_0 = fma(a29.w, b0.w, fma(a29.z, b0.z, fma(a29.y, b0.y, fma(a29.x, b0.x, c29_0))));
    c29_1 = fma(a29.w, b1.w, fma(a29.z, b1.z, fma(a29.y, b1.y, fma(a29.x, b1.x, c29_1))));
    let a30 = subgroupBroadcast(at1, 14u);
    c30_0 = fma(a30.w, b0.w, fma(a30.z, b0.z, fma(a30.y, b0.y, fma(a30.x, b0.x, c30_0))));
    c30_1 = fma(a30.w, b1.w, fma(a30.z, b1.z, fma(a30.y, b1.y, fma(a30.x, b1.x, c30_1))));
    let a31 = subgroupBroadcast(at1, 15u);
    c31_0 = fma(a31.w, b0.w, fma(a31.z, b0.z, fma(a31.y, b0.y, fma(a31.x, b0.x, c31_0))));
    c31_1 = fma(a31.w, b1.w, fma(a31.z, b1.z, fma(a31.y, b1.y, fma(a31.x, b1.x, c31_1))));
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
  if (m0 + 16u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 16u, col0, finish(c16_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 16u, col1, finish(c16_1, bias1, scale1)); }
  if (m0 + 17u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 17u, col0, finish(c17_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 17u, col1, finish(c17_1, bias1, scale1)); }
  if (m0 + 18u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 18u, col0, finish(c18_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 18u, col1, finish(c18_1, bias1, scale1)); }
  if (m0 + 19u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 19u, col0, finish(c19_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 19u, col1, finish(c19_1, bias1, scale1)); }
  if (m0 + 20u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 20u, col0, finish(c20_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 20u, col1, finish(c20_1, bias1, scale1)); }
  if (m0 + 21u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 21u, col0, finish(c21_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 21u, col1, finish(c21_1, bias1, scale1)); }
  if (m0 + 22u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 22u, col0, finish(c22_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 22u, col1, finish(c22_1, bias1, scale1)); }
  if (m0 + 23u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 23u, col0, finish(c23_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 23u, col1, finish(c23_1, bias1, scale1)); }
  if (m0 + 24u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 24u, col0, finish(c24_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 24u, col1, finish(c24_1, bias1, scale1)); }
  if (m0 + 25u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 25u, col0, finish(c25_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 25u, col1, finish(c25_1, bias1, scale1)); }
  if (m0 + 26u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 26u, col0, finish(c26_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 26u, col1, finish(c26_1, bias1, scale1)); }
  if (m0 + 27u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 27u, col0, finish(c27_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 27u, col1, finish(c27_1, bias1, scale1)); }
  if (m0 + 28u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 28u, col0, finish(c28_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 28u, col1, finish(c28_1, bias1, scale1)); }
  if (m0 + 29u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 29u, col0, finish(c29_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 29u, col1, finish(c29_1, bias1, scale1)); }
  if (m0 + 30u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 30u, col0, finish(c30_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 30u, col1, finish(c30_1, bias1, scale1)); }
  if (m0 + 31u >= p.M) { return; }
  if (ok0) { put(cb, rb, m0 + 31u, col0, finish(c31_0, bias0, scale0)); }
  if (ok1) { put(cb, rb, m0 + 31u, col1, finish(c31_1, bias1, scale1)); }
}
