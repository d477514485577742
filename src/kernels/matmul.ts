/**
 * Batched, strided matrix multiply with a fused epilogue — the one kernel every linear layer,
 * attention product and their gradients go through:
 *
 *   C[z][m, n] = epilogue( alpha * sum_k A[z][m, k] * B[z][k, n] )
 *   epilogue(v) = ((v + bias[n]) |> gelu?) * scale[n] + R[z][m, n] (+ C[z][m, n] if accumulate)
 *
 * and, with `preActivation`, U[z][m, n] = v + bias[n] (the value before the GELU) as a second
 * output.
 *
 * Operands are views into larger buffers (offset, row/column strides), so Q, K and V are read
 * straight out of the fused qkv output and each head's output is written straight into its
 * columns. The batch index z = z1 * nz2 + z2 addresses operand `o` at
 * `o.offset + (z1 % o.mod) * o.s1 + z2 * o.s2`; `mod` broadcasts a saved forward tensor over
 * the T targets of a multi-target backward (z1 = t * B + b reads batch b).
 *
 * Two kernel families implement it (see matmul-simd.ts, matmul-tiled.ts); B's memory layout
 * picks the fast path: `kn4` (n contiguous, vec4 over n), `nk4` (k contiguous, vec4 over k,
 * e.g. PyTorch Linear weights as stored), or `strided` (anything else, scalar loads).
 */
import type { GpuContext } from '../gpu/context.js';
import type { Tensor } from '../gpu/tensor.js';
import { activationOf, EPILOGUE_FLAGS, usesU, type Activation, type BLayout, type MatmulSpec, type MatrixStrides } from './matmul-common.js';
import { simdMatmulKernel, type MatmulKernel } from './matmul-simd.js';
import { tiledMatmulKernel } from './matmul-tiled.js';

export interface MatrixView extends MatrixStrides {
  t: Tensor;
}

export type MatmulOptions = MatmulSpec<MatrixView, { t: Tensor }>;

export type { BLayout };

const NO_MOD = 0xffffffff;

function aligned4(...xs: number[]): boolean {
  return xs.every((x) => x % 4 === 0);
}

export function chooseBLayout(o: MatmulOptions): BLayout {
  const b = o.b;
  const cs = b.colStride ?? 1;
  const off = b.offset ?? 0;
  const batch = [b.s1 ?? 0, b.s2 ?? 0];
  if (cs === 1 && aligned4(b.rowStride, off, o.N, ...batch)) return 'kn4';
  if (b.rowStride === 1 && aligned4(cs, off, o.K, ...batch)) return 'nk4';
  return 'strided';
}

/** A's rows can be read as vec4: contiguous, 16-byte aligned, K a multiple of 4. */
export function vectorizableA(o: MatmulOptions): boolean {
  const a = o.a;
  return (a.colStride ?? 1) === 1 && aligned4(a.rowStride, a.offset ?? 0, a.s1 ?? 0, a.s2 ?? 0, o.K);
}

/** The simd kernel for this matmul: the context's tile for its shape class (a tuned table), else the layout's default. */
function simdKernelFor(ctx: GpuContext, o: MatmulOptions, layout: BLayout, batch: number, act: Activation): MatmulKernel {
  const vecA = vectorizableA(o);
  const colMajor = (v: MatrixView) => v.rowStride === 1 && (v.colStride ?? 1) !== 1;
  const tile = ctx.chooseTile({ layout, vecA, colMajorA: colMajor(o.a), colMajorB: colMajor(o.b), M: o.M, N: o.N, K: o.K, batch });
  return simdMatmulKernel(layout, ctx.lanes, vecA, { act, tile: tile ?? undefined });
}

export function matmul(ctx: GpuContext, o: MatmulOptions): void {
  const nz1 = o.nz1 ?? 1;
  const nz2 = o.nz2 ?? 1;
  if (o.M === 0 || o.N === 0 || nz1 === 0 || nz2 === 0) return;
  const layout = chooseBLayout(o);
  const act = activationOf(o);
  const kernel = ctx.kernelFamily === 'simd' ? simdKernelFor(ctx, o, layout, nz1 * nz2, act) : tiledMatmulKernel(act);
  const flags =
    (o.bias ? EPILOGUE_FLAGS.bias : 0) |
    (o.scale ? EPILOGUE_FLAGS.scale : 0) |
    (o.residual ? EPILOGUE_FLAGS.residual : 0) |
    (o.accumulate ? EPILOGUE_FLAGS.accumulate : 0);
  const r = o.residual;
  const u = o.preActivation;
  const dummy = ctx.empty([4]);
  const params = {
    M: o.M, N: o.N, K: o.K, alpha: o.alpha ?? 1, flags, nz2,
    aOff: o.a.offset ?? 0, aRs: o.a.rowStride, aCs: o.a.colStride ?? 1, aS1: o.a.s1 ?? 0, aS2: o.a.s2 ?? 0, aMod: o.a.mod ?? NO_MOD,
    bOff: o.b.offset ?? 0, bRs: o.b.rowStride, bCs: o.b.colStride ?? 1, bS1: o.b.s1 ?? 0, bS2: o.b.s2 ?? 0, bMod: o.b.mod ?? NO_MOD,
    cOff: o.c.offset ?? 0, cRs: o.c.rowStride, cS1: o.c.s1 ?? 0, cS2: o.c.s2 ?? 0, cMod: o.c.mod ?? NO_MOD,
    rOff: r?.offset ?? 0, rRs: r?.rowStride ?? 0, rS1: r?.s1 ?? 0, rS2: r?.s2 ?? 0, rMod: r?.mod ?? NO_MOD,
    biasOff: o.bias?.offset ?? 0, scaleOff: o.scale?.offset ?? 0,
    uOff: u?.offset ?? 0, uRs: u?.rowStride ?? 0, uS1: u?.s1 ?? 0, uS2: u?.s2 ?? 0, uMod: u?.mod ?? NO_MOD,
  };
  const [tileM, tileN] = kernel.tile;
  const grid: [number, number, number] = [Math.ceil(o.N / tileN), Math.ceil(o.M / tileM), nz1 * nz2];
  ctx.dispatch(
    kernel.kernel,
    [o.a.t, o.b.t, o.bias?.t ?? dummy, o.scale?.t ?? dummy, r?.t ?? dummy, o.c.t, ...(usesU(act) ? [u!.t] : [])],
    params,
    grid,
    `${kernel.kernel.cacheKey} ${nz1 * nz2 > 1 ? `${nz1 * nz2}x` : ''}${o.M}x${o.K}x${o.N}`,
  );
  dummy.release();
}
