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
