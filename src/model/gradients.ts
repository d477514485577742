/**
 * One forward + one backward for T targets at once, returning the requested forward taps and
 * gradient taps. The building block of every gradient-based explanation.
 */
import { InputError } from '../errors.js';
import type { Tensor } from '../gpu/tensor.js';
import { NO_CLASS } from '../kernels/seeds.js';
import { targetSeed, unrankableLogits, type Target } from './targets.js';
import type { TapSelector } from './taps.js';
import type { ForwardResult, VisionTransformer } from './vit.js';

export interface GradientRequest {
  /** Forward tensors to keep (e.g. `attn.*`). */
  taps?: TapSelector;
  /** Gradients to return (e.g. `attn.*`, `tokens.11`, `input`), each [T, ...shape]. */
  grads: TapSelector;
  /** Also return parameter gradients (one target only). */
  weightGrads?: boolean;
}

export interface GradientResult {
  forward: ForwardResult;
  grads: Map<string, Tensor>;
  weightGrads: Map<string, Tensor>;
  /** Number of targets T; gradient tensors are [T, ...]. */
  T: number;
  /**
   * The class id of each target per image, [t][b], for class and rank targets (rank targets'
   * classes were chosen on the GPU: this is where they are read back, after the backward).
   * Throws InputError 'non-finite' when a rank target met NaN logits, 'bad-targets' for
   * targets that are not all classes.
   */
  classIds(): Promise<number[][]>;
  /** Releases the forward result and every gradient (idempotent). */
  release(): void;
  /** Same as release() (`using g = gradients(...)`). */
  [Symbol.dispose](): void;
}

export function gradients(model: VisionTransformer, images: Tensor, targets: readonly Target[], req: GradientRequest): GradientResult {
  const forward = model.forward(images, { taps: req.taps, record: true, weightGrads: req.weightGrads });
  let bw;
  let classes: Tensor | null = null;
  try {
    const seed = targetSeed(model, forward, targets);
    classes = seed.classes;
    bw = model.backward(forward, seed.start, req.grads);
  } catch (e) {
    classes?.release();
    forward.release();
    throw e;
  }
  let ids: Promise<number[][]> | null = null;
  const result: GradientResult = {
    forward,
    grads: bw.grads,
    weightGrads: bw.weightGrads,
    T: targets.length,
    classIds() {
      return (ids ??= readClassIds(classes, targets.length, forward.B));
    },
    [Symbol.dispose]() {
      result.release();
    },
    release() {
      forward.release(); // idempotent; the maps below are empty after the first call
      classes?.release();
      classes = null;
      for (const g of bw.grads.values()) g.release();
      for (const g of bw.weightGrads.values()) g.release();
      bw.grads.clear();
      bw.weightGrads.clear();
    },
  };
  return result;
}

async function readClassIds(classes: Tensor | null, T: number, B: number): Promise<number[][]> {
  if (!classes) throw new InputError('bad-targets', 'these targets are not classes: there are no class ids to report');
  const flat = await classes.ctx.readU32(classes);
  const out = Array.from({ length: T }, (_, t) => Array.from(flat.subarray(t * B, (t + 1) * B)));
  const t = out.findIndex((row) => row.includes(NO_CLASS));
  if (t >= 0) {
    throw unrankableLogits(out[t].indexOf(NO_CLASS));
  }
  return out;
}
