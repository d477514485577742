/**
 * Fused attention for CPU implementations of WebGPU (lavapipe), built like the simd matmul
 * (matmul-simd.ts): a workgroup is one subgroup of LANES invocations, no workgroup memory, no
 * barriers; values one lane loaded reach the others by subgroupBroadcast / subgroupShuffle, row
 * reductions are subgroupMax / subgroupAdd. Only the rows' accumulators are unrolled; the walks
 * over the lanes of a block are loops with a shuffle from lane `jj` (lavapipe compiles the fully
 * unrolled form tens of seconds per pipeline).
 *
 * Forward, per (image, head, block of LANES query rows): the keys are walked in blocks of LANES,
 * one key per lane. For each block, lane r's query row is broadcast four components at a time
 * and every lane forms the LANES scores of its key; an online softmax (running max and sum per
 * row, uniform across lanes) rescales the output rows, which every lane holds for its own
 * 4-component slices of the head (EC slices each), and the block's probabilities, broadcast
 * from the lane of each key, multiply the value rows. Scores never touch memory unless the
 * probabilities are asked for: then the raw scores are written as they are formed and each lane
 * turns its own entries into probabilities once the row's max and sum are final.
 *
 * Gradient, two kernels: `grad_q` walks the keys per block of query rows exactly like the
 * forward (dP = dO V^T from broadcast dO rows, dS = P (dP - D) with D = rowsum(dO * O), which
 * equals rowsum(dP * P) since O = P V; dQ += dS K), writing dS (and dP when its tap is asked
 * for); `grad_kv` walks the queries per block of key rows (dV += P^T dO, dK += dS^T Q), each
 * lane loading one query's P and dS entries and shuffling them to the others.
 */
import { defineKernel, type Kernel } from '../gpu/kernel.js';
import { AttentionParams, attentionBindings, rowAccess, type AttentionPart } from './attention-common.js';

const cache = new Map<string, Kernel>();

/** Output slices of 4 head components one lane owns for head size hd. */
export function simdSlices(hd: number, lanes: number): number {
  return Math.max(1, Math.ceil(hd / (4 * lanes)));
}

/**
 * The kernel of `part` for a subgroup size, a number of slices per lane (the head size,
 * rounded up to 4*lanes: deit/vit tiny to base all have hd 64, one pipeline) and vec4 access.
 */
export function simdAttentionKernel(part: AttentionPart, lanes: number, slices: number, vec: boolean): Kernel {
  const key = `${part}-L${lanes}-s${slices}${vec ? '-v4' : ''}${part === 'grad_kv' ? `-r${simdKeyRows(lanes)}` : `-k${KEYS_PER_LANE}`}`;
  let k = cache.get(key);
  if (!k) {
    k = GENERATORS[part](lanes, slices, vec, key);
    cache.set(key, k);
  }
  return k;
}

/**
 * Key rows per grad_kv workgroup: half a subgroup, since each row holds two accumulators (dK
 * and dV). A full subgroup ran ~8 % faster on lavapipe but took twice as long to compile.
 */
export function simdKeyRows(lanes: number): number {
  return Math.max(1, lanes / 2);
}

/**
 * Keys per lane in one block of the forward: two, so that each query component broadcast
 * (four shuffles on lavapipe) feeds two dot products and the online softmax's reductions and
 * rescaling happen once per 2 * lanes keys.
 */
export const KEYS_PER_LANE = 2;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const each = (n: number, line: (i: number) => string) => range(n).map(line);
const grid2 = (a: number, b: number, line: (i: number, j: number) => string) => range(a).flatMap((i) => range(b).map((j) => line(i, j)));

/** The lane's output slices (e{c}, and el{c} clamped to the last slice for loads). */
function sliceDecls(L: number, S: number): string[] {
  return [
    '  let eLast = ((p.hd + 3u) / 4u) * 4u - 4u;',
    ...each(S, (c) => `  let e${c} = 4u * (lane + ${L * c}u);\n  let el${c} = min(e${c}, eLast);`),
  ];
}

