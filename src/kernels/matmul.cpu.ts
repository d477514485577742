/**
 * CPU twin of `matmul` for tests: same operand and epilogue semantics, float64 accumulation,
 * and float64 storage when given Float64Arrays (finite-difference checks).
 */
type Data = Float32Array | Float64Array;
import { geluRef } from './gelu-math.js';
import type { MatmulSpec, MatrixStrides } from './matmul-common.js';

export interface CpuMatrixView extends MatrixStrides {
  data: Data;
}

export type CpuMatmulOptions = MatmulSpec<CpuMatrixView, { data: Data }>;

function base(v: CpuMatrixView, z1: number, z2: number): number {
  return (v.offset ?? 0) + (z1 % (v.mod ?? Infinity)) * (v.s1 ?? 0) + z2 * (v.s2 ?? 0);
}

export function matmulCpu(o: CpuMatmulOptions): void {
  const nz1 = o.nz1 ?? 1;
  const nz2 = o.nz2 ?? 1;
  for (let z1 = 0; z1 < nz1; z1++) {
    for (let z2 = 0; z2 < nz2; z2++) {
      const ab = base(o.a, z1, z2);
      const bb = base(o.b, z1, z2);
      const cb = base(o.c, z1, z2);
      const acs = o.a.colStride ?? 1;
      const bcs = o.b.colStride ?? 1;
      for (let m = 0; m < o.M; m++) {
        for (let n = 0; n < o.N; n++) {
          let acc = 0;
          for (let k = 0; k < o.K; k++) acc += o.a.data[ab + m * o.a.rowStride + k * acs] * o.b.data[bb + k * o.b.rowStride + n * bcs];
          let v = acc * (o.alpha ?? 1);
          if (o.bias) v += o.bias.data[(o.bias.offset ?? 0) + n];
          if (o.preActivation) o.preActivation.data[base(o.preActivation, z1, z2) + m * o.preActivation.rowStride + n] = v;
          if (o.gelu) v = geluRef(v);
          if (o.scale) v *= o.scale.data[(o.scale.offset ?? 0) + n];
          if (o.residual) v += o.residual.data[base(o.residual, z1, z2) + m * o.residual.rowStride + n];
          const ci = cb + m * o.c.rowStride + n;
          if (o.accumulate) v += o.c.data[ci];
          o.c.data[ci] = v;
        }
      }
    }
  }
}
