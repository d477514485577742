/**
 * Linear layer y = x W^T + b (PyTorch layout W [N, K]), optionally followed by timm's
 * LayerScale (y *= gamma) and a residual add (y += r) fused into the matmul epilogue.
 *
 * Backward, for dy [T*M, N]:  dr = dy (identity edge),  ds = dy * gamma,  dx = ds W,
 * and with weight gradients: dW = ds^T x, db = sum_rows ds, dgamma = sum_rows dy * s,
 * where s = x W^T + b is kept only then.
 */
import { columnSums, mulColumns } from '../../kernels/columns.js';
import { axpy } from '../../kernels/elementwise.js';
import { matmul } from '../../kernels/matmul.js';
import type { GpuContext } from '../../gpu/context.js';
import type { Tensor } from '../../gpu/tensor.js';
import type { Backward } from '../tape.js';
import { defineOp } from './define.js';
import type { OpContext, Param } from './types.js';

export interface LinearArgs {
  x: Tensor;
  /** Rows of x. */
  M: number;
  weight: Param;
  bias: Param | null;
  /** Fused GELU; forward-only (with a tape, use the separate gelu op so its input is kept). */
  gelu?: boolean;
  layerScale?: Param | null;
  residual?: Tensor | null;
}

export function linear(op: OpContext, a: LinearArgs): Tensor {
  const { ctx, tape } = op;
  const weightGrads = tape?.weightGrads ?? false;
  if (a.gelu && tape) throw new Error('linear: fused GELU cannot be recorded; use the mlp op (or the gelu op)');
  const { y, s } = linearForward(ctx, a, weightGrads);
  const [N, K] = a.weight.t.shape;
  tape?.record(linearOp, {
    inputs: a.residual ? [a.x, a.residual] : [a.x],
    outputs: [y],
    // x for dW, s for dgamma: kept only when parameter gradients are asked for.
    saved: { x: weightGrads ? a.x : undefined, s: s ?? undefined },
    attrs: { M: a.M, N, K, weight: a.weight, bias: a.bias, layerScale: a.layerScale ?? null, residual: a.residual ?? null },
  });
  s?.release();
  return y;
}

/**
 * A linear call's kernels, not recorded: y, and with LayerScale and `weightGrads` also the
 * un-scaled output s that dgamma needs (owned by the caller). `preActivation` receives the
 * value before the fused GELU (the mlp op's recorded forward).
 */
export function linearForward(ctx: GpuContext, a: LinearArgs & { preActivation?: Tensor }, weightGrads: boolean): { y: Tensor; s: Tensor | null } {
  const [N, K] = a.weight.t.shape;
  const y = ctx.empty([a.M, N]);
  const common = {
    M: a.M, N, K,
    a: { t: a.x, rowStride: K },
    b: { t: a.weight.t, rowStride: 1, colStride: K },
    bias: a.bias ? { t: a.bias.t } : undefined,
    preActivation: a.preActivation ? { t: a.preActivation, rowStride: N } : undefined,
  };
  let s: Tensor | null = null;
  if (a.layerScale && weightGrads) {
    // dgamma needs the un-scaled output: compute it, then scale and add the residual.
    s = ctx.empty([a.M, N]);
    matmul(ctx, { ...common, c: { t: s, rowStride: N }, gelu: a.gelu });
    mulColumns(ctx, s, a.layerScale.t, y, a.M, N);
    if (a.residual) axpy(ctx, a.residual, y);
  } else {
    matmul(ctx, {
      ...common,
      c: { t: y, rowStride: N },
      gelu: a.gelu,
      scale: a.layerScale ? { t: a.layerScale.t } : undefined,
      residual: a.residual ? { t: a.residual, rowStride: N } : undefined,
    });
  }
  return { y, s };
}

export interface LinearAttrs {
  M: number;
  N: number;
  K: number;
  weight: Param;
  bias: Param | null;
  layerScale: Param | null;
  residual: Tensor | null;
}

export const linearOp = defineOp<LinearAttrs, { x?: Tensor; s?: Tensor }>({
  name: 'linear',
  backward: (rec, bw) => {
    const y = rec.outputs[0];
    if (rec.attrs.residual) bw.passThrough(rec.attrs.residual, y);
    const dx = bw.into(rec.inputs[0]);
    linearGrad(bw, rec.attrs, bw.gradOf(y)!, rec.saved, { t: dx.g, accumulate: dx.accumulate });
  },
});

/** Where a linear gradient writes dx: added to `t` when `accumulate`. */
export interface LinearGradOut {
  t: Tensor;
  accumulate: boolean;
}

/**
 * The gradient of one linear call from dy [T*M, N] (the residual edge is the caller's): dx,
 * and parameter gradients when the backward asks for them (`saved.x` for dW, `saved.s` for
 * dgamma). Shared by the linear op and the fused MLP op (mlp.ts).
 */
export function linearGrad(bw: Backward, a: Omit<LinearAttrs, 'residual'>, dy: Tensor, saved: { x?: Tensor; s?: Tensor }, out: LinearGradOut): void {
  const { ctx, T } = bw;
  const { M, N, K, weight, bias, layerScale } = a;
  let ds = dy;
  if (layerScale) {
    ds = ctx.empty([T * M, N]);
    mulColumns(ctx, dy, layerScale.t, ds, T * M, N);
  }
  matmul(ctx, {
    M: T * M, N: K, K: N,
    a: { t: ds, rowStride: N },
    b: { t: weight.t, rowStride: K },
    c: { t: out.t, rowStride: K },
    accumulate: out.accumulate,
  });
  if (bw.weightGrads) {
    const xs = saved.x!;
    const dW = bw.weightInto(weight.name, [N, K]);
    matmul(ctx, { M: N, N: K, K: M, a: { t: ds, rowStride: 1, colStride: N }, b: { t: xs, rowStride: K }, c: { t: dW.g, rowStride: K }, accumulate: dW.accumulate });
    if (bias) {
      const db = bw.weightInto(bias.name, [N]);
      columnSums(ctx, { a: ds, M, N, out: db.g, accumulate: db.accumulate });
    }
    if (layerScale) {
      const dg = bw.weightInto(layerScale.name, [N]);
      columnSums(ctx, { a: dy, M, N, out: dg.g, accumulate: dg.accumulate, b: saved.s!, bRows: M });
    }
  }
  if (ds !== dy) ds.release();
}
