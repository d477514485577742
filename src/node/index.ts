/**
 * vitlens/node — everything from `vitlens`, plus Dawn device creation and file access for Node.
 */
export * from '../index.js';
export { createNodeContext, type NodeContextOptions } from './device.js';
export { loadModelDir, readHubConfig } from './load.js';
export { encodePng, writePng } from '../io/encode-node.js';
export { convertCheckpointFile, readWeightsFile, nodeInflate, type ConvertFileOptions } from './convert.js';
export { decodeImage, readImageFile, readImageFileSync, sniffImageFormat } from '../io/decode-node.js';
export { pacedGpuWait } from './wait.js';
export { cacheDir, tileTablePath, readCachedTileTable, writeCachedTileTable, type CachedTable } from './tile-cache.js';