/**
 * The first product of a block, shared by the forward (S = Q K^T) and grad_q (dP = dO V^T):
 * key t of this lane is kj{t} = j0 + t * L + lane; s{r}_{t} = the dot product of query row r (read
 * by lane r with `rowLoad(e)` and broadcast four components at a time) and the key's row of the
 * head at `keyOff` in qkv. Keys past N read row N-1; the caller masks them with kj{t} < N.
 */
function rowDotKeys(K: number, L: number, o: { keyOff: string; rowLoad: (e: string) => string }): string[] {
  return [
    ...each(K, (t) => `    let kj${t} = j0 + ${t * L}u + lane;\n    let kb${t} = (tok0 + min(kj${t}, p.N - 1u)) * row3 + ${o.keyOff};`),
    ...grid2(L, K, (r, t) => `    var s${r}_${t} = 0.0;`),
    `    for (var e = 0u; e < p.hd; e += 4u) {
      let at = ${o.rowLoad('e')};`,
    ...each(K, (t) => `      let kt${t} = ld_QKV(kb${t}, e);`),
    ...each(L, (r) => `      let a${r} = subgroupBroadcast(at, ${r}u);\n${each(K, (t) => `      s${r}_${t} += dot(a${r}, kt${t});`).join('\n')}`),
    '    }',
  ];
}

/**
 * The second product of a block, shared by the forward (O += P V) and grad_q (dQ += dS K): for
 * each of the block's K x L keys, load its row of the head (`rowOff` into qkv) and add
 * weight(r, t) * row to accumulator `acc` of every query row r. The weight sits in the key's
 * lane, so it reaches the other lanes by subgroupShuffle, one key at a time.
 */
function weightedKeyRows(K: number, L: number, S: number, o: { rowOff: string; row: string; weight: (r: number, t: number) => string; acc: string }): string[] {
  return each(K, (t) => [
    `    let jt${t} = j0 + ${t * L}u;`,
    `    let jn${t} = select(0u, min(${L}u, p.N - jt${t}), jt${t} < p.N);`,
    `    for (var jj = 0u; jj < jn${t}; jj++) {`,
    `      let rb = (tok0 + jt${t} + jj) * row3 + ${o.rowOff};`,
    ...each(S, (c) => `      let ${o.row}${c} = ld_QKV(rb, el${c});`),
    ...each(L, (r) => `      let w${r} = vec4f(subgroupShuffle(${o.weight(r, t)}, jj));`),
    ...grid2(L, S, (r, c) => `      ${o.acc}${r}_${c} = fma(w${r}, ${o.row}${c}, ${o.acc}${r}_${c});`),
    '    }',
  ].join('\n'));
}

const HEADER = (L: number) => `@compute @workgroup_size(${L})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let h = wid.y;
  let row3 = 3u * p.D;`;

/** Most negative finite f32: a masked score (exp of it minus any real max is 0). */
const NEG = '-0x1.fffffep+127f';

