// tile 64 x 64
// vitlens kernel: matmul_tiled [64x64x16]
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

var<workgroup> As: array<array<f32, 64>, 16>;
var<workgroup> Bs: array<array<f32, 64>, 16>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let z = wid.z;
  let m0 = wid.y * 64u;
  let n0 = wid.x * 64u;
  let ab = a_base(z);
  let bb = b_base(z);
  let flat = lid.y * 16u + lid.x;
  var acc: array<array<f32, 4>, 4>;
  for (var k0 = 0u; k0 < p.K; k0 += 16u) {
    // 1024 elements of each operand, 4 per invocation.
    for (var i = 0u; i < 4u; i++) {
      let e = flat + i * 256u;
      let kk = e / 64u;
      let t = e % 64u;
      let k = k0 + kk;
      let m = m0 + t;
      let n = n0 + t;
      var av = 0.0;
      if (k < p.K && m < p.M) { av = A[ab + m * p.aRs + k * p.aCs]; }
      var bv = 0.0;
      if (k < p.K && n < p.N) { bv = B[bb + k * p.bRs + n * p.bCs]; }
      As[kk][t] = av;
      Bs[kk][t] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      var a: array<f32, 4>;
      var b: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) {
        a[i] = As[kk][lid.y + i * 16u];
        b[i] = Bs[kk][lid.x + i * 16u];
      }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) { acc[i][j] = fma(a[i], b[j], acc[i][j]); }
      }
    }
    workgroupBarrier();
  }
  let cb = c_base(z);
  let rb = r_base(z);
  for (var i = 0u; i < 4u; i++) {
    for (var j = 0u; j < 4u; j++) {
      store_c(cb, rb, m0 + lid.y + i * 16u, n0 + lid.x + j * 16u, acc[i][j]);
    }
  }
}
