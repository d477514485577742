/**
 * One masked, targeted FGSM step on a batch: X <- clamp(X - eps_c * sign(G), lo_c, hi_c) on the
 * pixels whose patch is in the mask (MASK[b, patch(y, x)] != 0) of images still attacked
 * (ACTIVE[b] != 0); every other pixel is left untouched. G is the gradient of the loss to
 * decrease; CHANNEL[3c..3c+2] = (lo_c, hi_c, eps_c) are the valid pixel range and the step in
 * normalised units.
 */
import type { GpuContext } from '../../gpu/context.js';
import { defineKernel } from '../../gpu/kernel.js';
import type { Tensor } from '../../gpu/tensor.js';
import { uniformStruct } from '../../gpu/uniforms.js';
import { PIXEL_ROW_MAIN, pixelGrid } from '../entry-points.js';
import { PATCH_OF_WGSL, PATCHED_IMAGE_FIELDS, patchedImageParams, type PatchedImages } from './patch-geometry.js';

const Params = uniformStruct(PATCHED_IMAGE_FIELDS);

const kernel = defineKernel({
  name: 'fgsm_step',
  params: Params,
  bindings: [
    { name: 'G', access: 'read' },
    { name: 'MASK', access: 'read' },
    { name: 'ACTIVE', access: 'read' },
    { name: 'CHANNEL', access: 'read' },
    { name: 'X', access: 'read_write' },
  ],
  body: /* wgsl */ `
${PATCH_OF_WGSL}
${PIXEL_ROW_MAIN}
  let b = wid.z / p.C;
  let c = wid.z % p.C;
  let q = patch_of(x, y);
  var m = 0.0;
  if (q != NO_PATCH) { m = MASK[b * p.P + q]; }
  // Pixels outside the mask, and images that are done, are not touched at all (not even
  // clamped): an empty mask leaves the image bit for bit as it was.
  if (m * ACTIVE[b] == 0.0) { return; }
  let i = ((b * p.C + c) * p.H + y) * p.W + x;
  let v = X[i] - CHANNEL[3u * c + 2u] * sign(G[i]);
  X[i] = clamp(v, CHANNEL[3u * c], CHANNEL[3u * c + 1u]);
}`,
});

export interface FgsmArgs extends PatchedImages {
  grad: Tensor;
  mask: Tensor;
  active: Tensor;
  /** [C, 3]: lo, hi, eps per channel. */
  channel: Tensor;
  x: Tensor;
  B: number;
}

export function fgsmStep(ctx: GpuContext, a: FgsmArgs): void {
  ctx.dispatch(kernel, [a.grad, a.mask, a.active, a.channel, a.x], patchedImageParams(a), pixelGrid(a.W, a.H, a.B * a.C));
}
