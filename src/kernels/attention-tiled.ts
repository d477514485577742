/**
 * Fused attention for GPUs and for adapters without subgroups: one invocation per query row
 * (forward, grad_q) or key row (grad_kv), 64 per workgroup, each holding its head's row and
 * accumulator in private arrays sized for the head (HDMAX, the head size rounded up to a power
XX. The rows of the other side are
 * read straight from memory: every invocation of a workgroup reads the same key (or query) row
 * at the same time, which GPUs serve as one broadcast load. Online softmax per key.
 * No workgroup memory and no barriers, so it is also correct (if slower than the simd family)
 * on lavapipe, where the tests run it.
 */
import { defineKernel, type Kernel } from '../gpu/kernel.js';
import { AttentionParams, attentionBindings, rowAccess, type AttentionPart } from './attention-common.js';

export const TILED_ROWS = 64;

const cache = new Map<string, Kernel>();

/** Head size rounded up to a multiple of 64. */
export function tiledHeadCapacity(hd: number): number {
  return 64 * Math.ceil(hd / 64);
}

export function tiledAttentionKernel(part: AttentionPart, hdMax: number, vec: boolean): Kernel {
  const key = `${part}-hd${hdMax}${vec ? '-v4' : ''}`;
  let k = cache.get(key);
  if (!k) {
    k = GENERATORS[part](hdMax / 4, vec, key);
    cache.set(key, k);
  }
  return k;
}

const HEADER = `@compute @workgroup_size(${TILED_ROWS})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let h = wid.y;
  let row3 = 3u * p.D;
  let HD4 = (p.hd + 3u) / 4u;`;

function forward(C: number, vec: boolean, key: string): Kernel {
  return defineKernel({
    name: 'attention_tiled',
    key,
    bindings: attentionBindings('forward', vec),
    params: AttentionParams,
    body: /* wgsl */ `
${rowAccess('QKV', vec)}
${rowAccess('O', vec, true)}
${HEADER}
  let b = wid.z;
  let i = wid.x * ${TILED_ROWS}u + lid;
  if (i >= p.N) { return; }
  let tok0 = b * p.N;
  let qBase = (tok0 + i) * row3 + h * p.hd;
  var q: array<vec4f, ${C}>;
  var o: array<vec4f, ${C}>;
  for (var c = 0u; c < HD4; c++) { q[c] = ld_QKV(qBase, 4u * c); o[c] = vec4f(0.0); }
  let probs = (p.flags & 1u) != 0u;
  let pb = ((b * p.H + h) * p.N + i) * p.N;
  var m = -0x1.fffffep+127f;
  var l = 0.0;
  for (var j = 0u; j < p.N; j++) {
    let kb = (tok0 + j) * row3 + p.D + h * p.hd;
    var s = 0.0;
    for (var c = 0u; c < HD4; c++) { s += dot(q[c], ld_QKV(kb, 4u * c)); }
    s *= p.scale;
    if (probs) { P[pb + j] = s; }
    if (s > m) {
      let cr = exp(m - s);
      l *= cr;
      for (var c = 0u; c < HD4; c++) { o[c] *= cr; }
      m = s;
    }
    let pj = exp(s - m);
    l += pj;
    let vb = kb + p.D;
    for (var c = 0u; c < HD4; c++) { o[c] = fma(vec4f(pj), ld_QKV(vb, 4u * c), o[c]); }
  }
  let inv = 1.0 / l;
  let ob = (tok0 + i) * p.D + h * p.hd;
  for (var c = 0u; c < HD4; c++) { st_O(ob, 4u * c, o[c] * inv); }
  if (probs) {
    for (var j = 0u; j < p.N; j++) { P[pb + j] = exp(P[pb + j] - m) * inv; }
  }
}`,
  });
}

