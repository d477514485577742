/**
 * timm's VisionTransformer in WGSL: patch embedding, prefix tokens and position embedding,
 * pre-norm blocks (attention + GELU MLP, optional LayerScale), pooling, final norm and head.
 *
 * `forward` records every kernel into the context's command stream and returns GPU tensors;
 * nothing is read back. With a tape it also records the ops for `backward`. The forward is split
 * into `embed` (pixels -> tokens), `encode` (the blocks) and `head` (pooling -> logits) so that
 * explanation methods can run the blocks on edited token sequences (token ablation).
 */
import { InputError } from '../errors.js';
import type { GpuContext } from '../gpu/context.js';
import type { Tensor } from '../gpu/tensor.js';
import { numPrefixTokens, type VitConfig } from './config.js';
import { attention, average, assemble, imagePatches, layerNorm, linear, mlp, pool, softmax, type OpContext, type Param } from './ops/index.js';
import type { TokenParams } from './ops/embed.js';
import { nativeGrid, resamplePosEmbed } from './pos-embed.js';
import { runBackward, Tape, type BackwardResult, type TensorRef } from './tape.js';
import { checkTapSelector, selectedOpGradTaps, tapMatches, type TapSelector } from './taps.js';
import type { WeightMap } from './weights.js';

export interface ForwardOptions {
  /** Forward tensors to keep (see taps.ts). */
  taps?: TapSelector;
  /** Record a tape so that `backward` can run on the result. */
  record?: boolean;
  /** With `record`: also compute parameter gradients in the backward. */
  weightGrads?: boolean;
}

export interface ForwardResult {
  B: number;
  /** Tokens per image. */
  N: number;
  grid: [number, number];
  /** [B, numClasses], or null for a model without classifier. */
  logits: Tensor | null;
  /** [B, D] pooled and normalised feature. */
  latent: Tensor;
  taps: Map<string, Tensor>;
  tape: Tape | null;
  /** Every tap point by name (id and shape), kept or not: gradients can be asked of them and output gradients enter there. */
  tapPoints: Map<string, TensorRef>;
  /** Releases logits, latent, taps and an unused tape (idempotent). */
  release(): void;
  /** Same as release() (`using r = model.forward(...)`). */
  [Symbol.dispose](): void;
}

/**
 * The gradient a backward starts from (autograd's "grad_outputs"): dL/d(tap point) for T
 * losses at once. Built from targets by targets.ts (`targetGradient`).
 */
export interface OutputGradient {
  /** Where the gradient enters: a tap point — `logits` [B, C], `latent` [B, D], `block.<l>`, ... */
  at: string;
  /** [T, ...shape of that tap]: T gradients at once (ownership passes to the backward). */
  grad: Tensor;
  T: number;
}

export class VisionTransformer {
  private readonly params = new Map<string, Param>();
  private readonly prefix: TokenParams['prefix'] | null;
  private readonly prefixParts: TokenParams['prefixParts'];
  private readonly posCpu: Float32Array;
  private readonly posNative: [number, number];
  private readonly posCache = new Map<string, Tensor>();
  private readonly half: Tensor | null;
  private disposed = false;

  private constructor(
    readonly ctx: GpuContext,
    readonly config: VitConfig,
    weights: WeightMap,
  ) {
    const c = config;
    const D = c.embedDim;
    for (const [name, w] of weights) {
      if (name === 'pos_embed' || name === 'cls_token' || name === 'dist_token' || name === 'reg_token') continue;
      // Conv2d weight [D, C, ph, pw] is the matrix [D, C*ph*pw] of the patch projection.
      const shape = name === 'patch_embed.proj.weight' ? [w.shape[0], w.data.length / w.shape[0]] : w.shape;
      this.params.set(name, { name, t: ctx.upload(w.data, shape) });
    }
    const parts: { name: string; rows: number; data: Float32Array }[] = [];
    if (c.classToken) parts.push({ name: 'cls_token', rows: 1, data: weights.get('cls_token')!.data });
    if (c.distilled) parts.push({ name: 'dist_token', rows: 1, data: weights.get('dist_token')!.data });
    if (c.regTokens > 0) parts.push({ name: 'reg_token', rows: c.regTokens, data: weights.get('reg_token')!.data });
    this.prefixParts = parts.map(({ name, rows }) => ({ name, rows }));
    if (parts.length > 0) {
      const all = new Float32Array(parts.reduce((n, p) => n + p.data.length, 0));
      let at = 0;
      for (const p of parts) {
        all.set(p.data, at);
        at += p.data.length;
      }
      this.prefix = ctx.upload(all, [all.length / D, D]);
    } else {
      this.prefix = null;
    }
    this.posCpu = weights.get('pos_embed')!.data;
    const patchRows = this.posCpu.length / D - this.posPrefixRows;
    this.posNative = nativeGrid(patchRows, [Math.floor(c.imgSize[0] / c.patchSize[0]), Math.floor(c.imgSize[1] / c.patchSize[1])]);
    this.half = c.distilled ? ctx.upload(new Float32Array(c.numClasses).fill(0.5)) : null;
  }

