/**
 * What a gradient is taken of. Like Captum's / pytorch-grad-cam's target objects, a target is a
 * small value, one per explained quantity; several targets are carried through one backward.
 *   class   logit of a class, per image (class ids [B] or one id for all)
 *   prob    softmax probability of a class, per image
 *   logits  any vector over the logits, per image ([B, C] or [C])
 *   concept dot product of the pooled feature (latent) with a vector ([B, D] or [D]) — concept CDAM
 *   rank    logit of the class ranked `rank`-th by the model's own logits (1: the predicted class),
 *           per image, chosen on the GPU inside the recorded forward (no readback before the backward)
 */
import { InputError } from '../errors.js';
import type { Tensor } from '../gpu/tensor.js';
import { softmaxProbSeed, topClassSeed } from '../kernels/seeds.js';
import type { ForwardResult, OutputGradient, VisionTransformer } from './vit.js';

export type Target =
  | { kind: 'class'; classes: number | readonly number[] }
  | { kind: 'prob'; classes: number | readonly number[] }
  | { kind: 'logits'; vector: Float32Array }
  | { kind: 'concept'; vector: Float32Array }
  | { kind: 'rank'; rank: number };

export const classTarget = (classes: number | readonly number[]): Target => ({ kind: 'class', classes });
export const probTarget = (classes: number | readonly number[]): Target => ({ kind: 'prob', classes });
export const conceptTarget = (vector: Float32Array): Target => ({ kind: 'concept', vector });
/** The class ranked `rank`-th by each image's logits (1: the predicted class). */
export const rankTarget = (rank: number): Target => ({ kind: 'rank', rank });

/** The refusal of a ranking when image `image`'s logits contain NaN (rank targets, 'top' specs). */
export function unrankableLogits(image: number): InputError {
  return new InputError('non-finite', `the logits of image ${image} contain NaN, so its classes cannot be ranked for a 'top' target; check the model's weights and the input`);
}

/** A rank target's rank, validated against the number of classes. */
export function checkRank(rank: number, C: number, what = `rank ${rank}`): number {
  if (!Number.isInteger(rank) || rank < 1 || rank > C) throw new InputError('bad-class', `${what}: K must be between 1 and ${C}`);
  return rank;
}

/** Per-image class ids of a target, validated against the number of classes. */
export function classIds(classes: number | readonly number[], B: number, C: number): number[] {
  const ids = typeof classes === 'number' ? Array<number>(B).fill(classes) : [...classes];
  if (ids.length !== B) throw new InputError('bad-targets', `got ${ids.length} class ids for a batch of ${B} images`);
  for (const k of ids) {
    if (!Number.isInteger(k) || k < 0 || k >= C) {
      throw new InputError('bad-class', `class id ${k} is out of range: this model has ${C} classes (0..${C - 1})`);
    }
  }
  return ids;
}

function vectorRows(v: Float32Array, B: number, width: number, what: string): Float32Array {
  // Checked before broadcasting: one NaN in a shared [width] vector poisons every image.
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) throw new InputError('non-finite', `${what} contains ${v[i]} at index ${i}`);
  if (v.length === width) {
    const out = new Float32Array(B * width);
    for (let b = 0; b < B; b++) out.set(v, b * width);
    return out;
  }
  if (v.length !== B * width) throw new InputError('bad-targets', `${what} has ${v.length} values; expected ${width} or B*${width} = ${B * width}`);
  return v;
}

/**
 * The output gradient of T targets, and where the targets are classes (class and rank targets),
 * their class ids per row t * B + b ([T*B] u32, owned by the caller): rank rows are filled on
 * the GPU from the logits, NO_CLASS when an image's logits contain NaN.
 */
export interface TargetSeed {
  start: OutputGradient;
  classes: Tensor | null;
}

/** The output gradient for T targets of one kind family (all on the logits, or all on the latent); see `targetSeed` for rank targets' classes. */
export function targetGradient(model: VisionTransformer, fwd: ForwardResult, targets: readonly Target[]): OutputGradient {
  const { start, classes } = targetSeed(model, fwd, targets);
  classes?.release();
  return start;
}

/** The output gradient for T targets of the same kind family (all on the logits, or all on the latent). */
export function targetSeed(model: VisionTransformer, fwd: ForwardResult, targets: readonly Target[]): TargetSeed {
  const { ctx, config } = model;
  const B = fwd.B;
  const T = targets.length;
  if (T === 0) throw new InputError('bad-targets', 'no targets given');
  const onLatent = targets.map((t) => t.kind === 'concept');
  if (onLatent.some((x) => x !== onLatent[0])) {
    throw new InputError('bad-targets', 'concept targets and class/logit targets cannot share one backward; run them separately');
  }
  if (onLatent[0]) {
    const D = config.embedDim;
    const data = new Float32Array(T * B * D);
    targets.forEach((t, i) => data.set(vectorRows((t as { vector: Float32Array }).vector, B, D, 'concept vector'), i * B * D));
    return { start: { at: 'latent', grad: ctx.upload(data, [T * B, D]), T }, classes: null };
  }
  const C = config.numClasses;
  if (C === 0) throw new InputError('no-logits', `${config.architecture} has no classifier: use a concept target`);
  if (targets.every((t) => t.kind === 'prob')) {
    const ids = targets.flatMap((t) => classIds((t as { classes: number | readonly number[] }).classes, B, C));
    const classes = ctx.upload(Uint32Array.from(ids));
    const seed = ctx.empty([T * B, C]);
    softmaxProbSeed(ctx, fwd.logits!, classes, seed, T * B, B, C);
    classes.release();
    return { start: { at: 'logits', grad: seed, T }, classes: null };
  }
  if (targets.some((t) => t.kind === 'prob')) {
    throw new InputError('bad-targets', 'probability targets cannot be mixed with logit targets in one backward');
  }
  const data = new Float32Array(T * B * C);
  const ids = new Uint32Array(T * B);
  const ranks = targets.map((t) => (t.kind === 'rank' ? checkRank(t.rank, C) : 0));
  targets.forEach((t, i) => {
    if (t.kind === 'class') {
      classIds(t.classes, B, C).forEach((k, b) => {
        data[(i * B + b) * C + k] = 1;
        ids[i * B + b] = k;
      });
    } else if (t.kind === 'logits') {
      data.set(vectorRows(t.vector, B, C, 'logit vector'), i * B * C);
    }
  });
  const grad = ctx.upload(data, [T * B, C]);
  const onClasses = targets.every((t) => t.kind === 'class' || t.kind === 'rank');
  const classes = onClasses ? ctx.upload(ids) : null;
  const maxRank = Math.max(...ranks);
  if (maxRank > 0) {
    // Only rank targets can be mixed with logit vectors; their rows' ids are then not reported.
    const scratch = classes ?? ctx.empty([T * B], 'u32');
    const rankList = ctx.upload(Uint32Array.from(ranks));
    topClassSeed(ctx, fwd.logits!, rankList, grad, scratch, { B, C, T, maxRank });
    rankList.release();
    if (!classes) scratch.release();
  }
  return { start: { at: 'logits', grad, T }, classes };
}

export type { Tensor };
