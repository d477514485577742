/**
 * Token sequence assembly: z[b, t] = prefix[t] (class / distillation / register tokens) for
 * t < NP, else the patch embedding of patch t - NP; plus the position embedding. timm's layout
 * of pos_embed decides which tokens get a position: with `no_embed_class` only the patches
 * (posPrefix = 0, pos rows = patches), otherwise every token (pos rows = NP + patches).
 */
import type { GpuContext } from '../gpu/context.js';
import { defineKernel } from '../gpu/kernel.js';
import type { Tensor } from '../gpu/tensor.js';
import { uniformStruct } from '../gpu/uniforms.js';
import { flatGrid, flatMain } from './entry-points.js';

const Params = uniformStruct({ n: 'u32', N: 'u32', NP: 'u32', D: 'u32', posPrefix: 'u32' });

const assembleKernel = defineKernel({
  name: 'assemble_tokens',
  params: Params,
  bindings: [
    { name: 'PREFIX', access: 'read' },
    { name: 'E', access: 'read' },
    { name: 'POS', access: 'read' },
    { name: 'Z', access: 'read_write' },
  ],
  body: /* wgsl */ `${flatMain('p.n')}
  let d = i % p.D;
  let t = (i / p.D) % p.N;
  let b = i / (p.D * p.N);
  let P = p.N - p.NP;
  var v: f32;
  if (t < p.NP) { v = PREFIX[t * p.D + d]; } else { v = E[(b * P + t - p.NP) * p.D + d]; }
  if (p.posPrefix != 0u) { v += POS[t * p.D + d]; } else if (t >= p.NP) { v += POS[(t - p.NP) * p.D + d]; }
  Z[i] = v;
}`,
});

export interface TokenLayout {
  B: number;
  /** Tokens per image (prefix + patches). */
  N: number;
  /** Prefix tokens (class, distillation, registers). */
  NP: number;
  D: number;
  /** Whether pos_embed has rows for the prefix tokens (timm: !no_embed_class). */
  posPrefix: boolean;
}

export function assembleTokens(ctx: GpuContext, prefix: Tensor, patches: Tensor, pos: Tensor, z: Tensor, l: TokenLayout): void {
  const n = l.B * l.N * l.D;
  if (n > 0) {
    ctx.dispatch(assembleKernel, [prefix, patches, pos, z], { n, N: l.N, NP: l.NP, D: l.D, posPrefix: l.posPrefix ? 1 : 0 }, flatGrid(n));
  }
}
