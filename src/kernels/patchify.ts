/**
 * Patch embedding is a convolution with kernel = stride = patch, i.e. a matmul over
 * non-overlapping patches. `patchify` lays the image out as rows of patches,
 * [B * gh * gw, C * ph * pw] with columns in (channel, i, j) order — the flattening of the
 * Conv2d weight [D, C, ph, pw] — and `unpatchify` is its transpose, taking the gradient of the
 * patch rows back to pixels (pixels outside the last whole patch, which the convolution never
 * reads, get zero).
 */
import type { GpuContext } from '../gpu/context.js';
import { defineKernel } from '../gpu/kernel.js';
import type { Tensor } from '../gpu/tensor.js';
import { uniformStruct } from '../gpu/uniforms.js';
import { flatGrid, flatMain } from './entry-points.js';

const Params = uniformStruct({ n: 'u32', C: 'u32', H: 'u32', W: 'u32', ph: 'u32', pw: 'u32', gh: 'u32', gw: 'u32' });

const INDEX = flatMain('p.n');

const patchifyKernel = defineKernel({
  name: 'patchify',
  params: Params,
  bindings: [
    { name: 'IMG', access: 'read' },
    { name: 'OUT', access: 'read_write' },
  ],
  body: /* wgsl */ `${INDEX}
  // i indexes OUT[row, col]: row = (b, r, c) patch, col = (ch, y, x) inside the patch.
  let cols = p.C * p.ph * p.pw;
  let row = i / cols;
  let col = i % cols;
  let ch = col / (p.ph * p.pw);
  let y = (col / p.pw) % p.ph;
  let x = col % p.pw;
  let P = p.gh * p.gw;
  let b = row / P;
  let r = (row % P) / p.gw;
  let c = row % p.gw;
  OUT[i] = IMG[((b * p.C + ch) * p.H + r * p.ph + y) * p.W + c * p.pw + x];
}`,
});

const unpatchifyKernel = defineKernel({
  name: 'unpatchify',
  params: Params,
  bindings: [
    { name: 'DP', access: 'read' },
    { name: 'DIMG', access: 'read_write' },
  ],
  body: /* wgsl */ `${INDEX}
  // i indexes DIMG[b, ch, yy, xx].
  let xx = i % p.W;
  let yy = (i / p.W) % p.H;
  let ch = (i / (p.W * p.H)) % p.C;
  let b = i / (p.W * p.H * p.C);
  let r = yy / p.ph;
  let c = xx / p.pw;
  if (r >= p.gh || c >= p.gw) { DIMG[i] = 0.0; return; }
  let row = (b * p.gh + r) * p.gw + c;
  let col = (ch * p.ph + yy % p.ph) * p.pw + xx % p.pw;
  DIMG[i] = DP[row * p.C * p.ph * p.pw + col];
}`,
});

export interface PatchGeometry {
  B: number;
  C: number;
  H: number;
  W: number;
  ph: number;
  pw: number;
}

export function gridOf(g: PatchGeometry): { gh: number; gw: number } {
  return { gh: Math.floor(g.H / g.ph), gw: Math.floor(g.W / g.pw) };
}

export function patchify(ctx: GpuContext, img: Tensor, out: Tensor, g: PatchGeometry): void {
  const { gh, gw } = gridOf(g);
  const n = g.B * gh * gw * g.C * g.ph * g.pw;
  if (n > 0) ctx.dispatch(patchifyKernel, [img, out], { n, ...g, gh, gw }, flatGrid(n));
}

export function unpatchify(ctx: GpuContext, dPatches: Tensor, dImg: Tensor, g: PatchGeometry): void {
  const { gh, gw } = gridOf(g);
  const n = g.B * g.C * g.H * g.W;
  if (n > 0) ctx.dispatch(unpatchifyKernel, [dPatches, dImg], { n, ...g, gh, gw }, flatGrid(n));
}
