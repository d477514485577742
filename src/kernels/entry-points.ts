/**
 * The entry points shared by the kernels that are not row reductions (those use row-kernel.ts):
 *  - flat: one invocation per element of a flat index space, 64 per workgroup, over a grid split
 *    by `grid1d` when it exceeds the per-dimension limit;
 *  - pixel rows: one invocation per pixel of an image row, workgroup y = image row, workgroup z =
 *    the plane (image x channel, or copy x channel), so the plane index is uniform and no
 *    per-lane division is needed to find it.
 * Each returns the WGSL up to and including the bounds check; the kernel appends its statements
 * and the closing brace.
 */
import { grid1d } from '../gpu/kernel.js';

export const FLAT_WG = 64;

/** `fn main` header that defines the flat index `i` and returns when `i >= bound`. */
export function flatMain(bound: string): string {
  return /* wgsl */ `
@compute @workgroup_size(${FLAT_WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = (wid.x + wid.y * nwg.x) * ${FLAT_WG}u + li;
  if (i >= ${bound}) { return; }`;
}

/** Grid for `flatMain` over n elements. */
export function flatGrid(n: number): [number, number, number] {
  return grid1d(Math.ceil(n / FLAT_WG));
}

export const PIXEL_WG = 64;

/** `fn main` header that defines pixel column `x` (< p.W), row `y` and the plane `wid.z`. */
export const PIXEL_ROW_MAIN = /* wgsl */ `
@compute @workgroup_size(${PIXEL_WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let x = wid.x * ${PIXEL_WG}u + li;
  let y = wid.y;
  if (x >= p.W) { return; }`;

/** Grid for `PIXEL_ROW_MAIN` over planes of H rows of W pixels. */
export function pixelGrid(W: number, H: number, planes: number): [number, number, number] {
  return [Math.ceil(W / PIXEL_WG), H, planes];
}
