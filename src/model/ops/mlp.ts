/**
 * The transformer block's MLP as one op: z = fc2(gelu(fc1(x))) (* gamma) + r, timm's
 * `x + ls2(mlp(norm2(x)))` after the norm. One op rather than linear -> gelu -> linear so that
 * a recorded forward costs no GELU pass of its own: fc1's epilogue applies GELU and also stores
 * the pre-activation u the gradient needs. The backward keeps GELU's gradient as its own
 * elementwise pass (du = dh * gelu'(u)): folded into fc2's input-gradient epilogue it gathered u
 * and measured slower on lavapipe (docs/design.md, "What is fused").
 * Parameter gradients are those of the two linear layers (linear.ts `linearGrad`), with h and x
 * kept for dW only when they are asked for.
 */
import type { Tensor } from '../../gpu/tensor.js';
import { geluBackward } from '../../kernels/elementwise.js';
import { defineOp } from './define.js';
import { linearForward, linearGrad } from './linear.js';
import type { OpContext, Param } from './types.js';

export interface MlpArgs {
  x: Tensor;
  /** Rows of x. */
  M: number;
  fc1: { weight: Param; bias: Param | null };
  fc2: { weight: Param; bias: Param | null };
  layerScale?: Param | null;
  residual?: Tensor | null;
}

export function mlp(op: OpContext, a: MlpArgs): Tensor {
  const { ctx, tape } = op;
  const weightGrads = tape?.weightGrads ?? false;
  const [H, D] = a.fc1.weight.t.shape;
  const u = tape ? ctx.empty([a.M, H]) : null;
  const { y: h } = linearForward(ctx, { x: a.x, M: a.M, ...a.fc1, gelu: true, preActivation: u ?? undefined }, false);
  const { y: z, s } = linearForward(ctx, { x: h, M: a.M, ...a.fc2, layerScale: a.layerScale, residual: a.residual }, weightGrads);
  if (tape && u) {
    tape.record(mlpOp, {
      inputs: a.residual ? [a.x, a.residual] : [a.x],
      outputs: [z],
      saved: { u, x: weightGrads ? a.x : undefined, h: weightGrads ? h : undefined, s: s ?? undefined },
      attrs: { M: a.M, D, H, N: a.fc2.weight.t.shape[0], fc1: a.fc1, fc2: a.fc2, layerScale: a.layerScale ?? null, residual: a.residual ?? null },
    });
  }
  u?.release();
  s?.release();
  h.release();
  return z;
}

export interface MlpAttrs {
  M: number;
  /** fc1: D -> H, fc2: H -> N. */
  D: number;
  H: number;
  N: number;
  fc1: { weight: Param; bias: Param | null };
  fc2: { weight: Param; bias: Param | null };
  layerScale: Param | null;
  residual: Tensor | null;
}

export const mlpOp = defineOp<MlpAttrs, { u: Tensor; x?: Tensor; h?: Tensor; s?: Tensor }>({
  name: 'mlp',
  backward: (rec, bw) => {
    const { M, D, H, N, fc1, fc2, layerScale, residual } = rec.attrs;
    const { u, x, h, s } = rec.saved;
    const z = rec.outputs[0];
    if (residual) bw.passThrough(residual, z);
    const dh = bw.ctx.empty([bw.T * M, H]);
    linearGrad(bw, { M, N, K: H, ...fc2, layerScale }, bw.gradOf(z)!, { x: h, s }, { t: dh, accumulate: false });
    const du = bw.ctx.empty([bw.T * M, H]);
    geluBackward(bw.ctx, dh, u, du, bw.T * M * H, M * H);
    dh.release();
    const dx = bw.into(rec.inputs[0]);
    linearGrad(bw, { M, N: H, K: D, ...fc1, layerScale: null }, du, { x }, { t: dx.g, accumulate: dx.accumulate });
    du.release();
  },
});
