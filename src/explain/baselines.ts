/**
 * What replaces pixels when a method removes information, in one place: a constant colour given
 * as pixel values and converted to the model's normalised input space (occlusion, deletion,
 * integrated gradients' black baseline), and the 1-D Gaussian weights of the separable blur
 * (blurred baselines, activation maximisation).
 */
import { InputError } from '../errors.js';
import type { Tensor } from '../gpu/tensor.js';
import type { VisionTransformer } from '../model/vit.js';

/** Fill value per channel in the model's normalised input space, from pixel values in [0, 1] (default black). */
export function normalizedFill(model: VisionTransformer, fill: number | readonly number[] = 0): Float32Array {
  const { mean, std, inputSize } = model.config.pretrained;
  const C = inputSize[0];
  const v = typeof fill === 'number' ? Array(C).fill(fill) : [...fill];
  if (v.length !== C || v.some((x) => !(x >= 0 && x <= 1))) throw new InputError('bad-option', `fill must be ${C} pixel value(s) in [0, 1]`);
  return Float32Array.from(v, (x, c) => Math.fround(Math.fround(x - mean[c]) / std[c]));
}

/** Images of `shape` [B, C, H, W] filled with one colour (pixel values, default black), normalised, on the GPU. */
export function filledImages(model: VisionTransformer, shape: readonly number[], fill: number | readonly number[] = 0): Tensor {
  const [B, C, H, W] = shape;
  const v = normalizedFill(model, fill);
  if (v.length !== C) throw new InputError('bad-shape', `images have ${C} channels, the model ${v.length}`);
  const data = new Float32Array(B * C * H * W);
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) data.fill(v[c], (b * C + c) * H * W, (b * C + c + 1) * H * W);
  return model.ctx.upload(data, shape);
}

/** Normalised weights of a 1-D Gaussian of standard deviation `sigma` (radius ceil(2 sigma), at least 1). */
export function gaussianWeights(sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(2 * sigma));
  const w = Float32Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / s);
}
