/**
 * Per-token dot products of two token matrices: OUT[z, i] = sum_d X[z mod B, first + i, d] *
 * Y[z, first + i, d] for i < count — CDAM's token scores (tokens times their gradient), with
 * the saved tokens X broadcast over the T targets of the gradient Y.
 */
import type { GpuContext } from '../../gpu/context.js';
import { defineKernel, type Kernel } from '../../gpu/kernel.js';
import type { Tensor } from '../../gpu/tensor.js';
import { uniformStruct } from '../../gpu/uniforms.js';
import { DIV_SMALL_WGSL } from '../wgsl-util.js';
import { rowGrid, rowLayout } from '../row-reduce.js';

const Params = uniformStruct({ N: 'u32', D: 'u32', B: 'u32', first: 'u32', count: 'u32', rows: 'u32' });
const kernels = new Map<string, Kernel<typeof Params.fields>>();

function kernel(ctx: GpuContext): Kernel<typeof Params.fields> {
  const key = ctx.kernelFamily;
  let k = kernels.get(key);
  if (!k) {
    const red = rowLayout(ctx);
    k = defineKernel({
      name: 'token_dot',
      key,
      enables: red.enables,
      params: Params,
      bindings: [
        { name: 'X', access: 'read' },
        { name: 'Y', access: 'read' },
        { name: 'OUT', access: 'read_write' },
      ],
      body: /* wgsl */ `
${red.wgsl}
${DIV_SMALL_WGSL}
@compute @workgroup_size(${red.threads})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  // One row per (z, token i): r = z * count + i.
  let r = row_of(wid, nwg, lid);
  if (r >= p.rows) { return; }
  let tid = tid_of(lid);
  let z = div_small(r, p.count);
  let i = r - z * p.count;
  let xb = ((z % p.B) * p.N + p.first + i) * p.D;
  let yb = (z * p.N + p.first + i) * p.D;
  var s = 0.0;
  for (var d = tid; d < p.D; d += ROW_THREADS) { s += X[xb + d] * Y[yb + d]; }
  let total = row_sum(s, tid);
  if (tid == 0u) { OUT[z * p.count + i] = total; }
}`,
    });
    kernels.set(key, k);
  }
  return k;
}

export function tokenDot(ctx: GpuContext, x: Tensor, y: Tensor, out: Tensor, s: { Z: number; B: number; N: number; D: number; first: number; count: number }): void {
  if (s.Z === 0 || s.count === 0) return;
  ctx.dispatch(kernel(ctx), [x, y, out], { N: s.N, D: s.D, B: s.B, first: s.first, count: s.count, rows: s.Z * s.count }, rowGrid(ctx, s.Z * s.count));
}
