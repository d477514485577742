/**
 * One forward + one backward for T targets at once, returning the requested forward taps and
 * gradient taps. The building block of every gradient-based explanation.
 */
import type { Tensor } from '../gpu/tensor.js';
import { targetGradient, type Target } from './targets.js';
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
  /** Releases the forward result and every gradient (idempotent). */
  release(): void;
  /** Same as release() (`using g = gradients(...)`). */
  [Symbol.dispose](): void;
}

export function gradients(model: VisionTransformer, images: Tensor, targets: readonly Target[], req: GradientRequest): GradientResult {
  const forward = model.forward(images, { taps: req.taps, record: true, weightGrads: req.weightGrads });
  let bw;
  try {
    bw = model.backward(forward, targetGradient(model, forward, targets), req.grads);
  } catch (e) {
    forward.release();
    throw e;
  }
  const result: GradientResult = {
    forward,
    grads: bw.grads,
    weightGrads: bw.weightGrads,
    T: targets.length,
    [Symbol.dispose]() {
      result.release();
    },
    release() {
      forward.release(); // idempotent; the maps below are empty after the first call
      for (const g of bw.grads.values()) g.release();
      for (const g of bw.weightGrads.values()) g.release();
      bw.grads.clear();
      bw.weightGrads.clear();
    },
  };
  return result;
}
