/** CPU twins of `patchify` and `unpatchify` (float64). */
import { gridOf, type PatchGeometry } from './patchify.js';

type Values = ArrayLike<number>;

/** Image [B, C, H, W] -> patch rows [B * gh * gw, C * ph * pw], columns in (channel, y, x) order. */
export function patchifyCpu(img: Values, g: PatchGeometry): Float64Array {
  const { gh, gw } = gridOf(g);
  const out = new Float64Array(g.B * gh * gw * g.C * g.ph * g.pw);
  let i = 0;
  for (let b = 0; b < g.B; b++) for (let r = 0; r < gh; r++) for (let c = 0; c < gw; c++)
    for (let ch = 0; ch < g.C; ch++) for (let y = 0; y < g.ph; y++) for (let x = 0; x < g.pw; x++)
      out[i++] = img[((b * g.C + ch) * g.H + r * g.ph + y) * g.W + c * g.pw + x];
  return out;
}

/** The transpose of patchifyCpu: patch rows back to pixels, zero where no whole patch covers them. */
export function unpatchifyCpu(patches: Values, g: PatchGeometry): Float64Array {
  const { gh, gw } = gridOf(g);
  const img = new Float64Array(g.B * g.C * g.H * g.W);
  let i = 0;
  for (let b = 0; b < g.B; b++) for (let r = 0; r < gh; r++) for (let c = 0; c < gw; c++)
    for (let ch = 0; ch < g.C; ch++) for (let y = 0; y < g.ph; y++) for (let x = 0; x < g.pw; x++)
      img[((b * g.C + ch) * g.H + r * g.ph + y) * g.W + c * g.pw + x] = patches[i++];
  return img;
}
