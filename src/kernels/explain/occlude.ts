/**
 * Occluded copies of images: copy s of a chunk is item ITEMS[first + s] = b * P + p, image b with
 * patch p replaced by a fill value per channel (in normalised input space).
 * One workgroup row per (copy, channel, image row): the patch test is per lane, the copy and
 * patch indices are uniform, so no per-lane integer division is needed.
 */
import type { GpuContext } from '../../gpu/context.js';
import { defineKernel } from '../../gpu/kernel.js';
import type { Tensor } from '../../gpu/tensor.js';
import { uniformStruct } from '../../gpu/uniforms.js';
import { PIXEL_ROW_MAIN, pixelGrid } from '../entry-points.js';
import { PATCHED_IMAGE_FIELDS, patchedImageParams, type PatchedImages } from './patch-geometry.js';

const Params = uniformStruct({ ...PATCHED_IMAGE_FIELDS, first: 'u32' });

const kernel = defineKernel({
  name: 'occlude_patches',
  params: Params,
  bindings: [
    { name: 'IMG', access: 'read' },
    { name: 'FILL', access: 'read' },
    { name: 'ITEMS', access: 'read', type: 'array<u32>' },
    { name: 'OUT', access: 'read_write' },
  ],
  body: /* wgsl */ `
${PIXEL_ROW_MAIN}
  let s = wid.z / p.C;
  let c = wid.z % p.C;
  let item = ITEMS[p.first + s];
  let b = item / p.P;
  let pi = item % p.P;
  let py = (pi / p.gw) * p.ph;
  let px = (pi % p.gw) * p.pw;
  let inside = y >= py && y < py + p.ph && x >= px && x < px + p.pw;
  let src = ((b * p.C + c) * p.H + y) * p.W + x;
  OUT[((s * p.C + c) * p.H + y) * p.W + x] = select(IMG[src], FILL[c], inside);
}`,
});

export interface OccludeArgs extends PatchedImages {
  images: Tensor;
  fill: Tensor;
  /** Items b * P + p to occlude, [total] u32. */
  items: Tensor;
  out: Tensor;
  /** First item of this chunk. */
  first: number;
  count: number;
}

export function occludePatches(ctx: GpuContext, a: OccludeArgs): void {
  if (a.count === 0) return;
  ctx.dispatch(kernel, [a.images, a.fill, a.items, a.out], { ...patchedImageParams(a), first: a.first }, pixelGrid(a.W, a.H, a.count * a.C));
}
