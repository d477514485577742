/**
 * From pixels to the token sequence entering the first block:
 *   patchify (conv with kernel = stride = patch as a row layout; its gradient reaches the pixels),
 *   the patch projection (a `linear` op), and the assembly of prefix tokens + patch embeddings +
 *   position embedding.
 */
import type { Tensor } from '../../gpu/tensor.js';
import { columnSums } from '../../kernels/columns.js';
import { patchify, unpatchify, type PatchGeometry, gridOf } from '../../kernels/patchify.js';
import { sliceRows } from '../../kernels/rows.js';
import { assembleTokens, type TokenLayout } from '../../kernels/tokens.js';
import { defineOp } from './define.js';
import type { OpContext, Param } from './types.js';

/** Images [B, C, H, W] -> one row per patch [B * gh * gw, C * ph * pw]. */
export function imagePatches(op: OpContext, img: Tensor, g: PatchGeometry): Tensor {
  const { gh, gw } = gridOf(g);
  const patches = op.ctx.empty([g.B * gh * gw, g.C * g.ph * g.pw]);
  patchify(op.ctx, img, patches, g);
  op.tape?.record(imagePatchesOp, { inputs: [img], outputs: [patches], saved: {}, attrs: { ...g } });
  return patches;
}

export const imagePatchesOp = defineOp<PatchGeometry>({
  name: 'image-patches',
  backward: (rec, bw) => {
    const g = rec.attrs;
    const dPatches = bw.gradOf(rec.outputs[0])!;
    const dImg = bw.ctx.empty([bw.T * g.B, g.C, g.H, g.W]);
    unpatchify(bw.ctx, dPatches, dImg, { ...g, B: bw.T * g.B });
    bw.add(rec.inputs[0], dImg);
  },
});

export interface TokenParams {
  /** [NP, D]: class, distillation and register tokens in timm's order. */
  prefix: Tensor;
  /** Names and row counts of the parameters stacked in `prefix`, for weight gradients. */
  prefixParts: { name: string; rows: number }[];
  /** Position embedding for the current grid, [rows, D]. */
  pos: Tensor;
  /** Parameter name of pos, or null when it was resampled (no weight gradient then). */
  posName: string | null;
}

export function assemble(op: OpContext, patchEmbeddings: Tensor, p: TokenParams, l: TokenLayout): Tensor {
  const z = op.ctx.empty([l.B * l.N, l.D]);
  assembleTokens(op.ctx, p.prefix, patchEmbeddings, p.pos, z, l);
  op.tape?.record(assembleOp, { inputs: [patchEmbeddings], outputs: [z], saved: {}, attrs: { ...l, params: p } });
  return z;
}

export const assembleOp = defineOp<TokenLayout & { params: TokenParams }>({
  name: 'assemble',
  backward: (rec, bw) => {
    const { ctx, T } = bw;
    const l = rec.attrs;
    const dz = bw.gradOf(rec.outputs[0])!;
    const P = l.N - l.NP;
    const dE = ctx.empty([T * l.B * P, l.D]);
    sliceRows(ctx, dz, dE, { groups: T * l.B, rowsPerGroup: l.N, first: l.NP, count: P, D: l.D });
    bw.add(rec.inputs[0], dE);
    if (bw.weightGrads) {
      // Sum over images of every token row: [N * D], then split into prefix parameters and pos.
      const sums = ctx.empty([l.N * l.D]);
      columnSums(ctx, { a: dz, M: T * l.B, N: l.N * l.D, out: sums, accumulate: false });
      let row = 0;
      for (const part of l.params.prefixParts) {
        const g = bw.weightInto(part.name, [1, part.rows, l.D]);
        if (g.accumulate) throw new Error(`${part.name} received two gradients`);
        ctx.copy(sums, row * l.D * 4, g.g, 0, part.rows * l.D * 4);
        row += part.rows;
      }
      if (l.params.posName) {
        const first = l.posPrefix ? 0 : l.NP;
        const rows = l.N - first;
        const g = bw.weightInto(l.params.posName, [1, rows, l.D]);
        ctx.copy(sums, first * l.D * 4, g.g, 0, rows * l.D * 4);
      }
      sums.release();
    }
  },
});

export type { PatchGeometry, TokenLayout, Param };
