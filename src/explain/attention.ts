/**
 * Raw attention (seed 002): for every block and head, the class token's attention over the
 * patch tokens, fused over heads by mean / min / max; and the queries and keys of a block,
 * channel by channel, as patch-grid images.
 */
import { InputError } from '../errors.js';
import type { Tensor } from '../gpu/tensor.js';
import type { HeadFusion } from '../kernels/explain/fuse-heads.js';
import { sliceRows } from '../kernels/rows.js';
import type { VisionTransformer } from '../model/vit.js';
import { requireClassToken, type ExplanationMaps } from './maps.js';
import { tapOf, type ForwardTaps } from './sources.js';

export interface RawAttention {
  grid: [number, number];
  /** The blocks perHead holds (default: all, in order). */
  layers: number[];
  /** perHead[i][h][b]: CLS attention over the patches of block layers[i], head h. */
  perHead: Float32Array[][][];
}

/** The CLS row of the attention probabilities of every block (or of `layers`), per head, over the patch tokens. */
export async function clsAttention(model: VisionTransformer, images: Tensor, opts: { layers?: readonly number[] } = {}): Promise<RawAttention> {
  requireClassToken(model, 'class-token attention');
  const layers = checkedLayers(model, opts.layers);
  using fwd = model.forward(images, { taps: layers.map((l) => `attn.${l}`) });
  return await clsAttentionFrom(model, fwd, layers);
}

function checkedLayers(model: VisionTransformer, layers: readonly number[] | undefined): number[] {
  const { depth } = model.config;
  const out = [...(layers ?? Array.from({ length: depth }, (_, l) => l))];
  for (const l of out) {
    if (!Number.isInteger(l) || l < 0 || l >= depth) throw new InputError('bad-layer', `layer ${l} is out of range: the model has blocks 0..${depth - 1}`);
  }
  return out;
}

/** clsAttention from a forward's kept `attn.<l>` taps of `layers` (default: all blocks). */
export async function clsAttentionFrom(model: VisionTransformer, fwd: ForwardTaps, layersAsked?: readonly number[]): Promise<RawAttention> {
  requireClassToken(model, 'class-token attention');
  const layers = checkedLayers(model, layersAsked);
  const { ctx, config } = model;
  const H = config.numHeads;
  const { B, N } = fwd;
  const NP = model.numPrefix;
  using perLayer = ctx.empty([B * H, N]);
  const perHead: Float32Array[][][] = [];
  for (const l of layers) {
    // attn [B, H, N, N] viewed as B*H groups of N rows: row 0 of each group is the CLS query.
    sliceRows(ctx, tapOf(fwd, `attn.${l}`), perLayer, { groups: B * H, rowsPerGroup: N, first: 0, count: 1, D: N });
    const data = await perLayer.read();
    perHead.push(Array.from({ length: H }, (_, h) => Array.from({ length: B }, (_, b) => data.slice((b * H + h) * N + NP, (b * H + h + 1) * N))));
  }
  return { grid: fwd.grid, layers, perHead };
}

/** One map per block (maps[l][b], or per block of `layers`) of the head-fused CLS attention. */
export async function attentionMaps(model: VisionTransformer, images: Tensor, fusion: HeadFusion = 'mean', opts: { layers?: readonly number[] } = {}): Promise<ExplanationMaps> {
  return fuseClsAttention(await clsAttention(model, images, opts), fusion);
}

/** attentionMaps from per-head CLS attention: the heads fused by mean / min / max. */
export function fuseClsAttention(raw: RawAttention, fusion: HeadFusion = 'mean'): ExplanationMaps {
  const fuse = (vals: number[]) => (fusion === 'mean' ? vals.reduce((a, b) => a + b, 0) / vals.length : fusion === 'max' ? Math.max(...vals) : Math.min(...vals));
  const maps = raw.perHead.map((heads) =>
    heads[0].map((_, b) => Float32Array.from(heads[0][b], (_, i) => fuse(heads.map((h) => h[b][i])))),
  );
  return { method: `attention-${fusion}`, grid: raw.grid, signed: false, maps };
}

export interface QueryKeyMaps {
  grid: [number, number];
  /** q[b][c], k[b][c]: channel c of the queries / keys of the patch tokens (before the 1/sqrt(d) scale). */
  q: Float32Array[][];
  k: Float32Array[][];
}

/** Queries and keys of block `layer`, each channel as a patch-grid image. */
export async function queryKeyMaps(model: VisionTransformer, images: Tensor, layer: number): Promise<QueryKeyMaps> {
  const { config } = model;
  if (!Number.isInteger(layer) || layer < 0 || layer >= config.depth) {
    throw new InputError('bad-layer', `layer ${layer} is out of range: the model has blocks 0..${config.depth - 1}`);
  }
  using fwd = model.forward(images, { taps: [`qkv.${layer}`] });
  const qkv = await fwd.taps.get(`qkv.${layer}`)!.read();
  const { B, N } = fwd;
  const D = config.embedDim;
  const NP = model.numPrefix;
  const P = N - NP;
  const channels = (which: number) =>
    Array.from({ length: B }, (_, b) =>
      Array.from({ length: D }, (_, c) => Float32Array.from({ length: P }, (_, i) => qkv[(b * N + NP + i) * 3 * D + which * D + c])),
    );
  return { grid: fwd.grid, q: channels(0), k: channels(1) };
}
