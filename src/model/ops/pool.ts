/**
 * Pooling of the final tokens: one token row per image (the class token, or the distillation
 * token) or the mean over the patch tokens (timm global_pool="avg", prefix tokens excluded).
 */
import type { Tensor } from '../../gpu/tensor.js';
import { fill } from '../../kernels/elementwise.js';
import { meanRows, sliceRows, spreadRows, unsliceRowsAdd } from '../../kernels/rows.js';
import { defineOp } from './define.js';
import type { OpContext } from './types.js';

export interface PoolArgs {
  B: number;
  N: number;
  D: number;
  /** 'token': row `first`; 'avg': mean of rows first..N-1. */
  mode: 'token' | 'avg';
  first: number;
}

export function pool(op: OpContext, z: Tensor, a: PoolArgs): Tensor {
  const out = op.ctx.empty([a.B, a.D]);
  if (a.mode === 'token') sliceRows(op.ctx, z, out, { groups: a.B, rowsPerGroup: a.N, first: a.first, count: 1, D: a.D });
  else meanRows(op.ctx, z, out, { groups: a.B, rowsPerGroup: a.N, first: a.first, count: a.N - a.first, D: a.D });
  op.tape?.record(poolOp, { inputs: [z], outputs: [out], saved: {}, attrs: { ...a } });
  return out;
}

export const poolOp = defineOp<PoolArgs>({
  name: 'pool',
  backward: (rec, bw) => {
    const a = rec.attrs;
    const dOut = bw.gradOf(rec.outputs[0])!;
    const { g: dz, accumulate } = bw.into(rec.inputs[0]);
    if (!accumulate) fill(bw.ctx, dz, 0);
    const groups = bw.T * a.B;
    if (a.mode === 'token') unsliceRowsAdd(bw.ctx, dOut, dz, { groups, rowsPerGroup: a.N, first: a.first, count: 1, D: a.D });
    else spreadRows(bw.ctx, dOut, dz, { groups, rowsPerGroup: a.N, first: a.first, count: a.N - a.first, D: a.D });
  },
});
