/** Classification: logits -> softmax -> top-k with label names. */
import { InputError } from '../errors.js';
import type { Tensor } from '../gpu/tensor.js';
import { classNames } from './class-names.js';
import type { VisionTransformer } from './vit.js';

export interface Prediction {
  classId: number;
  label: string;
  prob: number;
  logit: number;
}

export function softmax(logits: ArrayLike<number>): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) m = Math.max(m, logits[i]);
  const out = new Float64Array(logits.length);
  let s = 0;
  for (let i = 0; i < logits.length; i++) s += out[i] = Math.exp(logits[i] - m);
  for (let i = 0; i < logits.length; i++) out[i] /= s;
  return out;
}

export function topK(logits: ArrayLike<number>, k: number, labels?: readonly string[]): Prediction[] {
  const probs = softmax(logits);
  const order = Array.from({ length: logits.length }, (_, i) => i).sort((a, b) => logits[b] - logits[a]);
  return order.slice(0, k).map((c) => ({ classId: c, label: labels?.[c] ?? `class ${c}`, prob: probs[c], logit: logits[c] }));
}

/** Logits of a batch [B, C] read back, one Float32Array per image. */
export async function logitsOf(model: VisionTransformer, images: Tensor): Promise<Float32Array[]> {
  if (model.config.numClasses === 0) throw new InputError('no-logits', `${model.config.architecture} has no classifier (num_classes 0)`);
  const r = model.forward(images);
  try {
    const all = await r.logits!.read();
    const C = model.config.numClasses;
    return Array.from({ length: r.B }, (_, b) => all.slice(b * C, (b + 1) * C));
  } finally {
    r.release();
  }
}

/** Top-k predictions per image. */
export async function classify(model: VisionTransformer, images: Tensor, k = 5): Promise<Prediction[][]> {
  const logits = await logitsOf(model, images);
  return logits.map((l) => topK(l, Math.min(k, l.length), classNames(model.config)));
}

/** Top-k predictions per image from logits already read ([B, C] row-major), e.g. a session's. */
export function predictionsFrom(logits: Float32Array, model: VisionTransformer, k = 5): Prediction[][] {
  const C = model.config.numClasses;
  return Array.from({ length: logits.length / C }, (_, b) => topK(logits.subarray(b * C, (b + 1) * C), Math.min(k, C), classNames(model.config)));
}
