/**
 * Images split into patches, as the pixel-row kernels that work patch-wise (compose, FGSM,
 * occlusion) see them: [planes, H, W] pixels in ph x pw patches, gw patches per row, P per
 * image; pixels past the last whole patch belong to none.
 */
import { DIV_SMALL_WGSL } from '../wgsl-util.js';

export interface PatchedImages {
  C: number;
  H: number;
  W: number;
  ph: number;
  pw: number;
  gw: number;
  /** Patches per image. */
  P: number;
}

/** The uniform fields of a PatchedImages, to spread into a kernel's uniform struct. */
export const PATCHED_IMAGE_FIELDS = { C: 'u32', H: 'u32', W: 'u32', ph: 'u32', pw: 'u32', gw: 'u32', P: 'u32' } as const;

export function patchedImageParams(g: PatchedImages): PatchedImages {
  return { C: g.C, H: g.H, W: g.W, ph: g.ph, pw: g.pw, gw: g.gw, P: g.P };
}

/** WGSL `patch_of(x, y)`: the patch of pixel (x, y) within its image, or NO_PATCH. */
export const PATCH_OF_WGSL = /* wgsl */ `
${DIV_SMALL_WGSL}
const NO_PATCH = 0xffffffffu;
fn patch_of(x: u32, y: u32) -> u32 {
  let r = y / p.ph;
  let q = div_small(x, p.pw);
  if (r < p.H / p.ph && q < p.gw) { return r * p.gw + q; }
  return NO_PATCH;
}`;
