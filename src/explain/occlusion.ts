/**
 * Occlusion (blank-out) map, seed 000's reference for faithfulness: the drop of the target's
 * softmax probability when one patch is blacked out in pixel space,
 *   map[p] = prob(x)[t] - prob(x with patch p set to the fill colour)[t].
 * Black means pixel value 0 in every channel, i.e. (0 - mean_c) / std_c in input space. All
 * occluded images are built and classified on the GPU in batches.
 */
import type { Tensor } from '../gpu/tensor.js';
import { occludePatches } from '../kernels/explain/occlude.js';
import { softmax } from '../model/predict.js';
import type { VisionTransformer } from '../model/vit.js';
import { normalizedFill } from './baselines.js';
import { chunkSize, selectedPatches, type ProgressFn } from './chunks.js';
import type { ExplanationMaps } from './maps.js';
import { resolveClasses, type ClassSpec } from './class-specs.js';

/** Moved to baselines.ts; re-exported for the modules that still import it from here. */

export interface OcclusionOptions {
  /** Fill colour as pixel values in [0, 1] per channel (default black: 0). */
  fill?: number | readonly number[];
  chunk?: number;
  /** Only these patch indices (others are NaN in the maps); default every patch. */
  patches?: readonly number[];
  onProgress?: ProgressFn;
}

export async function occlusion(model: VisionTransformer, images: Tensor, classes: ClassSpec | readonly ClassSpec[], opts: OcclusionOptions = {}): Promise<ExplanationMaps> {
  const ids = await resolveClasses(model, images, classes);
  const { ctx, config } = model;
  const C = config.numClasses;
  const [B, Ch, H, W] = images.shape;
  const full = model.forward(images);
  const fullLogits = await full.logits!.read();
  const { N, grid } = full;
  full.release();
  const [gh, gw] = grid;
  const P = gh * gw;
  const patches = selectedPatches(opts.patches, P);
  const items = Array.from({ length: B }, (_, b) => patches.map((p) => b * P + p)).flat();
  const total = items.length;
  const chunk = Math.min(total, opts.chunk ?? chunkSize(model, N));
  using fill = ctx.upload(normalizedFill(model, opts.fill));
  using itemIds = ctx.upload(Uint32Array.from(items));
  const occluded = new Float32Array(B * P * C).fill(NaN);
  for (let first = 0; first < total; first += chunk) {
    const count = Math.min(chunk, total - first);
    using batch = ctx.empty([count, Ch, H, W]);
    occludePatches(ctx, { images, fill, items: itemIds, out: batch, C: Ch, H, W, ph: config.patchSize[0], pw: config.patchSize[1], gw, P, first, count });
    using r = model.forward(batch);
    const out = await r.logits!.read();
    for (let s = 0; s < count; s++) occluded.set(out.subarray(s * C, (s + 1) * C), items[first + s] * C);
    opts.onProgress?.(first + count, total);
  }
  const fullProbs = Array.from({ length: B }, (_, b) => softmax(fullLogits.subarray(b * C, (b + 1) * C)));
  const maps = ids.map((row) =>
    row.map((cls, b) =>
      Float32Array.from({ length: P }, (_, p) => {
        const item = b * P + p;
        const logits = occluded.subarray(item * C, (item + 1) * C);
        return Number.isNaN(logits[0]) ? NaN : fullProbs[b][cls] - softmax(logits)[cls];
      }),
    ),
  );
  return { method: 'occlusion', grid, signed: true, classes: ids, maps };
}
