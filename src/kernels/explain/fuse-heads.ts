/**
 * Head fusion of attention maps: F[z, i, j] = fuse_h (A[z mod B, h, i, j] * G[z, h, i, j]) with
 * fuse = mean, min or max, the product with G optional (gradient-weighted methods), and an
 * optional clamp at zero (applied after fusion, or to each product before the mean as Chefer's
 * rule 5 does). z runs over T*B (targets x images): A is broadcast over the targets.
 */
import type { GpuContext } from '../../gpu/context.js';
import { defineKernel } from '../../gpu/kernel.js';
import type { Tensor } from '../../gpu/tensor.js';
import { uniformStruct } from '../../gpu/uniforms.js';

const WG = 64;
export const FUSION = { mean: 0, min: 1, max: 2 } as const;
export type HeadFusion = keyof typeof FUSION;

const Params = uniformStruct({ NN: 'u32', H: 'u32', B: 'u32', fusion: 'u32', useGrad: 'u32', reluAfter: 'u32', reluEach: 'u32' });

const kernel = defineKernel({
  name: 'fuse_heads',
  params: Params,
  bindings: [
    { name: 'A', access: 'read' },
    { name: 'G', access: 'read' },
    { name: 'F', access: 'read_write' },
  ],
  body: /* wgsl */ `
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let ij = wid.x * ${WG}u + li;
  if (ij >= p.NN) { return; }
  let z = wid.y;
  let abase = (z % p.B) * p.H * p.NN + ij;
  let gbase = z * p.H * p.NN + ij;
  var acc = 0.0;
  for (var h = 0u; h < p.H; h++) {
    var v = A[abase + h * p.NN];
    if (p.useGrad != 0u) { v *= G[gbase + h * p.NN]; }
    if (p.reluEach != 0u) { v = max(v, 0.0); }
    if (h == 0u) { acc = v; }
    else if (p.fusion == 1u) { acc = min(acc, v); }
    else if (p.fusion == 2u) { acc = max(acc, v); }
    else { acc += v; }
  }
  if (p.fusion == 0u) { acc /= f32(p.H); }
  if (p.reluAfter != 0u) { acc = max(acc, 0.0); }
  F[z * p.NN + ij] = acc;
}`,
});

export interface FuseArgs {
  /** Attention probabilities of one layer [B, H, N, N]. */
  attn: Tensor;
  /** Optional per-target gradient of the same layer [T, B, H, N, N]. */
  grad?: Tensor;
  /** Output [T*B, N, N] (T = 1 without grad). */
  out: Tensor;
  B: number;
  H: number;
  N: number;
  T?: number;
  fusion: HeadFusion;
  reluAfter?: boolean;
  reluEach?: boolean;
}

export function fuseHeads(ctx: GpuContext, a: FuseArgs): void {
  const NN = a.N * a.N;
  const rows = (a.T ?? 1) * a.B;
  ctx.dispatch(
    kernel,
    [a.attn, a.grad ?? a.attn, a.out],
    { NN, H: a.H, B: a.B, fusion: FUSION[a.fusion], useGrad: a.grad ? 1 : 0, reluAfter: a.reluAfter ? 1 : 0, reluEach: a.reluEach ? 1 : 0 },
    [Math.ceil(NN / WG), rows, 1],
  );
}
