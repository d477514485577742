/** WGSL shared by both matmul families: bindings, batch addressing and the fused epilogue. */
import type { Binding } from '../gpu/kernel.js';
import { uniformStruct } from '../gpu/uniforms.js';
import { GELU_WGSL } from './gelu-math.js';

export const MatmulParams = uniformStruct({
  M: 'u32', N: 'u32', K: 'u32', alpha: 'f32', flags: 'u32', nz2: 'u32',
  aOff: 'u32', aRs: 'u32', aCs: 'u32', aS1: 'u32', aS2: 'u32', aMod: 'u32',
  bOff: 'u32', bRs: 'u32', bCs: 'u32', bS1: 'u32', bS2: 'u32', bMod: 'u32',
  cOff: 'u32', cRs: 'u32', cS1: 'u32', cS2: 'u32', cMod: 'u32',
  rOff: 'u32', rRs: 'u32', rS1: 'u32', rS2: 'u32', rMod: 'u32',
  biasOff: 'u32', scaleOff: 'u32',
  uOff: 'u32', uRs: 'u32', uS1: 'u32', uS2: 'u32', uMod: 'u32',
});

/** Epilogue steps switched by uniform flags: cheap, so one pipeline serves every combination. */
export const EPILOGUE_FLAGS = { bias: 1, scale: 4, residual: 8, accumulate: 16 } as const;

/**
 * Epilogue steps compiled in, not switched by a flag: on lavapipe a flag-guarded activation in
 * the unrolled epilogue still costs every matmul its price (measured: fc2's plain input-gradient
 * matmul ran 2x slower with a gelu' behind a flag), so each activation is its own pipeline.
 *   gelu       v = gelu(v)
 *   gelu-pre   U = v, then v = gelu(v) (a recorded forward keeps the pre-activation)
 * (A gelu' epilogue for the MLP's backward was measured too and dropped: the separate
 * elementwise pass reads u contiguously, the epilogue gathered it, and the backward was slower.)
 */
export type Activation = 'none' | 'gelu' | 'gelu-pre';

/** The activation a matmul call needs. */
export function activationOf(o: { gelu?: boolean; preActivation?: unknown }): Activation {
  if (o.preActivation && !o.gelu) throw new Error('matmul: preActivation is the value before the GELU; it needs gelu');
  return o.gelu ? (o.preActivation ? 'gelu-pre' : 'gelu') : 'none';
}

/** Kernels with a U binding (the pre-activation output). */
export const usesU = (act: Activation) => act === 'gelu-pre';

/**
 * Where a batched matrix sits in a flat buffer: element [z][m, n] of the batch z = z1 * nz2 + z2
 * is at offset + (z1 % mod) * s1 + z2 * s2 + m * rowStride + n * colStride.
 */
export interface MatrixStrides {
  /** Element offset of [0][0, 0]. */
  offset?: number;
  /** Element stride between rows. */
  rowStride: number;
  /** Element stride between columns (default 1). */
  colStride?: number;
  /** Batch strides for z1 and z2 (default 0: shared across the batch). */
  s1?: number;
  s2?: number;
  /** z1 is taken modulo this (default: no modulo). */
  mod?: number;
}

/**
 * A matmul with its epilogue, over matrices of type View and per-column vectors of type Vector
 * (tensors on the GPU, arrays for the CPU twin).
 */
export interface MatmulSpec<View extends MatrixStrides, Vector> {
  M: number;
  N: number;
  K: number;
  /** Batch counts; the batch is z1 in [0, nz1) x z2 in [0, nz2). */
  nz1?: number;
  nz2?: number;
  a: View;
  b: View;
  c: View;
  alpha?: number;
  /** Bias over n (element offset into the vector). */
  bias?: Vector & { offset?: number };
  gelu?: boolean;
  /** Per-column scale applied after bias/GELU (timm LayerScale). */
  scale?: Vector & { offset?: number };
  /** Residual added last, same layout rules as C. */
  residual?: View;
  /**
   * Also store the value before the GELU here (same layout rules as C): a recorded forward keeps
   * fc1's pre-activation for GELU's gradient without a separate GELU pass.
   */
  preActivation?: View;

