/**
 * Row softmax as an op: p = softmax(x) over each row of [rows, cols]; the class probabilities
 * (`probs` tap) are the softmax of the logits.
 *
 * Backward, for dp [T*rows, cols]:  dx = p * (dp - rowsum(dp * p))  (p saved, broadcast over T).
 */
import type { Tensor } from '../../gpu/tensor.js';
import { softmaxRows } from '../../kernels/softmax.js';
import { softmaxGrad } from '../../kernels/softmax-grad.js';
import { defineOp } from './define.js';
import type { OpContext } from './types.js';

export function softmax(op: OpContext, x: Tensor, rows: number, cols: number): Tensor {
  const p = op.ctx.empty([rows, cols]);
  op.ctx.copy(x, 0, p, 0, rows * cols * 4);
  softmaxRows(op.ctx, p, rows, cols);
  op.tape?.record(softmaxOp, { inputs: [x], outputs: [p], saved: { p }, attrs: { rows, cols } });
  return p;
}

export const softmaxOp = defineOp<{ rows: number; cols: number }, { p: Tensor }>({
  name: 'softmax',
  backward: (rec, bw) => {
    const { rows, cols } = rec.attrs;
    const dp = bw.gradOf(rec.outputs[0])!;
    const dx = bw.ctx.empty([bw.T * rows, cols]);
    softmaxGrad(bw.ctx, dp, rec.saved.p, dx, bw.T * rows, rows, cols);
    bw.add(rec.inputs[0], dx);
  },
});