  /** Uploads checked weights (see weights.ts) to the GPU. */
  static fromWeights(ctx: GpuContext, config: VitConfig, weights: WeightMap): VisionTransformer {
    return new VisionTransformer(ctx, config, weights);
  }

  get numPrefix(): number {
    return numPrefixTokens(this.config);
  }

  /** Rows of pos_embed that belong to prefix tokens. */
  private get posPrefixRows(): number {
    return this.config.noEmbedClass ? 0 : this.numPrefix;
  }

  /** The patch grid of an input image size. */
  gridFor(H: number, W: number): [number, number] {
    return [Math.floor(H / this.config.patchSize[0]), Math.floor(W / this.config.patchSize[1])];
  }

  param(name: string): Param {
    const p = this.params.get(name);
    if (!p) throw new Error(`model has no parameter ${name}`);
    return p;
  }

  private maybeParam(name: string): Param | null {
    return this.params.get(name) ?? null;
  }

  /** Position embedding at grid (gh, gw), resampled once per grid and cached on the GPU. */
  private posEmbed(gh: number, gw: number): Tensor {
    const key = `${gh}x${gw}`;
    let t = this.posCache.get(key);
    if (!t) {
      const D = this.config.embedDim;
      const data = resamplePosEmbed(this.posCpu, D, this.posPrefixRows, this.posNative, [gh, gw]);
      t = this.ctx.upload(data, [data.length / D, D]);
      this.posCache.set(key, t);
    }
    return t;
  }

  private checkImages(images: Tensor): { B: number; H: number; W: number } {
    if (this.disposed) throw new InputError('disposed', 'this model was disposed');
    const c = this.config;
    if (images.shape.length !== 4 || images.shape[1] !== c.inChans) {
      throw new InputError('bad-shape', `images must be [B, ${c.inChans}, H, W] for ${c.architecture}, got [${images.shape.join(', ')}]`);
    }
    const [B, , H, W] = images.shape;
    if (B < 1) throw new InputError('bad-shape', 'the batch is empty');
    if (H < c.patchSize[0] || W < c.patchSize[1]) {
      throw new InputError('bad-shape', `images of ${H}x${W} are smaller than one ${c.patchSize.join('x')} patch`);
    }
    if (c.dynamicImgPad && (H % c.patchSize[0] !== 0 || W % c.patchSize[1] !== 0)) {
      // timm zero-pads such inputs to whole patches; vitlens would drop the partial patches instead.
      throw new InputError('bad-shape', `${c.architecture} pads inputs to whole ${c.patchSize.join('x')} patches (dynamic_img_pad), which vitlens does not do: give images whose size is a multiple of the patch (got ${H}x${W})`);
    }
    return { B, H, W };
  }

  /** Full forward of normalised images [B, C, H, W]. */
  forward(images: Tensor, opts: ForwardOptions = {}): ForwardResult {
    const { B, H, W } = this.checkImages(images);
    checkTapSelector(opts.taps, 'forward', this.config.depth);
    const tape = opts.record ? new Tape(this.ctx, opts.weightGrads ?? false) : null;
    const op: OpContext = { ctx: this.ctx, tape };
    const taps = new Map<string, Tensor>();
    const points = new Map<string, TensorRef>([['input', { id: images.id, shape: images.shape }]]);
    const grid = this.gridFor(H, W);
    const z0 = this.embed(op, images, { B, H, W }, taps, points, opts.taps);
    const N = this.numPrefix + grid[0] * grid[1];
    const zL = this.encode(op, z0, B, N, taps, points, opts.taps);
    const { latent, logits } = this.head(op, zL, B, N, points);
    zL.release();
    if (logits && (tape || tapMatches(opts.taps, 'probs'))) {
      const probs = softmax(op, logits, B, this.config.numClasses);
      this.tap('probs', probs, taps, points, opts.taps);
      probs.release();
    }
    return makeResult({ B, N, grid, logits, latent, taps, tape, tapPoints: points });
  }