  /** Add into C's existing values (gradient accumulation). */
  accumulate?: boolean;
}

/** How B is laid out in memory, which decides the vectorised load. */
export type BLayout = 'kn4' | 'nk4' | 'strided';


export const MATMUL_BINDINGS = (aType: string, bType: string, act: Activation): Binding[] => [
  { name: 'A', access: 'read', type: aType },
  { name: 'B', access: 'read', type: bType },
  { name: 'BIAS', access: 'read' },
  { name: 'SCALE', access: 'read' },
  { name: 'R', access: 'read' },
  { name: 'C', access: 'read_write' },
  ...(usesU(act) ? [{ name: 'U', access: 'read_write' as const }] : []),
];

/** WGSL of the batch addressing and the epilogue for an activation. */
export const matmulHelpers = (act: Activation) => /* wgsl */ `${act === 'none' ? '' : GELU_WGSL}
fn batch_offset(z: u32, off: u32, s1: u32, s2: u32, md: u32) -> u32 {
  let z1 = z / p.nz2;
  let z2 = z % p.nz2;
  return off + (z1 % md) * s1 + z2 * s2;
}
fn a_base(z: u32) -> u32 { return batch_offset(z, p.aOff, p.aS1, p.aS2, p.aMod); }
fn b_base(z: u32) -> u32 { return batch_offset(z, p.bOff, p.bS1, p.bS2, p.bMod); }
fn c_base(z: u32) -> u32 { return batch_offset(z, p.cOff, p.cS1, p.cS2, p.cMod); }
fn r_base(z: u32) -> u32 { return batch_offset(z, p.rOff, p.rS1, p.rS2, p.rMod); }
${usesU(act) ? 'fn u_base(z: u32) -> u32 { return batch_offset(z, p.uOff, p.uS1, p.uS2, p.uMod); }' : 'fn u_base(z: u32) -> u32 { return 0u; }'}

// Epilogue pieces for kernels that own whole columns (the simd family): a column's bias and
// scale are loaded once, not once per output row.
fn col_bias(n: u32) -> f32 {
  if ((p.flags & 1u) == 0u) { return 0.0; }
  return BIAS[p.biasOff + min(n, p.N - 1u)];
}
fn col_scale(n: u32) -> f32 {
  if ((p.flags & 4u) == 0u) { return 1.0; }
  return SCALE[p.scaleOff + min(n, p.N - 1u)];
}
// The epilogue of one output element from its accumulator; the caller checked the bounds.
// cb / rb / ub are c_base(z) / r_base(z) / u_base(z), computed once per invocation (integer
// division has no SIMD form on CPUs). The flag tests are uniform: no divergence.
fn put(cb: u32, rb: u32, ub: u32, m: u32, n: u32, acc: f32, bias: f32, scale: f32) {
  var v = fma(acc, p.alpha, bias);${act === 'gelu-pre' ? '\n  U[ub + m * p.uRs + n] = v;' : ''}${act === 'gelu' || act === 'gelu-pre' ? '\n  v = gelu(v);' : ''}
  v *= scale;
  if ((p.flags & 8u) != 0u) { v += R[rb + m * p.rRs + n]; }
  let ci = cb + m * p.cRs + n;
  if ((p.flags & 16u) != 0u) { v += C[ci]; }
  C[ci] = v;
}

// Writes one output element (kernels that do not own whole columns: the tiled family).
fn store_c(cb: u32, rb: u32, ub: u32, m: u32, n: u32, acc: f32) {
  if (m >= p.M || n >= p.N) { return; }
  put(cb, rb, ub, m, n, acc, col_bias(n), col_scale(n));
}
`;
