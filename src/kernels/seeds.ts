/**
 * Backward seed of a softmax-probability target, computed on the GPU from the logits so the
 * backward needs no readback: for target class k of image b,
 *   d p_k / d logit_c = p_k (delta_kc - p_c).
 * Row r = t * B + b of the seed [T*B, C] uses logits row b and class CLASSES[r].
 */
import type { GpuContext } from '../gpu/context.js';
import { defineKernel, type Kernel } from '../gpu/kernel.js';
import type { Tensor } from '../gpu/tensor.js';
import { uniformStruct } from '../gpu/uniforms.js';
import { rowGrid, rowLayout } from './row-reduce.js';

const Params = uniformStruct({ rows: 'u32', B: 'u32', C: 'u32' });
const kernels = new Map<string, Kernel<typeof Params.fields>>();

function kernel(ctx: GpuContext): Kernel<typeof Params.fields> {
  const key = ctx.kernelFamily;
  let k = kernels.get(key);
  if (!k) {
    const red = rowLayout(ctx);
    k = defineKernel({
      name: 'softmax_prob_seed',
      key,
      enables: red.enables,
      params: Params,
      bindings: [
        { name: 'LOGITS', access: 'read' },
        { name: 'CLASSES', access: 'read', type: 'array<u32>' },
        { name: 'SEED', access: 'read_write' },
      ],
      body: /* wgsl */ `
${red.wgsl}
@compute @workgroup_size(${red.threads})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = row_of(wid, nwg, lid);
  let tid = tid_of(lid);
  if (row >= p.rows) { return; }
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
  }
}
`,
    });
    kernels.set(key, k);
  }
  return k;
}

export function softmaxProbSeed(ctx: GpuContext, logits: Tensor, classes: Tensor, seed: Tensor, rows: number, B: number, C: number): void {
  if (rows > 0) ctx.dispatch(kernel(ctx), [logits, classes, seed], { rows, B, C }, rowGrid(ctx, rows));
}
