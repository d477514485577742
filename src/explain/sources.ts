/**
 * What a map is derived from: a forward's kept taps, and the gradients one backward gave for T
 * targets. Each method computes its map from these in one function (`rolloutFrom`, `cdamFrom`,
 * ...) that both the method itself (after its own forward / backward) and an explanation
 * session (session.ts, from tensors it keeps) call, so there is one implementation of each map.
 */
import type { Tensor } from '../gpu/tensor.js';
import type { ForwardResult } from '../model/vit.js';

/** A forward's kept taps and its geometry. The taps stay owned by whoever made them. */
export type ForwardTaps = Pick<ForwardResult, 'taps' | 'B' | 'N' | 'grid'>;

/** Gradient taps for T targets, each [T*B, ...] (target-major), owned by whoever made them. */
export interface TargetGradients {
  T: number;
  grads: Map<string, Tensor>;
}

/** The kept tap `name`; a missing tap is a bug in the caller's request, said as such. */
export function tapOf(source: { taps: Map<string, Tensor> } | TargetGradients, name: string): Tensor {
  const t = 'taps' in source ? source.taps.get(name) : source.grads.get(name);
  if (!t) throw new Error(`internal: ${name} was not kept for this map`);
  return t;
}
