/**
 * Patch-wise composition of two image batches, for deletion / insertion curves:
 *   OUT[s, c, y, x] = KEEP[s, patch(y, x)] != 0 ? A[img(s), c, y, x] : BASE[img(s), c, y, x]
 * where IMG[s] says which image copy s is made from. One workgroup row per (copy, channel,
 * image row), so the copy index is uniform and no per-lane division is needed.
 */
import type { GpuContext } from '../../gpu/context.js';
import { defineKernel } from '../../gpu/kernel.js';
import type { Tensor } from '../../gpu/tensor.js';
import { uniformStruct } from '../../gpu/uniforms.js';
import { PIXEL_ROW_MAIN, pixelGrid } from '../entry-points.js';
import { PATCH_OF_WGSL, PATCHED_IMAGE_FIELDS, patchedImageParams, type PatchedImages } from './patch-geometry.js';

const Params = uniformStruct(PATCHED_IMAGE_FIELDS);

const kernel = defineKernel({
  name: 'compose_patches',
  params: Params,
  bindings: [
    { name: 'A', access: 'read' },
    { name: 'BASE', access: 'read' },
    { name: 'KEEP', access: 'read' },
    { name: 'IMG', access: 'read', type: 'array<u32>' },
    { name: 'OUT', access: 'read_write' },
  ],
  body: /* wgsl */ `
${PATCH_OF_WGSL}
${PIXEL_ROW_MAIN}
  let s = wid.z / p.C;
  let c = wid.z % p.C;
  let b = IMG[s];
  let src = ((b * p.C + c) * p.H + y) * p.W + x;
  let q = patch_of(x, y);
  var keep = 0.0;
  if (q != NO_PATCH) { keep = KEEP[s * p.P + q]; }
  OUT[((s * p.C + c) * p.H + y) * p.W + x] = select(BASE[src], A[src], keep != 0.0);
}`,
});

export interface ComposeArgs extends PatchedImages {
  a: Tensor;
  base: Tensor;
  /** [S, P] 1 = take from a, 0 = from base. */
  keep: Tensor;
  /** [S] u32 image index of each copy. */
  imageOf: Tensor;
  out: Tensor;
  S: number;
}

export function composePatches(ctx: GpuContext, a: ComposeArgs): void {
  if (a.S === 0) return;
  ctx.dispatch(kernel, [a.a, a.base, a.keep, a.imageOf, a.out], patchedImageParams(a), pixelGrid(a.W, a.H, a.S * a.C));
}
