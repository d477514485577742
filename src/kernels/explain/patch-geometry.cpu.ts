/** Shared by the explain kernels' CPU twins: images [planes, H, W] and the patch a pixel falls in. */
import type { PatchedImages } from './patch-geometry.js';

export type { PatchedImages };

/** Patch index of pixel (y, x), or -1 where no whole patch covers it. */
export function patchAt(g: PatchedImages, y: number, x: number): number {
  const r = Math.floor(y / g.ph);
  const q = Math.floor(x / g.pw);
  return r < Math.floor(g.H / g.ph) && q < g.gw ? r * g.gw + q : -1;
}

/** Calls f(plane, y, x, flat index) for every pixel of `planes` planes. */
export function eachPixel(planes: number, g: { H: number; W: number }, f: (plane: number, y: number, x: number, i: number) => void): void {
  for (let s = 0; s < planes; s++) for (let y = 0; y < g.H; y++) for (let x = 0; x < g.W; x++) f(s, y, x, (s * g.H + y) * g.W + x);
}
