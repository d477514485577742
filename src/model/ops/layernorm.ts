/**
 * LayerNorm op. Saves its input and per-row (mean, rstd); the gradient recomputes the
 * normalised input from them. Parameter gradients: dgamma = sum_rows dy * xh, dbeta = sum_rows dy.
 */
import type { Tensor } from '../../gpu/tensor.js';
import { columnSums } from '../../kernels/columns.js';
import { layernorm as layernormKernel } from '../../kernels/layernorm.js';
import { layernormGrad } from '../../kernels/layernorm-grad.js';
import { defineOp } from './define.js';
import type { OpContext, Param } from './types.js';

export function layerNorm(op: OpContext, x: Tensor, rows: number, gamma: Param, beta: Param, eps: number): Tensor {
  const D = gamma.t.size;
  const y = op.ctx.empty([rows, D]);
  const stats = op.tape ? op.ctx.empty([rows, 2]) : undefined;
  layernormKernel(op.ctx, { x, gamma: gamma.t, beta: beta.t, y, rows, D, eps, stats });
  if (op.tape && stats) {
    op.tape.record(layerNormOp, { inputs: [x], outputs: [y], saved: { x, stats }, attrs: { rows, D, gamma, beta } });
    stats.release();
  }
  return y;
}

export const layerNormOp = defineOp<{ rows: number; D: number; gamma: Param; beta: Param }, { x: Tensor; stats: Tensor }>({
  name: 'layernorm',
  backward: (rec, bw) => {
    const { rows, D, gamma, beta } = rec.attrs;
    const { x, stats } = rec.saved;
    const dy = bw.gradOf(rec.outputs[0])!;
    const { g: dx, accumulate } = bw.into(rec.inputs[0]);
    layernormGrad(bw.ctx, { dy, x, stats, gamma: gamma.t, dx, gradRows: bw.T * rows, rows, D, accumulate });
    if (bw.weightGrads) {
      const dg = bw.weightInto(gamma.name, [D]);
      columnSums(bw.ctx, { a: dy, M: rows, N: D, out: dg.g, accumulate: dg.accumulate, b: x, stats, bRows: rows });
      const db = bw.weightInto(beta.name, [D]);
      columnSums(bw.ctx, { a: dy, M: rows, N: D, out: db.g, accumulate: db.accumulate });
    }
  },
});
