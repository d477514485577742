/**
 * vitlens — Vision Transformer explainability on WebGPU (browser-safe entry point: no Node
 * modules, no Dawn). Hand it your GPUDevice with `createContext`, load a timm model from a
 * config.json object and model.safetensors bytes, and run it.
 */
export * from './errors.js';

export { GpuContext, type GpuContextOptions, type DeviceInfo, type KernelFamily } from './gpu/context.js';
export { Tensor } from './gpu/tensor.js';
export type { KernelTiming } from './gpu/profiler.js';
export {
  parseTileTable, serializeTileTable, lookupTile, sizeClass, adapterKey, tileTableKey, TILE_TABLE_FORMAT,
  type TileTable, type TileEntry, type Tile, type TileQuery, type TileChooser, type SizeClass, type AdapterKey,
} from './gpu/tile-table.js';
export { VERSION } from './version.js';

export { configFromHub, configFromName, configFromArgs, numPrefixTokens, bufferNeeds, checkFitsDevice, type VitConfig, type BufferNeed } from './model/config.js';
export { knownTimmModels } from './model/timm-models.js';
export { expectedParams, checkWeights, type ParamSpec } from './model/weights.js';
export { VisionTransformer, type ForwardOptions, type ForwardResult, type OutputGradient } from './model/vit.js';
export { loadModelFromBytes, loadModelFromBytesAsync, loadModelFromConfig } from './model/load.js';
export { imageBatch, inputTensor } from './model/input.js';
export { classify, logitsOf, topK, softmax, type Prediction } from './model/predict.js';
export { gradients, type GradientRequest, type GradientResult } from './model/gradients.js';
export { classTarget, probTarget, conceptTarget, rankTarget, type Target } from './model/targets.js';
export { tapMatches, type TapSelector } from './model/taps.js';

export { getLimits, setLimits, parseLimits, DEFAULT_LIMITS, type Limits } from './io/limits.js';
export { parseSafetensors, serializeSafetensors, toFloat32, toIntArray, type SafetensorsFile, type TensorEntry } from './io/safetensors.js';
export { readTorchCheckpoint, TorchTensor, PickledNamespace, type TorchCheckpoint, type ReadCheckpointOptions } from './io/torch-checkpoint.js';
export { convertCheckpoint, loadStateDict, sniffWeightsFormat, type ConvertOptions, type ConvertResult } from './convert/convert.js';
export { inferArchitecture, hubConfig, type InferredArch, type InferOptions } from './convert/infer-arch.js';
export { remapToTimm } from './convert/timm-remap.js';
export { fromImageData, toRgb, toGray, dropAlpha, flattenAlpha, stackBatch, type RawImage, type ImageDataLike } from './io/image.js';
export { preprocess, resizeAndCrop, describePreprocessing, resolveDataConfig, normalizeToTensor, type DataConfig, type PretrainedCfg, type PreprocessSummary } from './io/preprocess.js';
export { resizePil, resizeFloatAntialiased, upsampleBilinear } from './io/resize.js';
export { colormap, colorAt, cssGradient, colormapFor, COLORMAPS, DIVERGING_COLORMAPS, type Colormap, type ColormapName } from './render/colormap.js';
export { mapStatus, type MapStatus } from './render/map-status.js';
export { withPngText, readPngText } from './render/png-text.js';
export {
  overlayMap, heatmapImage, attentionTiles, attentionGridPicture, tileImages, toImageData, mapRange, displaySize, scaleImage, nearestIndex,
  type MapPicture, type PictureOptions,
} from './render/picture.js';
export { renderExplainReport, ExplainReportBuilder, type ExplainReport, type ReportMeta, type ReportLimits, type ReportImage, type ReportRow, type ReportPanel, type PngEncoder } from './report/explain-report.js';

import { GpuContext, type GpuContextOptions } from './gpu/context.js';

/** A vitlens context on a device you created (e.g. in a browser: `await adapter.requestDevice()`). */
export function createContext(device: GPUDevice, options: Omit<GpuContextOptions, 'device'> = {}): GpuContext {
  return new GpuContext({ ...options, device });
}

export * as explain from './explain/index.js';
export { ExplanationSession, explainSession, derivableMethods, type SessionOptions, type SessionStats } from './explain/session.js';
export type { ExplanationMaps, ClassSpec } from './explain/index.js';
