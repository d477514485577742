/**
 * timm's VisionTransformer forward written in tfjs ops, for timing tfjs's backends against
 * vitlens on the same weights (pre-norm blocks, fused qkv, exact GELU, class-token pooling).
 *
 * Linear weights are stored pre-transposed ([in, out]) and multiplied without `transposeB`:
 * tfjs-wasm 4.22's fused.matMul with transposeB and a bias returns wrong values.
 */
import type * as TF from '@tensorflow/tfjs-core';
import type { VitConfig } from '../../src/model/config.js';

type Tf = typeof TF;

interface Linear {
  w: TF.Tensor2D;
  b: TF.Tensor1D;
}
interface Norm {
  g: TF.Tensor1D;
  b: TF.Tensor1D;
}
interface Block {
  n1: Norm;
  qkv: Linear;
  proj: Linear;
  n2: Norm;
  fc1: Linear;
  fc2: Linear;
}

export interface TfjsVit {
  /** [B, 3, H, W] NCHW pixels -> [B, classes] logits. */
  forward(x: TF.Tensor4D): TF.Tensor2D;
  dispose(): void;
}

/** Builds the model on the current tfjs backend from timm state_dict tensors. */
export function tfjsVit(tf: Tf, cfg: VitConfig, weights: Map<string, { shape: number[]; data: Float32Array }>): TfjsVit {
  const made: TF.Tensor[] = [];
  const get = (name: string) => {
    const w = weights.get(name);
    if (!w) throw new Error(`weights have no ${name}`);
    return w;
  };
  const keep = <T extends TF.Tensor>(t: T): T => {
    made.push(t);
    return t;
  };
  const vec = (name: string) => keep(tf.tensor1d(get(name).data));
  // PyTorch Linear [out, in] -> [in, out].
  const linear = (prefix: string): Linear => {
    const w = get(`${prefix}.weight`);
    const [out, inp] = w.shape;
    const t = new Float32Array(out * inp);
    for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) t[i * out + o] = w.data[o * inp + i];
    return { w: keep(tf.tensor2d(t, [inp, out])), b: vec(`${prefix}.bias`) };
  };
  const norm = (prefix: string): Norm => ({ g: vec(`${prefix}.weight`), b: vec(`${prefix}.bias`) });

  const D = cfg.embedDim;
  const H = cfg.numHeads;
  const hd = D / H;
  const P = cfg.patchSize[0];
  const eps = 1e-6;
  // Patch projection [D, C, P, P] -> conv2d filter [P, P, C, D] (NHWC).
  const pw = get('patch_embed.proj.weight');
  const C = pw.shape[1];
  const filter = new Float32Array(P * P * C * D);
  for (let d = 0; d < D; d++) for (let c = 0; c < C; c++) for (let y = 0; y < P; y++) for (let x = 0; x < P; x++) {
    filter[((y * P + x) * C + c) * D + d] = pw.data[((d * C + c) * P + y) * P + x];
  }
  const patchW = keep(tf.tensor4d(filter, [P, P, C, D]));
  const patchB = vec('patch_embed.proj.bias');
  const cls = keep(tf.tensor3d(get('cls_token').data, [1, 1, D]));
  const pos = keep(tf.tensor3d(get('pos_embed').data, [1, get('pos_embed').shape[1], D]));
  const blocks: Block[] = Array.from({ length: cfg.depth }, (_, l) => ({
    n1: norm(`blocks.${l}.norm1`),
    qkv: linear(`blocks.${l}.attn.qkv`),
    proj: linear(`blocks.${l}.attn.proj`),
    n2: norm(`blocks.${l}.norm2`),
    fc1: linear(`blocks.${l}.mlp.fc1`),
    fc2: linear(`blocks.${l}.mlp.fc2`),
  }));
  const final = norm('norm');
  const head = linear('head');

  const layerNorm = (x: TF.Tensor2D, n: Norm): TF.Tensor2D => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add<TF.Tensor2D>(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), n.g), n.b);
  };
  const dense = (x: TF.Tensor2D, l: Linear): TF.Tensor2D => tf.fused.matMul({ a: x, b: l.w, bias: l.b }) as TF.Tensor2D;
  const gelu = (x: TF.Tensor2D): TF.Tensor2D => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
  /** [B*N, D] -> [B, H, N, hd] */
  const heads = (t: TF.Tensor2D, B: number, N: number) => tf.transpose(tf.reshape(t, [B, N, H, hd]), [0, 2, 1, 3]) as TF.Tensor4D;

  return {
    forward(x) {
      const B = x.shape[0];
      const conv = tf.conv2d(tf.transpose(x, [0, 2, 3, 1]), patchW, P, 'valid');
      const patches = tf.reshape(tf.add(conv, patchB), [B, -1, D]);
      let z = tf.add(tf.concat([tf.tile(cls, [B, 1, 1]), patches], 1), pos) as TF.Tensor3D;
      const N = z.shape[1];
      let z2 = tf.reshape(z, [B * N, D]) as TF.Tensor2D;
      for (const blk of blocks) {
        const qkv = dense(layerNorm(z2, blk.n1), blk.qkv);
        const [q, k, v] = tf.split(qkv, 3, 1) as TF.Tensor2D[];
        const scores = tf.matMul(tf.mul(heads(q, B, N), hd ** -0.5), heads(k, B, N), false, true);
        const o = tf.matMul(tf.softmax(scores), heads(v, B, N));
        const merged = tf.reshape(tf.transpose(o, [0, 2, 1, 3]), [B * N, D]) as TF.Tensor2D;
        z2 = tf.add(z2, dense(merged, blk.proj));
        z2 = tf.add(z2, dense(gelu(dense(layerNorm(z2, blk.n2), blk.fc1)), blk.fc2));
      }
      z = tf.reshape(z2, [B, N, D]);
      const clsOut = tf.reshape(tf.slice(z, [0, 0, 0], [B, 1, D]), [B, D]) as TF.Tensor2D;
      return dense(layerNorm(clsOut, final), head);
    },
    dispose() {
      for (const t of made) t.dispose();
    },
  };
}
