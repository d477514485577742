/**
 * Multi-head self-attention core, reading Q, K and V straight out of the fused qkv projection
 * [B*N, 3D] (column s*D + h*hd + e is component e of head h of s in q, k, v — timm's layout):
 *   S = (Q K^T) * hd^-0.5,  P = softmax(S)  (the attention probabilities, kept as a tap),
 *   O = P V, heads concatenated head-major into [B*N, D].
 *
 * Backward, per head, from dO:  dP = dO V^T (exposed as the attention-gradient tap),
 * dS = P * (dP - rowsum(dP * P)) (the `scores.<l>` tap),  dQ = scale dS K,  dK = scale dS^T Q,  dV = P^T dO,
 * written into the matching columns of dqkv.
 *
 * Two implementations of each direction, chosen by the context (`fusedAttention`): the fused
 * kernels of src/kernels/attention.ts (one dispatch forward, P written only when a tap or the
 * tape needs it; two dispatches backward, dP written only when its tap is asked for), or the
 * batched matmuls + row softmax (+ softmax gradient) they replace. The default fuses the forward
 * only: on lavapipe the fused forward is ~15 % faster, the fused gradient 5-50 % slower than
 * the matmuls (bench/attention.ts). Both save the same tensors and offer the same taps.
 */
import type { Tensor } from '../../gpu/tensor.js';
import { fusedAttention, fusedAttentionGrad } from '../../kernels/attention.js';
import { matmul } from '../../kernels/matmul.js';
import { softmaxRows } from '../../kernels/softmax.js';
import { softmaxGrad } from '../../kernels/softmax-grad.js';
import { tapName } from '../taps.js';
import { defineOp } from './define.js';
import type { OpContext } from './types.js';

export interface AttentionShape {
  B: number;
  N: number;
  H: number;
  D: number;
}

export interface AttentionOut {
  /** [B, H, N, N], or null when neither asked for (`keepProbs`) nor needed by the tape. */
  probs: Tensor | null;
  /** [B*N, D] */
  out: Tensor;
}

/**
 * `layer` names the taps of this call (`attn.<layer>`). The probabilities are computed when
 * `keepProbs` is set or a tape records the call (its gradient reads them).
 */
export function attention(op: OpContext, qkv: Tensor, s: AttentionShape, layer: number, keepProbs: boolean): AttentionOut {
  const { ctx } = op;
  const { B, N, H, D } = s;
  const out = ctx.empty([B * N, D]);
  let probs: Tensor | null = null;
  if (ctx.fusedAttention !== 'none') {
    probs = keepProbs || op.tape ? ctx.empty([B, H, N, N]) : null;
    fusedAttention(ctx, s, { qkv, out, probs: probs ?? undefined });
  } else {
    probs = ctx.empty([B, H, N, N]);
    attentionByMatmuls(op, qkv, s, probs, out);
  }
  if (op.tape) {
    // Only the fused gradient reads O (rowsum(dO * O) = rowsum(dP * P)).
    const saved = { qkv, probs: probs!, out: ctx.fusedAttention === 'both' ? out : undefined };
    op.tape.record(attentionOp, { inputs: [qkv], outputs: [out], saved, attrs: { ...s, layer } });
  }
  if (probs && !keepProbs && !op.tape) {
    probs.release();
    probs = null;
  }
  return { probs, out };
}

/** The unfused forward: batched QK^T (scaled), row softmax, batched PV. */
function attentionByMatmuls(op: OpContext, qkv: Tensor, s: AttentionShape, probs: Tensor, out: Tensor): void {
  const { ctx } = op;
  const { B, N, H, D } = s;
  const hd = D / H;
  const qkvBatch = { s1: N * 3 * D, s2: hd };
  matmul(ctx, {
    M: N, N, K: hd, nz1: B, nz2: H, alpha: hd ** -0.5,
    a: { t: qkv, rowStride: 3 * D, ...qkvBatch },
    b: { t: qkv, offset: D, rowStride: 1, colStride: 3 * D, ...qkvBatch },
    c: { t: probs, rowStride: N, s1: H * N * N, s2: N * N },
  });
  softmaxRows(ctx, probs, B * H * N, N);
  matmul(ctx, {
    M: N, N: hd, K: N, nz1: B, nz2: H,
    a: { t: probs, rowStride: N, s1: H * N * N, s2: N * N },
    b: { t: qkv, offset: 2 * D, rowStride: 3 * D, ...qkvBatch },
    c: { t: out, rowStride: D, s1: N * D, s2: hd },
  });
}

