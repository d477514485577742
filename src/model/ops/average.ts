/** Mean of two tensors (the distilled DeiT feature: (cls + dist) / 2); each input gets dy / 2. */
import type { Tensor } from '../../gpu/tensor.js';
import { add } from '../../kernels/elementwise.js';
import { defineOp } from './define.js';
import type { OpContext } from './types.js';

export function average(op: OpContext, a: Tensor, b: Tensor): Tensor {
  const y = op.ctx.empty(a.shape);
  add(op.ctx, a, b, y, { alpha: 0.5, beta: 0.5 });
  op.tape?.record(averageOp, { inputs: [a, b], outputs: [y], saved: {}, attrs: null });
  return y;
}

export const averageOp = defineOp<null>({
  name: 'average',
  backward: (rec, bw) => {
    const dy = bw.gradOf(rec.outputs[0])!;
    for (const input of rec.inputs) {
      const half = bw.ctx.empty(dy.shape);
      add(bw.ctx, dy, dy, half, { alpha: 0, beta: 0.5 });
      bw.add(input, half);
    }
  },
});
