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

// One invocation per patch line: the pw pixels of one image row inside one patch column. Both
// kernels copy a line in a loop, so the index arithmetic (integer division, which lavapipe runs
// one lane at a time) is paid once per line instead of once per pixel: 6-10x faster on lavapipe
// (deit_tiny at batch 8: patchify 47.7 -> 4.7 ms, unpatchify 48 -> 5-6 ms).
const LINE = flatMain('p.n');

/** Decomposes line index i over (b, ch, y < rows, c < cols) into b, ch, y and c. */
const lineIndex = (rows: string, cols: string) => /* wgsl */ `
  let cols = ${cols};
  let rows = ${rows};
  let c = i % cols;
  let t = i / cols;
  let y = t % rows;
  let bc = t / rows;
  let ch = bc % p.C;
  let b = bc / p.C;`;

const patchifyKernel = defineKernel({
  name: 'patchify',
  params: Params,
  bindings: [
    { name: 'IMG', access: 'read' },
    { name: 'OUT', access: 'read_write' },
  ],
  body: /* wgsl */ `${LINE}
  // Lines of the whole patches only (rows < gh * ph, columns < gw): the convolution reads no others.
  ${lineIndex('p.gh * p.ph', 'p.gw')}
  // OUT[row, col]: row = (b, r, c) patch, col = (ch, yy, x) inside the patch.
  let r = y / p.ph;
  let yy = y % p.ph;
  let src = ((b * p.C + ch) * p.H + y) * p.W + c * p.pw;
  let dst = ((b * p.gh + r) * p.gw + c) * p.C * p.ph * p.pw + (ch * p.ph + yy) * p.pw;
  for (var x = 0u; x < p.pw; x++) { OUT[dst + x] = IMG[src + x]; }
}`,
});

const unpatchifyKernel = defineKernel({
  name: 'unpatchify',
  params: Params,
  bindings: [
    { name: 'DP', access: 'read' },
    { name: 'DIMG', access: 'read_write' },
  ],
  body: /* wgsl */ `${LINE}
  // Lines of the whole image (columns c < ceil(W / pw)); pixels outside the whole patches get 0.
  ${lineIndex('p.H', '((p.W + p.pw - 1u) / p.pw)')}
  let dst = ((b * p.C + ch) * p.H + y) * p.W + c * p.pw;
  let len = min(p.pw, p.W - c * p.pw);
  let r = y / p.ph;
  if (r >= p.gh || c >= p.gw) {
    for (var x = 0u; x < len; x++) { DIMG[dst + x] = 0.0; }
    return;
  }
  let src = ((b * p.gh + r) * p.gw + c) * p.C * p.ph * p.pw + (ch * p.ph + y % p.ph) * p.pw;
  for (var x = 0u; x < len; x++) { DIMG[dst + x] = DP[src + x]; }
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
  const n = g.B * g.C * gh * g.ph * gw; // patch lines
  if (n > 0 && g.pw > 0) ctx.dispatch(patchifyKernel, [img, out], { n, ...g, gh, gw }, flatGrid(n));
}

export function unpatchify(ctx: GpuContext, dPatches: Tensor, dImg: Tensor, g: PatchGeometry): void {
  const { gh, gw } = gridOf(g);
  const n = g.B * g.C * g.H * Math.ceil(g.W / g.pw); // image lines, pw pixels each (the last may be shorter)
  if (n > 0) ctx.dispatch(unpatchifyKernel, [dPatches, dImg], { n, ...g, gh, gw }, flatGrid(n));
}