function forward(L: number, S: number, vec: boolean, key: string): Kernel {
  const K = KEYS_PER_LANE;
  const rk = (line: (r: number, t: number) => string) => grid2(L, K, line);
  const body = [
    rowAccess('QKV', vec),
    rowAccess('O', vec, true),
    HEADER(L),
    `  let b = wid.z;
  let i0 = wid.x * ${L}u;
  let tok0 = b * p.N;
  let qBase = (tok0 + min(i0 + lane, p.N - 1u)) * row3 + h * p.hd;
  let kOff = p.D + h * p.hd;
  let vOff = 2u * p.D + h * p.hd;
  let probs = (p.flags & 1u) != 0u;
  let pb = ((b * p.H + h) * p.N + i0) * p.N;`,
    ...sliceDecls(L, S),
    ...each(L, (r) => `  var m${r} = ${NEG};\n  var l${r} = 0.0;`),
    ...grid2(L, S, (r, c) => `  var o${r}_${c} = vec4f(0.0);`),
    `  for (var j0 = 0u; j0 < p.N; j0 += ${K * L}u) {`,
    ...rowDotKeys(K, L, { keyOff: 'kOff', rowLoad: (e) => `ld_QKV(qBase, ${e})` }),
    ...rk((r, t) => `    let x${r}_${t} = select(${NEG}, s${r}_${t} * p.scale, kj${t} < p.N);`),
    ...each(L, (r) => [
      ...each(K, (t) => `    if (probs && kj${t} < p.N && i0 + ${r}u < p.N) { P[pb + ${r}u * p.N + kj${t}] = x${r}_${t}; }`),
      `    let mn${r} = max(m${r}, subgroupMax(${each(K, (t) => `x${r}_${t}`).reduce((acc, x) => `max(${acc}, ${x})`)}));`,
      ...each(K, (t) => `    let pr${r}_${t} = exp(x${r}_${t} - mn${r});`),
      `    let cr${r} = exp(m${r} - mn${r});`,
      `    l${r} = fma(l${r}, cr${r}, subgroupAdd(${each(K, (t) => `pr${r}_${t}`).join(' + ')}));`,
      `    m${r} = mn${r};`,
      ...each(S, (c) => `    o${r}_${c} *= cr${r};`),
    ].join('\n')),
    // The value rows of the block, key by key: its probabilities come from the key's lane.
    ...weightedKeyRows(K, L, S, { rowOff: 'vOff', row: 'v', weight: (r, t) => `pr${r}_${t}`, acc: 'o' }),
    '  }',
    ...each(L, (r) => [
      `  if (i0 + ${r}u >= p.N) { return; }`,
      `  let inv${r} = 1.0 / l${r};`,
      `  let ob${r} = (tok0 + i0 + ${r}u) * p.D + h * p.hd;`,
      ...each(S, (c) => `  if (e${c} < p.hd) { st_O(ob${r}, e${c}, o${r}_${c} * inv${r}); }`),
      `  if (probs) {
    for (var j = lane; j < p.N; j += ${L}u) {
      let i = pb + ${r}u * p.N + j;
      P[i] = exp(P[i] - m${r}) * inv${r};
    }
  }`,
    ].join('\n')),
    '}',
  ];
  return defineKernel({
    name: 'attention_simd',
    key,
    enables: ['subgroups'],
    bindings: attentionBindings('forward', vec),
    params: AttentionParams,
    body: body.join('\n'),
  });
}

function gradQ(L: number, S: number, vec: boolean, key: string): Kernel {
  const K = KEYS_PER_LANE;
  const rk = (line: (r: number, t: number) => string) => grid2(L, K, line);
  const body = [
    rowAccess('QKV', vec),
    rowAccess('DO', vec),
    rowAccess('O', vec),
    rowAccess('DQKV', vec, true),
    HEADER(L),
    `  let z = wid.z;
  let b = z % p.B;
  let i0 = wid.x * ${L}u;
  let tok0 = b * p.N;
  let gtok0 = z * p.N;
  let li = min(i0 + lane, p.N - 1u);
  let xBase = (gtok0 + li) * p.D + h * p.hd;
  let oBase = (tok0 + li) * p.D + h * p.hd;
  let kOff = p.D + h * p.hd;
  let vOff = 2u * p.D + h * p.hd;
  let writeDP = (p.flags & 1u) != 0u;
  let pb = ((b * p.H + h) * p.N + i0) * p.N;
  let gb = ((z * p.H + h) * p.N + i0) * p.N;
  // D = rowsum(dO * O) of the lane's row, then every row's value on every lane.
  var dl = 0.0;
  for (var e = 0u; e < p.hd; e += 4u) { dl += dot(ld_DO(xBase, e), ld_O(oBase, e)); }`,
    ...each(L, (r) => `  let d${r} = subgroupBroadcast(dl, ${r}u);`),
    ...sliceDecls(L, S),
    ...grid2(L, S, (r, c) => `  var g${r}_${c} = vec4f(0.0);`),
    `  for (var j0 = 0u; j0 < p.N; j0 += ${K * L}u) {`,
    ...rowDotKeys(K, L, { keyOff: 'vOff', rowLoad: (e) => `ld_DO(xBase, ${e})` }),
    ...rk((r, t) => `    var ds${r}_${t} = 0.0;
    if (kj${t} < p.N && i0 + ${r}u < p.N) {
      let ix = ${r}u * p.N + kj${t};
      ds${r}_${t} = P[pb + ix] * (s${r}_${t} - d${r});
      DS[gb + ix] = ds${r}_${t};
      if (writeDP) { DP[gb + ix] = s${r}_${t}; }
    }`),
    ...weightedKeyRows(K, L, S, { rowOff: 'kOff', row: 'k', weight: (r, t) => `ds${r}_${t}`, acc: 'g' }),
    '  }',
    '  let acc = (p.flags & 2u) != 0u;',
    ...each(L, (r) => [
      `  if (i0 + ${r}u >= p.N) { return; }`,
      `  let ob${r} = (gtok0 + i0 + ${r}u) * row3 + h * p.hd;`,
      ...each(S, (c) => `  if (e${c} < p.hd) {
    let v = g${r}_${c} * p.scale;
    put_DQKV(ob${r}, e${c}, v, acc);
  }`),
    ].join('\n')),
    '}',
  ];
  return defineKernel({
    name: 'attention_grad_q_simd',
    key,
    enables: ['subgroups'],
    bindings: attentionBindings('grad_q', vec),
    params: AttentionParams,
    body: body.join('\n'),
  });
}

