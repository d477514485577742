/**
 * Float64 CPU twins of the model ops, composed from the kernels' CPU twins, for
 * finite-difference gradient checks. Layouts match the GPU ops exactly.
 */
import { geluRef } from '../../src/kernels/gelu-math.js';
import { layernormCpu } from '../../src/kernels/layernorm.cpu.js';
import { matmulCpu } from '../../src/kernels/matmul.cpu.js';
import { patchifyCpu as patchifyTwin } from '../../src/kernels/patchify.cpu.js';
import { meanRowsCpu, sliceRowsCpu } from '../../src/kernels/rows.cpu.js';
import { assembleTokensCpu } from '../../src/kernels/tokens.cpu.js';
import { softmaxRowsCpu } from '../../src/kernels/softmax.cpu.js';

export type F64 = Float64Array;

export function linearCpu(x: F64, M: number, W: F64, N: number, K: number, b?: F64, gamma?: F64, r?: F64): F64 {
  const y = new Float64Array(M * N);
  matmulCpu({ M, N, K, a: { data: x, rowStride: K }, b: { data: W, rowStride: 1, colStride: K }, c: { data: y, rowStride: N }, bias: b ? { data: b } : undefined, scale: gamma ? { data: gamma } : undefined, residual: r ? { data: r, rowStride: N } : undefined });
  return y;
}

export function layerNormOpCpu(x: F64, rows: number, g: F64, b: F64, eps: number): F64 {
  return layernormCpu(x, g, b, rows, g.length, eps).y;
}

/** Softmax over each row of [rows, cols]. */
export function softmaxCpu(x: F64, cols: number): F64 {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / cols; r++) {
    const row = x.subarray(r * cols, (r + 1) * cols);
    const m = Math.max(...row);
    let s = 0;
    for (let c = 0; c < cols; c++) s += y[r * cols + c] = Math.exp(row[c] - m);
    for (let c = 0; c < cols; c++) y[r * cols + c] /= s;
  }
  return y;
}

export function geluCpu(u: F64): F64 {
  return u.map(geluRef);
}

/** qkv [B*N, 3D] -> O [B*N, D] (timm attention core). */
export function attentionCpu(qkv: F64, B: number, N: number, H: number, D: number): F64 {
  const hd = D / H;
  const P = new Float64Array(B * H * N * N);
  const O = new Float64Array(B * N * D);
  const qb = { s1: N * 3 * D, s2: hd };
  matmulCpu({ M: N, N, K: hd, nz1: B, nz2: H, alpha: hd ** -0.5, a: { data: qkv, rowStride: 3 * D, ...qb }, b: { data: qkv, offset: D, rowStride: 1, colStride: 3 * D, ...qb }, c: { data: P, rowStride: N, s1: H * N * N, s2: N * N } });
  softmaxRowsCpu(P, B * H * N, N);
  matmulCpu({ M: N, N: hd, K: N, nz1: B, nz2: H, a: { data: P, rowStride: N, s1: H * N * N, s2: N * N }, b: { data: qkv, offset: 2 * D, rowStride: 3 * D, ...qb }, c: { data: O, rowStride: D, s1: N * D, s2: hd } });
  return O;
}

export function patchifyCpu(img: F64, B: number, C: number, H: number, W: number, ph: number, pw: number): F64 {
  return patchifyTwin(img, { B, C, H, W, ph, pw });
}

export function assembleCpu(prefix: F64, E: F64, pos: F64, B: number, N: number, NP: number, D: number, posPrefix: boolean): F64 {
  return assembleTokensCpu(prefix, E, pos, { B, N, NP, D, posPrefix });
}

export function poolCpu(z: F64, B: number, N: number, D: number, mode: 'token' | 'avg', first: number): F64 {
  const range = { groups: B, rowsPerGroup: N, first, D };
  return mode === 'token' ? sliceRowsCpu(z, { ...range, count: 1 }) : meanRowsCpu(z, { ...range, count: N - first });
}
