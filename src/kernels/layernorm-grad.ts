/**
 * Gradient of LayerNorm w.r.t. its input, from the saved input and (mean, rstd):
 *   xh = (x - mean) * rstd,  g = dy * gamma,
 *   dx = rstd * (g - mean(g) - xh * mean(g * xh)).
 * Gradient rows may outnumber the saved rows (T targets): row r reads saved row r % rows.
 */
import type { GpuContext } from '../gpu/context.js';
import type { Tensor } from '../gpu/tensor.js';
import { uniformStruct } from '../gpu/uniforms.js';
import { defineRowKernel } from './row-kernel.js';

const layernormGradKernel = defineRowKernel({
  name: 'layernorm_grad',
  params: uniformStruct({ gradRows: 'u32', rows: 'u32', D: 'u32', accumulate: 'u32', gOff: 'u32' }),
  bindings: [
    { name: 'DY', access: 'read' },
    { name: 'X', access: 'read' },
    { name: 'STATS', access: 'read' },
    { name: 'G', access: 'read' },
    { name: 'DX', access: 'read_write' },
  ],
  rows: 'p.gradRows',
  body: /* wgsl */ `
  let srow = row % p.rows;
  let mean = STATS[2u * srow];
  let rstd = STATS[2u * srow + 1u];
  let gb = row * p.D;
  let xb = srow * p.D;
  var sg = 0.0;
  var sgx = 0.0;
  for (var i = tid; i < p.D; i += ROW_THREADS) {
    let g = DY[gb + i] * G[p.gOff + i];
    sg += g;
    sgx += g * (X[xb + i] - mean) * rstd;
  }
  let mg = row_sum(sg, tid) / f32(p.D);
  let mgx = row_sum(sgx, tid) / f32(p.D);
  for (var i = tid; i < p.D; i += ROW_THREADS) {
    let xh = (X[xb + i] - mean) * rstd;
    var v = rstd * (DY[gb + i] * G[p.gOff + i] - mg - xh * mgx);
    if (p.accumulate != 0u) { v += DX[gb + i]; }
    DX[gb + i] = v;
  }`,
});

export interface LayerNormGradArgs {
  dy: Tensor;
  x: Tensor;
  stats: Tensor;
  gamma: Tensor;
  gammaOffset?: number;
  dx: Tensor;
  /** Rows of the gradient (T * rows). */
  gradRows: number;
  /** Rows of the saved input. */
  rows: number;
  D: number;
  accumulate: boolean;
}

export function layernormGrad(ctx: GpuContext, a: LayerNormGradArgs): void {
  layernormGradKernel.dispatch(
    ctx,
    [a.dy, a.x, a.stats, a.gamma, a.dx],
    { gradRows: a.gradRows, rows: a.rows, D: a.D, accumulate: a.accumulate ? 1 : 0, gOff: a.gammaOffset ?? 0 },
    a.gradRows,
  );
}