function gradKV(L: number, S: number, vec: boolean, key: string): Kernel {
  const R = simdKeyRows(L);
  const body = [
    rowAccess('QKV', vec),
    rowAccess('DO', vec),
    rowAccess('DQKV', vec, true),
    HEADER(L),
    `  let z = wid.z;
  let b = z % p.B;
  let j0 = wid.x * ${R}u;
  let tok0 = b * p.N;
  let gtok0 = z * p.N;
  let qOff = h * p.hd;
  let pb = (b * p.H + h) * p.N * p.N + j0;
  let gb = (z * p.H + h) * p.N * p.N + j0;`,
    ...sliceDecls(L, S),
    ...grid2(R, S, (r, c) => `  var dk${r}_${c} = vec4f(0.0);\n  var dv${r}_${c} = vec4f(0.0);`),
    // Key columns past N read column N-1 and are never stored.
    ...each(R, (r) => `  let col${r} = min(${r}u, p.N - 1u - j0);`),
    `  for (var i0 = 0u; i0 < p.N; i0 += ${L}u) {
    let i = min(i0 + lane, p.N - 1u);
    let okq = i0 + lane < p.N;`,
    ...each(R, (r) => `    let pr${r} = select(0.0, P[pb + i * p.N + col${r}], okq);\n    let sr${r} = select(0.0, DS[gb + i * p.N + col${r}], okq);`),
    `    let iin = min(${L}u, p.N - i0);
    for (var ii = 0u; ii < iin; ii++) {
      let qb = (tok0 + i0 + ii) * row3 + qOff;
      let xb = (gtok0 + i0 + ii) * p.D + qOff;`,
    ...each(S, (c) => `      let q${c} = ld_QKV(qb, el${c});\n      let x${c} = ld_DO(xb, el${c});`),
    ...each(R, (r) => `      let pi${r} = vec4f(subgroupShuffle(pr${r}, ii));\n      let si${r} = vec4f(subgroupShuffle(sr${r}, ii));`),
    ...grid2(R, S, (r, c) => `      dv${r}_${c} = fma(pi${r}, x${c}, dv${r}_${c});\n      dk${r}_${c} = fma(si${r}, q${c}, dk${r}_${c});`),
    '    }',
    '  }',
    '  let acc = (p.flags & 2u) != 0u;',
    ...each(R, (r) => [
      `  if (j0 + ${r}u >= p.N) { return; }`,
      `  let kb${r} = (gtok0 + j0 + ${r}u) * row3 + p.D + h * p.hd;`,
      ...each(S, (c) => `  if (e${c} < p.hd) {
    let k = dk${r}_${c} * p.scale;
    let v = dv${r}_${c};
    put_DQKV(kb${r}, e${c}, k, acc);
    put_DQKV(kb${r} + p.D, e${c}, v, acc);
  }`),
    ].join('\n')),
    '}',
  ];
  return defineKernel({
    name: 'attention_grad_kv_simd',
    key,
    enables: ['subgroups'],
    bindings: attentionBindings('grad_kv', vec),
    params: AttentionParams,
    body: body.join('\n'),
  });
}

const GENERATORS: Record<AttentionPart, (L: number, S: number, vec: boolean, key: string) => Kernel> = {
  forward,
  grad_q: gradQ,
  grad_kv: gradKV,
};
