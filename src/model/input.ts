/**
 * Model inputs: images through the model's own timm eval transform into one batch tensor, or
 * an already normalised float array checked for shape and NaN before it reaches the GPU.
 */
import { InputError } from '../errors.js';
import type { Tensor } from '../gpu/tensor.js';
import { stackBatch, type RawImage } from '../io/image.js';
import { preprocess, type PreprocessOptions } from '../io/preprocess.js';
import { checkFitsDevice } from './config.js';
import type { VisionTransformer } from './vit.js';

/** Normalised [B, C, H, W] input from raw images (decoded pixels), preprocessed as timm does. */
export function imageBatch(model: VisionTransformer, images: readonly RawImage[], opts: PreprocessOptions = {}): Tensor {
  if (images.length === 0) throw new InputError('bad-shape', 'no images given');
  // Whether the batch fits the device follows from the config alone: checked before preprocessing.
  checkFitsDevice(model.config, images.length, model.ctx.device.limits.maxStorageBufferBindingSize);
  const cfg = model.config.pretrained;
  const chw = cfg.inputSize;
  const batch = stackBatch(images.map((img) => preprocess(img, cfg, opts)), chw);
  return model.ctx.upload(batch.data, batch.shape);
}

/** Uploads an already normalised [B, C, H, W] float array after checking it. */
export function inputTensor(model: VisionTransformer, data: Float32Array, shape: readonly number[]): Tensor {
  const c = model.config;
  if (shape.length !== 4 || shape[1] !== c.inChans) {
    throw new InputError('bad-shape', `input must be [B, ${c.inChans}, H, W], got [${shape.join(', ')}]`);
  }
  if (!shape.every((d) => Number.isSafeInteger(d) && d > 0)) throw new InputError('bad-shape', `input shape must be positive integers, got [${shape.join(', ')}]`);
  const n = shape.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new InputError('bad-shape', `input has ${data.length} values, shape [${shape.join(', ')}] needs ${n}`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(data[i])) throw new InputError('non-finite', `input contains ${data[i]} at flat index ${i}`);
  }
  return model.ctx.upload(data, shape);
}