  /** Pixels -> tokens entering block 0 ([B*N, D], after norm_pre); taps `embed` before norm_pre (timm's _pos_embed output). */
  embed(
    op: OpContext,
    images: Tensor,
    s: { B: number; H: number; W: number },
    taps: Map<string, Tensor>,
    points: Map<string, TensorRef>,
    select?: TapSelector,
  ): Tensor {
    const c = this.config;
    const [gh, gw] = this.gridFor(s.H, s.W);
    const geometry = { B: s.B, C: c.inChans, H: s.H, W: s.W, ph: c.patchSize[0], pw: c.patchSize[1] };
    const patches = imagePatches(op, images, geometry);
    const E = linear(op, { x: patches, M: s.B * gh * gw, weight: this.param('patch_embed.proj.weight'), bias: this.maybeParam('patch_embed.proj.bias') });
    patches.release();
    const N = this.numPrefix + gh * gw;
    const dummyPrefix = this.prefix ?? this.posEmbed(gh, gw);
    let z = assemble(
      op,
      E,
      {
        prefix: dummyPrefix,
        prefixParts: this.prefixParts,
        pos: this.posEmbed(gh, gw),
        posName: gh === this.posNative[0] && gw === this.posNative[1] ? 'pos_embed' : null,
      },
      { B: s.B, N, NP: this.numPrefix, D: c.embedDim, posPrefix: !c.noEmbedClass },
    );
    E.release();
    this.tap('embed', z, taps, points, select);
    if (c.preNorm) {
      const zn = layerNorm(op, z, s.B * N, this.param('norm_pre.weight'), this.param('norm_pre.bias'), c.normEps);
      z.release();
      z = zn;
    }
    return z;
  }

  /**
   * Runs blocks `from`..depth-1 on tokens z ([B*N, D], ownership passes in) and returns the
   * output of the last one. N may differ from the image's own token count (ablated tokens).
   */
  encode(
    op: OpContext,
    z: Tensor,
    B: number,
    N: number,
    taps: Map<string, Tensor>,
    points: Map<string, TensorRef>,
    select?: TapSelector,
    from = 0,
  ): Tensor {
    const c = this.config;
    const M = B * N;
    for (let l = from; l < c.depth; l++) {
      const p = (n: string) => this.param(`blocks.${l}.${n}`);
      const y = layerNorm(op, z, M, p('norm1.weight'), p('norm1.bias'), c.normEps);
      this.tap(`tokens.${l}`, y, taps, points, select);
      const qkv = linear(op, { x: y, M, weight: p('attn.qkv.weight'), bias: this.maybeParam(`blocks.${l}.attn.qkv.bias`) });
      y.release();
      this.tap(`qkv.${l}`, qkv, taps, points, select);
      const { probs, out } = attention(op, qkv, { B, N, H: c.numHeads, D: c.embedDim }, l, tapMatches(select, `attn.${l}`));
      qkv.release();
      if (probs) {
        this.tap(`attn.${l}`, probs, taps, points, select);
        probs.release();
      }
      const z1 = linear(op, { x: out, M, weight: p('attn.proj.weight'), bias: p('attn.proj.bias'), layerScale: this.maybeParam(`blocks.${l}.ls1.gamma`), residual: z });
      out.release();
      z.release();
      const y2 = layerNorm(op, z1, M, p('norm2.weight'), p('norm2.bias'), c.normEps);
      z = mlp(op, {
        x: y2, M,
        fc1: { weight: p('mlp.fc1.weight'), bias: p('mlp.fc1.bias') },
        fc2: { weight: p('mlp.fc2.weight'), bias: p('mlp.fc2.bias') },
        layerScale: this.maybeParam(`blocks.${l}.ls2.gamma`),
        residual: z1,
      });
      y2.release();
      z1.release();
      this.tap(`block.${l}`, z, taps, points, select);
    }
    return z;
  }