export const attentionOp = defineOp<AttentionShape & { layer: number }, { qkv: Tensor; probs: Tensor; out?: Tensor }>({
  name: 'attention',
  gradTaps: { families: ['attn', 'scores'], layer: (a) => a.layer },
  backward: (rec, bw) => {
    const { ctx, T } = bw;
    const { B, N, H, D, layer } = rec.attrs;
    const { qkv, probs, out } = rec.saved;
    const dO = bw.gradOf(rec.outputs[0])!;
    if (out) {
      const dP = bw.wants(tapName('attn', layer)) ? ctx.empty([T, B, H, N, N]) : undefined;
      using dS = ctx.empty([T, B, H, N, N]);
      const { g: dqkv, accumulate } = bw.into(rec.inputs[0]);
      fusedAttentionGrad(ctx, { B, N, H, D, T }, { qkv, probs, out, dOut: dO, dqkv, accumulate, dScores: dS, dProbs: dP });
      if (dP) {
        bw.offer(tapName('attn', layer), dP);
        dP.release();
      }
      // vit-explain's hooked gradient rollout reads this: the gradient of the pre-softmax scores.
      bw.offer(tapName('scores', layer), dS);
      return;
    }
    const hd = D / H;
    const scale = hd ** -0.5;
    const TB = T * B;
    // Saved tensors are per image: batch index z1 = t*B + b reads image b (mod B).
    const qkvSaved = { s1: N * 3 * D, s2: hd, mod: B };
    const probsSaved = { s1: H * N * N, s2: N * N, mod: B };
    const perHead = { s1: H * N * N, s2: N * N };
    const dP = ctx.empty([T, B, H, N, N]);
    matmul(ctx, {
      M: N, N, K: hd, nz1: TB, nz2: H,
      a: { t: dO, rowStride: D, s1: N * D, s2: hd },
      b: { t: qkv, offset: 2 * D, rowStride: 1, colStride: 3 * D, ...qkvSaved },
      c: { t: dP, rowStride: N, ...perHead },
    });
    bw.offer(tapName('attn', layer), dP);
    const dS = ctx.empty([T, B, H, N, N]);
    softmaxGrad(ctx, dP, probs, dS, TB * H * N, B * H * N, N);
    dP.release();
    // vit-explain's hooked gradient rollout reads this: the gradient of the pre-softmax scores.
    bw.offer(tapName('scores', layer), dS);
    const { g: dqkv, accumulate } = bw.into(rec.inputs[0]);
    const dqkvBatch = { s1: N * 3 * D, s2: hd };
    // dQ = scale dS K
    matmul(ctx, {
      M: N, N: hd, K: N, nz1: TB, nz2: H, alpha: scale, accumulate,
      a: { t: dS, rowStride: N, ...perHead },
      b: { t: qkv, offset: D, rowStride: 3 * D, ...qkvSaved },
      c: { t: dqkv, rowStride: 3 * D, ...dqkvBatch },
    });
    // dK = scale dS^T Q
    matmul(ctx, {
      M: N, N: hd, K: N, nz1: TB, nz2: H, alpha: scale, accumulate,
      a: { t: dS, rowStride: 1, colStride: N, ...perHead },
      b: { t: qkv, rowStride: 3 * D, ...qkvSaved },
      c: { t: dqkv, offset: D, rowStride: 3 * D, ...dqkvBatch },
    });
    dS.release();
    // dV = P^T dO
    matmul(ctx, {
      M: N, N: hd, K: N, nz1: TB, nz2: H, accumulate,
      a: { t: probs, rowStride: 1, colStride: N, ...probsSaved },
      b: { t: dO, rowStride: D, s1: N * D, s2: hd },
      c: { t: dqkv, offset: 2 * D, rowStride: 3 * D, ...dqkvBatch },
    });
  },
});