function gradQ(C: number, vec: boolean, key: string): Kernel {
  return defineKernel({
    name: 'attention_grad_q_tiled',
    key,
    bindings: attentionBindings('grad_q', vec),
    params: AttentionParams,
    body: /* wgsl */ `
${rowAccess('QKV', vec)}
${rowAccess('DO', vec)}
${rowAccess('O', vec)}
${rowAccess('DQKV', vec, true)}
${HEADER}
  let z = wid.z;
  let b = z % p.B;
  let i = wid.x * ${TILED_ROWS}u + lid;
  if (i >= p.N) { return; }
  let tok0 = b * p.N;
  let xBase = (z * p.N + i) * p.D + h * p.hd;
  let oBase = (tok0 + i) * p.D + h * p.hd;
  var x: array<vec4f, ${C}>;
  var g: array<vec4f, ${C}>;
  var d = 0.0;
  for (var c = 0u; c < HD4; c++) {
    x[c] = ld_DO(xBase, 4u * c);
    d += dot(x[c], ld_O(oBase, 4u * c));
    g[c] = vec4f(0.0);
  }
  let writeDP = (p.flags & 1u) != 0u;
  let pb = ((b * p.H + h) * p.N + i) * p.N;
  let gb = ((z * p.H + h) * p.N + i) * p.N;
  for (var j = 0u; j < p.N; j++) {
    let kb = (tok0 + j) * row3 + p.D + h * p.hd;
    let vb = kb + p.D;
    var dp = 0.0;
    for (var c = 0u; c < HD4; c++) { dp += dot(x[c], ld_QKV(vb, 4u * c)); }
    let ds = P[pb + j] * (dp - d);
    DS[gb + j] = ds;
    if (writeDP) { DP[gb + j] = dp; }
    for (var c = 0u; c < HD4; c++) { g[c] = fma(vec4f(ds), ld_QKV(kb, 4u * c), g[c]); }
  }
  let ob = (z * p.N + i) * row3 + h * p.hd;
  let acc = (p.flags & 2u) != 0u;
  for (var c = 0u; c < HD4; c++) {
    let v = g[c] * p.scale;
    put_DQKV(ob, 4u * c, v, acc);
  }
}`,
  });
}

function gradKV(C: number, vec: boolean, key: string): Kernel {
  return defineKernel({
    name: 'attention_grad_kv_tiled',
    key,
    bindings: attentionBindings('grad_kv', vec),
    params: AttentionParams,
    body: /* wgsl */ `
${rowAccess('QKV', vec)}
${rowAccess('DO', vec)}
${rowAccess('DQKV', vec, true)}
${HEADER}
  let z = wid.z;
  let b = z % p.B;
  let j = wid.x * ${TILED_ROWS}u + lid;
  if (j >= p.N) { return; }
  let tok0 = b * p.N;
  var dk: array<vec4f, ${C}>;
  var dv: array<vec4f, ${C}>;
  for (var c = 0u; c < HD4; c++) { dk[c] = vec4f(0.0); dv[c] = vec4f(0.0); }
  let pb = (b * p.H + h) * p.N * p.N + j;
  let gb = (z * p.H + h) * p.N * p.N + j;
  for (var i = 0u; i < p.N; i++) {
    let pij = vec4f(P[pb + i * p.N]);
    let sij = vec4f(DS[gb + i * p.N]);
    let qb = (tok0 + i) * row3 + h * p.hd;
    let xb = (z * p.N + i) * p.D + h * p.hd;
    for (var c = 0u; c < HD4; c++) {
      dv[c] = fma(pij, ld_DO(xb, 4u * c), dv[c]);
      dk[c] = fma(sij, ld_QKV(qb, 4u * c), dk[c]);
    }
  }
  let kb = (z * p.N + j) * row3 + p.D + h * p.hd;
  let acc = (p.flags & 2u) != 0u;
  for (var c = 0u; c < HD4; c++) {
    let k = dk[c] * p.scale;
    put_DQKV(kb, 4u * c, k, acc);
    put_DQKV(kb + p.D, 4u * c, dv[c], acc);
  }
}`,
  });
}

const GENERATORS: Record<AttentionPart, (C: number, vec: boolean, key: string) => Kernel> = {
  forward,
  grad_q: gradQ,
  grad_kv: gradKV,
};
