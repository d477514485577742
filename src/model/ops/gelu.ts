/** GELU as its own op (when recording): h = gelu(u), du = dh * gelu'(u). */
import type { Tensor } from '../../gpu/tensor.js';
import { geluBackward, geluForward } from '../../kernels/elementwise.js';
import { defineOp } from './define.js';
import type { OpContext } from './types.js';

export function gelu(op: OpContext, u: Tensor): Tensor {
  const h = op.ctx.empty(u.shape);
  geluForward(op.ctx, u, h);
  op.tape?.record(geluOp, { inputs: [u], outputs: [h], saved: { u }, attrs: null });
  return h;
}

export const geluOp = defineOp<null, { u: Tensor }>({
  name: 'gelu',
  backward: (rec, bw) => {
    const u = rec.saved.u;
    const dh = bw.gradOf(rec.outputs[0])!;
    const du = bw.ctx.empty([bw.T, ...u.shape]);
    geluBackward(bw.ctx, dh, u, du, bw.T * u.size, u.size);
    bw.add(rec.inputs[0], du);
  },
});
