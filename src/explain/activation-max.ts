/**
 * Activation maximisation (seed 002): gradient ascent on an input image to maximise one unit —
 * a class logit, or the mean activation of one channel of a block's output over the patch
 * tokens — with the usual regularisers: random jitter (circular shifts) before each step, L2
 * decay, a Gaussian blur every few steps, and pixels kept in the valid range. Each step is one
 * forward + backward on the GPU; the image never leaves it until the end.
 */
import { InputError } from '../errors.js';
import type { Tensor } from '../gpu/tensor.js';
import type { RawImage } from '../io/image.js';
import { ascentStep, gaussianBlur, meanAbs, roll, type ImageShape } from '../kernels/explain/image-ops.js';
import { perturb } from '../kernels/explain/perturb.js';
import { targetGradient } from '../model/targets.js';
import type { OutputGradient, VisionTransformer } from '../model/vit.js';
import { mulberry32 } from '../random.js';
import { gaussianWeights } from './baselines.js';

export type Unit = { kind: 'class'; classId: number } | { kind: 'channel'; layer: number; channel: number };

export interface ActivationMaxOptions {
  steps?: number;
  /** Step size on the mean-|g|-normalised gradient, in normalised input units. */
  lr?: number;
  /** L2 decay per step. */
  decay?: number;
  /** Largest jitter shift in pixels. */
  jitter?: number;
  /** Blur every k steps (0: never), with this Gaussian sigma in pixels. */
  blurEvery?: number;
  blurSigma?: number;
  seed?: number;
  onProgress?: (step: number, steps: number) => void;
}

export interface ActivationMaxResult {
  /** The optimised input, normalised [C, H, W]. */
  input: Float32Array;
  /** The same as displayable pixels. */
  image: RawImage;
  /** The unit's value for the starting noise and for the result. */
  before: number;
  after: number;
}


export async function activationMaximization(model: VisionTransformer, unit: Unit, opts: ActivationMaxOptions = {}): Promise<ActivationMaxResult> {
  const { ctx, config } = model;
  const [C, H, W] = config.pretrained.inputSize;
  const s: ImageShape = { C, H, W };
  if (unit.kind === 'class' && (!Number.isInteger(unit.classId) || unit.classId < 0 || unit.classId >= config.numClasses)) {
    throw new InputError('bad-class', `class id ${unit.classId} is out of range: this model has ${config.numClasses} classes`);
  }
  if (unit.kind === 'channel' && !(unit.layer >= 0 && unit.layer < config.depth && unit.channel >= 0 && unit.channel < config.embedDim)) {
    throw new InputError('bad-unit', `channel ${unit.channel} of block ${unit.layer} does not exist (blocks 0..${config.depth - 1}, channels 0..${config.embedDim - 1})`);
  }
  const steps = opts.steps ?? 200;
  const lr = opts.lr ?? 0.05;
  const decay = opts.decay ?? 1e-3;
  const jitter = opts.jitter ?? Math.max(1, Math.round(W / 28));
  const blurEvery = opts.blurEvery ?? 4;
  const rand = mulberry32(opts.seed ?? 0);
  const { mean, std } = config.pretrained;
  using bounds = ctx.upload(Float32Array.from({ length: 2 * C }, (_, i) => (Math.floor(i / 2) === i / 2 ? -mean[i / 2] / std[i / 2] : (1 - mean[(i - 1) / 2]) / std[(i - 1) / 2])));
  using blurWeights = ctx.upload(gaussianWeights(opts.blurSigma ?? 0.5));
  using x = ctx.empty([1, C, H, W]);
  {
    // Start from faint noise around mid-grey.
    using grey = ctx.upload(Float32Array.from({ length: C * H * W }, (_, i) => (0.5 - mean[Math.floor(i / (H * W))]) / std[Math.floor(i / (H * W))]), [1, C, H, W]);
    using sigma = ctx.upload(Float32Array.from([0.05]));
    perturb(ctx, { x: grey, coef: sigma, out: x, copies: 1, mode: 'noise', seed: opts.seed ?? 0 });
  }
  using shifted = ctx.empty([1, C, H, W]);
  using g = ctx.empty([1, C, H, W]);
  using norm = ctx.empty([1]);

  const outputGradient = (fwd: ReturnType<VisionTransformer['forward']>): OutputGradient => {
    if (unit.kind === 'class') return targetGradient(model, fwd, [{ kind: 'class', classes: unit.classId }]);
    const { N } = fwd;
    const grad = new Float32Array(N * config.embedDim);
    const NP = model.numPrefix;
    for (let t = NP; t < N; t++) grad[t * config.embedDim + unit.channel] = 1 / (N - NP);
    return { at: `block.${unit.layer}`, grad: ctx.upload(grad, [N, config.embedDim]), T: 1 };
  };
  const score = async (img: Tensor): Promise<number> => {
    using r = model.forward(img, { taps: unit.kind === 'channel' ? [`block.${unit.layer}`] : [] });
    if (unit.kind === 'class') return (await r.logits!.read())[unit.classId];
    const z = await r.taps.get(`block.${unit.layer}`)!.read();
    let sum = 0;
    for (let t = model.numPrefix; t < r.N; t++) sum += z[t * config.embedDim + unit.channel];
    return sum / (r.N - model.numPrefix);
  };

  const before = await score(x);
  for (let step = 0; step < steps; step++) {
    const dy = Math.round((rand() * 2 - 1) * jitter);
    const dx = Math.round((rand() * 2 - 1) * jitter);
    roll(ctx, x, shifted, s, dy, dx);
    using fwd = model.forward(shifted, { record: true });
    using gi = model.backward(fwd, outputGradient(fwd), ['input']).grads.get('input')!;
    roll(ctx, gi, g, s, -dy, -dx);
    meanAbs(ctx, g, norm, s);
    ascentStep(ctx, g, norm, bounds, x, s, lr, decay);
    if (blurEvery > 0 && (step + 1) % blurEvery === 0) gaussianBlur(ctx, x, shifted, blurWeights, s);
    if (opts.onProgress && ((step + 1) % 10 === 0 || step + 1 === steps)) {
      await ctx.sync();
      opts.onProgress(step + 1, steps);
    }
  }
  const after = await score(x);
  const input = await x.read();
  const pixels = new Uint8Array(H * W * C);
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < H * W; i++) pixels[i * C + c] = Math.round(Math.min(1, Math.max(0, input[c * H * W + i] * std[c] + mean[c])) * 255);
  }
  return { input, image: { data: pixels, width: W, height: H, channels: C }, before, after };
}
