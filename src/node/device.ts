/**
 * WebGPU in Node through Dawn (npm `webgpu`): adapter and device creation with the features
 * and limits vitlens uses, wrapped in a GpuContext.
 */
import { create, globals } from 'webgpu';
import { DeviceError } from '../errors.js';
import { GpuContext, type FusedAttention, type KernelFamily } from '../gpu/context.js';
import { adapterKey, type TileTable } from '../gpu/tile-table.js';
import { readCachedTileTable } from './tile-cache.js';
import { pacedGpuWait } from './wait.js';

export interface NodeContextOptions {
  /** Dawn toggles / options passed to `create()`, e.g. `['backend=vulkan']`. */
  dawnOptions?: string[];
  powerPreference?: GPUPowerPreference;
  kernelFamily?: KernelFamily;
  /** See GpuContextOptions.fusedAttention (default 'forward'). */
  fusedAttention?: FusedAttention;
  /** Print the WGSL of each pipeline as it is compiled (also: env VITLENS_DUMP_WGSL=1). */
  dumpWgsl?: boolean;
  /**
   * Pace dawn.node's polling while vitlens waits on the GPU (default false). Faster on a CPU
   * adapter (lavapipe) but it replaces `globalThis.setImmediate` during each wait, delaying other
   * native addons' setImmediate callbacks by up to 1 ms: turn it on in processes you own
   * (the vitlens CLI does), see src/node/wait.ts.
   */
  pacedWait?: boolean;
  /**
   * Matmul tiles: 'cached' (default) uses the table `vitlens tune` measured for this adapter and
   * version when the cache holds one (src/node/tile-cache.ts; a file that cannot be used is skipped
   * with a process warning), 'default' the built-in tiles, or a table you loaded yourself.
   * Env VITLENS_TILES=default turns the cache off.
   */
  tiles?: 'cached' | 'default' | TileTable;
}

const warned = new Set<string>();

/** The table the options ask for (see `tiles`), or undefined for the defaults. */
function tilesFor(options: NodeContextOptions, info: GPUAdapterInfo, lanes: number): TileTable | undefined {
  const tiles = options.tiles ?? (process.env.VITLENS_TILES === 'default' ? 'default' : 'cached');
  if (tiles === 'default') return undefined;
  if (tiles !== 'cached') return tiles;
  const cached = readCachedTileTable(adapterKey(info), lanes);
  if (cached.skipped && !warned.has(cached.path)) {
    warned.add(cached.path);
    process.emitWarning(`vitlens: ignoring the cached tile table (${cached.skipped}); using the default tiles. Run \`vitlens tune\` to measure new ones.`, { code: 'VITLENS_TILE_CACHE' });
  }
  return cached.table ?? undefined;
}

let installed = false;

export async function createNodeContext(options: NodeContextOptions = {}): Promise<GpuContext> {
  if (!installed) {
    // Dawn's classes (GPUBufferUsage, ...) are globals in browsers; make them so in Node.
    Object.assign(globalThis, globals);
    installed = true;
  }
  // The instance must outlive the device (dawn.node crashes if it is collected): the context keeps it.
  const gpu = create(options.dawnOptions ?? []);
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference });
  if (!adapter) {
    throw new DeviceError(
      'no-adapter',
      'WebGPU found no adapter. On a machine without a GPU, install a Vulkan driver such as Mesa lavapipe: run `bash node_modules/vitlens/scripts/setup-webgpu.sh` (or `npm run setup` in the vitlens repository).',
    );
  }
  const wanted: GPUFeatureName[] = ['subgroups', 'shader-f16', 'timestamp-query'];
  const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
  // Ask for the adapter's own storage limits: ViT activations easily exceed the 128 MiB default.
  const l = adapter.limits;
  const requiredLimits: Record<string, number> = {
    maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
    maxBufferSize: l.maxBufferSize,
    maxStorageBuffersPerShaderStage: Math.min(l.maxStorageBuffersPerShaderStage, 10),
    maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
  };
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  } catch (e) {
    throw new DeviceError('no-device', `the WebGPU adapter refused to create a device: ${(e as Error).message}`);
  }
  const lanes = (adapter.info as GPUAdapterInfo & { subgroupMaxSize?: number }).subgroupMaxSize || 8;
  return new GpuContext({
    device,
    adapterInfo: adapter.info,
    tileTable: tilesFor(options, adapter.info, lanes),
    kernelFamily: options.kernelFamily,
    fusedAttention: options.fusedAttention,
    dumpWgsl: options.dumpWgsl ?? process.env.VITLENS_DUMP_WGSL === '1',
    waitForGpu: options.pacedWait ? pacedGpuWait : undefined,
    ownsDevice: true,
    keepAlive: gpu,
  });
}
