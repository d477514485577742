/**
 * Loading a model from bytes (browser-safe): a timm hub config.json object plus the bytes of
 * model.safetensors. Node code reads them from a folder (node/load.ts).
 */
import type { GpuContext } from '../gpu/context.js';
import { parseSafetensors } from '../io/safetensors.js';
import { checkFitsDevice, configFromHub, type VitConfig } from './config.js';
import { VisionTransformer } from './vit.js';
import { yieldToEventLoop } from '../time-slice.js';
import { checkWeights, checkWeightsAsync, configForWeights } from './weights.js';

export interface LoadOptions {
  /** Name used in error messages. */
  source?: string;
}

export function loadModelFromBytes(ctx: GpuContext, config: unknown, weights: Uint8Array, opts: LoadOptions = {}): VisionTransformer {
  const source = opts.source ?? 'model.safetensors';
  const given: VitConfig = configFromHub(config);
  checkFitsDevice(given, 1, ctx.device.limits.maxStorageBufferBindingSize);
  const file = parseSafetensors(weights, source);
  const cfg = configForWeights(given, file);
  return VisionTransformer.fromWeights(ctx, cfg, checkWeights(cfg, file, source));
}

/**
 * loadModelFromBytes that gives the event loop a turn between tensors while it decodes and checks
 * them: a page stays responsive while a 20–90 MB model loads. Same checks, same errors.
 */
export async function loadModelFromBytesAsync(ctx: GpuContext, config: unknown, weights: Uint8Array, opts: LoadOptions = {}): Promise<VisionTransformer> {
  const source = opts.source ?? 'model.safetensors';
  const given: VitConfig = configFromHub(config);
  checkFitsDevice(given, 1, ctx.device.limits.maxStorageBufferBindingSize);
  const file = parseSafetensors(weights, source);
  const cfg = configForWeights(given, file);
  const checked = await checkWeightsAsync(cfg, file, source);
  await yieldToEventLoop(); // the upload below starts a task of its own
  return VisionTransformer.fromWeights(ctx, cfg, checked);
}

export function loadModelFromConfig(ctx: GpuContext, cfg: VitConfig, weights: Uint8Array, opts: LoadOptions = {}): VisionTransformer {
  const source = opts.source ?? 'model.safetensors';
  // A model that cannot run one image on this device is refused before its weights are parsed.
  checkFitsDevice(cfg, 1, ctx.device.limits.maxStorageBufferBindingSize);
  const file = parseSafetensors(weights, source);
  const fitted = configForWeights(cfg, file);
  return VisionTransformer.fromWeights(ctx, fitted, checkWeights(fitted, file, source));
}
