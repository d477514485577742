/** Comparing a GPU kernel's output with its CPU twin. */
import { expect } from 'vitest';
import type { Tensor } from '../../src/gpu/tensor.js';
import { maxAbs, maxAbsDiff } from './compare.js';

/** Reads `t` and expects it within `tol` x max(1, |want|max) of `want` (tol 0: exactly equal). */
export async function expectTwin(t: Tensor, want: ArrayLike<number>, tol: number, what = ''): Promise<void> {
  const got = await t.read();
  const { max, at } = maxAbsDiff(got, want);
  expect(max, `${what} differs at ${at}: ${got[at]} vs ${want[at]}`).toBeLessThanOrEqual(tol * Math.max(1, maxAbs(want)));
}

/** Reads a u32 tensor. */
export async function readU32(t: Tensor): Promise<Uint32Array> {
  const f = await t.read();
  return new Uint32Array(f.buffer, f.byteOffset, f.length);
}