  /** Pooling, final norm and classifier on the last block's tokens [B*N, D]. */
  head(op: OpContext, zL: Tensor, B: number, N: number, points: Map<string, TensorRef>): { latent: Tensor; logits: Tensor | null } {
    const c = this.config;
    const D = c.embedDim;
    const normName = c.fcNorm ? 'fc_norm' : 'norm';
    const norm = (x: Tensor, rows: number) => layerNorm(op, x, rows, this.param(`${normName}.weight`), this.param(`${normName}.bias`), c.normEps);
    // timm: forward_features ends with `norm` on every token, forward_head pools and then applies
    // fc_norm; exactly one of the two is a LayerNorm. For token pooling LayerNorm is per token,
    // so normalising the pooled row equals norm-then-pool and is cheaper. Average pooling with
    // the final `norm` (fc_norm=False, e.g. vit_*_gap models) must normalise every token BEFORE
    // the mean: the mean of normalised tokens is not the normalised mean (golden-variants/avgpool_norm_cls).
    const normFirst = c.globalPool === 'avg' && !c.fcNorm;
    const zn = normFirst ? norm(zL, B * N) : zL;
    const pooled = (first: number) => pool(op, zn, { B, N, D, mode: c.globalPool === 'avg' ? 'avg' : 'token', first });
    const p0 = pooled(c.globalPool === 'avg' ? this.numPrefix : 0);
    let f0: Tensor;
    if (normFirst) {
      zn.release();
      f0 = p0;
    } else {
      f0 = norm(p0, B);
      p0.release();
    }
    let latent = f0;
    let logits: Tensor | null = null;
    if (c.distilled) {
      const p1 = pooled(1);
      const f1 = norm(p1, B);
      p1.release();
      latent = average(op, f0, f1);
      if (c.numClasses > 0) {
        const half = { name: '(0.5)', t: this.half! };
        const l0 = linear(op, { x: f0, M: B, weight: this.param('head.weight'), bias: this.param('head.bias'), layerScale: half });
        logits = linear(op, { x: f1, M: B, weight: this.param('head_dist.weight'), bias: this.param('head_dist.bias'), layerScale: half, residual: l0 });
        l0.release();
      }
      f0.release();
      f1.release();
    } else if (c.numClasses > 0) {
      logits = linear(op, { x: f0, M: B, weight: this.param('head.weight'), bias: this.param('head.bias') });
    }
    points.set('latent', { id: latent.id, shape: latent.shape });
    if (logits) points.set('logits', { id: logits.id, shape: logits.shape });
    return { latent, logits };
  }

  /**
   * Backward from an output gradient through the tape of `result` (which is consumed). Returns the
   * gradients of the tap points selected by `gradTaps` ([T, ...shape] each) and, when the
   * forward asked for them, parameter gradients.
   */
  backward(result: ForwardResult, start: OutputGradient, gradTaps: TapSelector): BackwardResult {
    let tape: Tape;
    try {
      tape = this.checkBackward(result, start, gradTaps);
    } catch (e) {
      start.grad.release(); // its ownership passed in: a refused backward must not leak it
      throw e;
    }
    result.tape = null;
    const target = result.tapPoints.get(start.at)!;
    const ids = new Map<number, string>();
    for (const [name, ref] of result.tapPoints) if (tapMatches(gradTaps, name)) ids.set(ref.id, name);
    const named = selectedOpGradTaps(gradTaps, this.config.depth);
    return runBackward(tape, { outputGrads: [{ tensor: target, grad: start.grad }], T: start.T, gradTaps: ids, namedTaps: named });
  }

  private checkBackward(result: ForwardResult, start: OutputGradient, gradTaps: TapSelector): Tape {
    const tape = result.tape;
    if (!tape) throw new InputError('no-tape', 'backward() needs a forward run with { record: true }');
    checkTapSelector(gradTaps, 'grad', this.config.depth);
    if (start.at === 'logits' && !result.logits) throw new InputError('no-logits', `${this.config.architecture} has no classifier: use a latent (concept) target`);
    const target = result.tapPoints.get(start.at);
    if (!target) throw new InputError('bad-output-gradient', `no tap point "${start.at}" in this forward (see taps.ts for names)`);
    const size = target.shape.reduce((a, b) => a * b, 1);
    if (start.grad.size !== start.T * size) {
      throw new InputError('bad-output-gradient', `the output gradient has ${start.grad.size} values, expected T x [${target.shape.join(', ')}] = ${start.T * size}`);
    }
    return tape;
  }

  private tap(name: string, t: Tensor, taps: Map<string, Tensor>, points: Map<string, TensorRef>, select?: TapSelector): void {
    points.set(name, { id: t.id, shape: t.shape });
    if (tapMatches(select, name)) taps.set(name, t.retain());
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Releases the model's GPU memory. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of this.params.values()) p.t.release();
    this.params.clear();
    this.prefix?.release();
    this.half?.release();
    for (const t of this.posCache.values()) t.release();
    this.posCache.clear();
  }
}

function makeResult(r: Omit<ForwardResult, 'release' | typeof Symbol.dispose>): ForwardResult {
  let released = false;
  const result: ForwardResult = {
    ...r,
    [Symbol.dispose]() {
      result.release();
    },
    release() {
      if (released) return;
      released = true;
      result.logits?.release();
      result.latent.release();
      for (const t of result.taps.values()) t.release();
      result.taps.clear();
      result.tape?.dispose();
      result.tape = null;
    },
  };
  return result;
}
