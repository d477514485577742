/**
 * Token ablation map (TAM) as the CDAM notebook defines it: the drop in the target logit when
 * one patch token is deleted from the sequence entering the first block (after the position
 * embedding was added; the other tokens keep their positions), tam = logit(full) - logit(without
 * token). All B x P ablated sequences are batched on the GPU instead of one forward per token.
 */
import type { Tensor } from '../gpu/tensor.js';
import { gatherRows } from '../kernels/rows.js';
import type { OpContext } from '../model/ops/index.js';
import type { TensorRef } from '../model/tape.js';
import type { VisionTransformer } from '../model/vit.js';
import { chunkSize, selectedPatches, type ProgressFn } from './chunks.js';
import type { ExplanationMaps } from './maps.js';
import { resolveClasses, type ClassSpec } from './class-specs.js';

export interface AblationOptions {
  /** Ablated sequences per batched forward (default: from a 64 MiB activation budget). */
  chunk?: number;
  /** Only these patch indices (others are NaN in the maps); default every patch. */
  patches?: readonly number[];
  onProgress?: ProgressFn;
}

export async function tokenAblation(model: VisionTransformer, images: Tensor, classes: ClassSpec | readonly ClassSpec[], opts: AblationOptions = {}): Promise<ExplanationMaps> {
  const ids = await resolveClasses(model, images, classes);
  const { ctx, config } = model;
  const C = config.numClasses;
  const D = config.embedDim;
  const [B, , H, W] = images.shape;
  const op: OpContext = { ctx, tape: null };
  const full = model.forward(images);
  const fullLogits = await full.logits!.read();
  const { N, grid } = full;
  full.release();
  const NP = model.numPrefix;
  const P = N - NP;
  const patches = selectedPatches(opts.patches, P);
  const items = Array.from({ length: B }, (_, b) => patches.map((p) => ({ b, p }))).flat();
  using z0 = model.embed(op, images, { B, H, W }, new Map(), new Map<string, TensorRef>());
  const total = items.length;
  const chunk = Math.min(total, opts.chunk ?? chunkSize(model, N - 1));
  const ablated = new Float32Array(B * P * C).fill(NaN);
  for (let first = 0; first < total; first += chunk) {
    const count = Math.min(chunk, total - first);
    // Sequence s drops patch token NP + p of image b, (b, p) = items[first + s].
    const idx = new Uint32Array(count * (N - 1));
    for (let s = 0; s < count; s++) {
      const { b, p } = items[first + s];
      const drop = NP + p;
      let k = 0;
      for (let t = 0; t < N; t++) if (t !== drop) idx[s * (N - 1) + k++] = b * N + t;
    }
    using idxT = ctx.upload(idx);
    const zs = ctx.empty([count * (N - 1), D]);
    gatherRows(ctx, z0, idxT, zs, { rows: count * (N - 1), D });
    using zL = model.encode(op, zs, count, N - 1, new Map(), new Map()); // takes zs
    const head = model.head(op, zL, count, N - 1, new Map());
    using latent = head.latent;
    using logits = head.logits!;
    const out = await logits.read();
    for (let s = 0; s < count; s++) {
      const { b, p } = items[first + s];
      ablated.set(out.subarray(s * C, (s + 1) * C), (b * P + p) * C);
    }
    opts.onProgress?.(first + count, total);
  }
  const maps = ids.map((row) =>
    row.map((cls, b) => Float32Array.from({ length: P }, (_, p) => fullLogits[b * C + cls] - ablated[(b * P + p) * C + cls])),
  );
  return { method: 'tam', grid, signed: true, classes: ids, maps };
}
