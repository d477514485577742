/**
 * Backward seed of a softmax-probability target, computed on the GPU from the logits so the
 * backward needs no readback: for target class k of image b,
 *   d p_k / d logit_c = p_k (delta_kc - p_c).
 * Row r = t * B + b of the seed [T*B, C] uses logits row b and class CLASSES[r].
 */
import type { GpuContext } from '../gpu/context.js';
import type { Tensor } from '../gpu/tensor.js';
import { uniformStruct } from '../gpu/uniforms.js';
import { defineRowKernel } from './row-kernel.js';

const probSeedKernel = defineRowKernel({
  name: 'softmax_prob_seed',
  params: uniformStruct({ rows: 'u32', B: 'u32', C: 'u32' }),
  bindings: [
    { name: 'LOGITS', access: 'read' },
    { name: 'CLASSES', access: 'read', type: 'array<u32>' },
    { name: 'SEED', access: 'read_write' },
  ],
  rows: 'p.rows',
  body: /* wgsl */ `
  let lb = (row % p.B) * p.C;
  let k = CLASSES[row];
  var m = -0x1.fffffep+127f;
  for (var i = tid; i < p.C; i += ROW_THREADS) { m = max(m, LOGITS[lb + i]); }
  m = row_max(m, tid);
  var s = 0.0;
  for (var i = tid; i < p.C; i += ROW_THREADS) { s += exp(LOGITS[lb + i] - m); }
  let inv = 1.0 / row_sum(s, tid);
  let pk = exp(LOGITS[lb + k] - m) * inv;
  for (var i = tid; i < p.C; i += ROW_THREADS) {
    let pc = exp(LOGITS[lb + i] - m) * inv;
    SEED[row * p.C + i] = pk * (select(0.0, 1.0, i == k) - pc);
  }`,
});

export function softmaxProbSeed(ctx: GpuContext, logits: Tensor, classes: Tensor, seed: Tensor, rows: number, B: number, C: number): void {
  probSeedKernel.dispatch(ctx, [logits, classes, seed], { rows, B, C }, rows);
}

/**
 * Backward seed of rank targets ("the class ranked r-th by the logits"), chosen on the GPU so an
 * explanation of the predicted class needs no readback between the forward and the backward.
 * One row per image b. The ranking rule is `rankClasses` (seeds.cpu.ts): logit descending, ties
 * by the lower class id; a NaN logit ranks nothing (every rank row of that image gets class
 * NO_CLASS and a zero seed, and the caller refuses the result after reading the ids back).
 * For target t with RANKS[t] = r > 0, row t * B + b of SEED [T*B, C] becomes the one-hot of the
 * class ranked r-th and CLASSES[t * B + b] its id; rows with RANKS[t] = 0 (fixed classes) are
 * left as they are.
 */
const topClassSeedKernel = defineRowKernel({
  name: 'top_class_seed',
  params: uniformStruct({ B: 'u32', C: 'u32', T: 'u32', maxRank: 'u32' }),
  bindings: [
    { name: 'LOGITS', access: 'read' },
    { name: 'RANKS', access: 'read', type: 'array<u32>' },
    { name: 'SEED', access: 'read_write' },
    { name: 'CLASSES', access: 'read_write', type: 'array<u32>' },
  ],
  rows: 'p.B',
  helpers: /* wgsl */ `
fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
// Class a ranks before class b: larger logit, or the same logit and a lower id.
fn before(va: f32, a: u32, vb: f32, b: u32) -> bool { return va > vb || (va == vb && a < b); }
fn write_rank(b: u32, r: u32, k: u32) {
  for (var t = 0u; t < p.T; t++) {
    if (RANKS[t] != r) { continue; }
    let row = t * p.B + b;
    CLASSES[row] = k;
    for (var c = 0u; c < p.C; c++) { SEED[row * p.C + c] = select(0.0, 1.0, c == k); }
  }
}`,
  body: /* wgsl */ `
  // One thread per image: K selection passes over C logits are negligible next to a forward.
  if (tid != 0u) { return; }
  let lb = row * p.C;
  var bad = false;
  for (var c = 0u; c < p.C; c++) { bad = bad || is_nan(LOGITS[lb + c]); }
  // The previous pick (value, id); the next one is the best class ranked after it.
  var pv = 0.0;
  var pk = 0xffffffffu;
  for (var r = 1u; r <= p.maxRank; r++) {
    var bv = 0.0;
    var bk = 0xffffffffu;
    if (!bad) {
      for (var c = 0u; c < p.C; c++) {
        let v = LOGITS[lb + c];
        if (pk != 0xffffffffu && !before(pv, pk, v, c)) { continue; }
        if (bk == 0xffffffffu || before(v, c, bv, bk)) { bv = v; bk = c; }
      }
    }
    write_rank(row, r, bk);
    pv = bv;
    pk = bk;
  }`,
});

/** Class id a rank row gets when its image's logits contain NaN. */
export const NO_CLASS = 0xffffffff;

/**
 * Writes the seed rows and class ids of the rank targets: `ranks[t]` is target t's rank (1 =
 * predicted class) or 0 for a row left as uploaded. `classes` [T*B] u32, `seed` [T*B, C].
 */
export function topClassSeed(ctx: GpuContext, logits: Tensor, ranks: Tensor, seed: Tensor, classes: Tensor, s: { B: number; C: number; T: number; maxRank: number }): void {
  topClassSeedKernel.dispatch(ctx, [logits, ranks, seed, classes], s, s.B);
}
