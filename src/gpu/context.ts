/**
 * GpuContext: everything vitlens keeps per GPUDevice — the pipeline cache, the buffer pool, the
 * uniform arena and the command stream being recorded.
 *
 * Work is recorded, not run: `dispatch()` appends to one compute pass of one command encoder,
 * and nothing is submitted until a result is read back (or the arena fills up). A whole forward
 * and backward therefore reaches the GPU as one submit, with no readback in the middle.
 *
 * Kernel parameters live in one uniform arena: every dispatch gets a 256-byte slot, bound with a
 * dynamic offset, and the arena is uploaded once, right before the submit that uses it. Queue
 * order makes the reuse of the arena after a submit safe.
 */
import { DeviceError, InputError, TileTableError } from '../errors.js';
import type { Kernel } from './kernel.js';
import { BufferPool, type PoolStats } from './pool.js';
import { Profiler, type KernelTiming } from './profiler.js';
import { numel, Tensor, type DType } from './tensor.js';
import type { ScalarType } from './uniforms.js';
import { adapterKey, tableMismatch, tileChooser, type AdapterKey, type Tile, type TileChooser, type TileQuery, type TileTable } from './tile-table.js';
import { VERSION } from '../version.js';

/** See GpuContextOptions.fusedAttention. */
export type FusedAttention = 'forward' | 'both' | 'none';

/** Which matmul/reduction kernels to use: `simd` for CPU Vulkan (lavapipe), `tiled` for GPUs. */
export type KernelFamily = 'simd' | 'tiled';

export interface GpuContextOptions {
  device: GPUDevice;
  /** Adapter info for naming and kernel selection; defaults to `device.adapterInfo` where available. */
  adapterInfo?: GPUAdapterInfo;
  /** Force a kernel family; default picks `simd` on software adapters with subgroups, else `tiled`. */
  kernelFamily?: KernelFamily;
  /**
   * Which attention passes run as the fused kernels (src/kernels/attention.ts): 'forward'
   * (default: measured faster on lavapipe), 'both' (the gradient too) or 'none' (the batched
   * matmuls + softmax they replace, for comparison).
   */
  fusedAttention?: FusedAttention;
  /** Print (true) or hand over (callback) the WGSL of every pipeline when it is first compiled. */
  dumpWgsl?: boolean | ((label: string, code: string) => void);
  /** Wraps every wait on the GPU (Node uses this to avoid dawn.node's busy polling). */
  waitForGpu?: <T>(promise: Promise<T>) => Promise<T>;
  /** Destroy the device in `dispose()` (true when vitlens created it). */
  ownsDevice?: boolean;
  /** Objects that must live as long as the device (Dawn's instance in Node). */
  keepAlive?: unknown;
  /**
   * Matmul tiles measured for this adapter by `vitlens tune` (see gpu/tile-table.ts); default:
   * each layout's built-in tile. A table from another adapter or version is refused.
   */
  tileTable?: TileTable;
}

export interface DeviceInfo {
  /** Human-readable adapter name, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)" or "NVIDIA H100". */
  name: string;
  vendor: string;
  architecture: string;
  /** CPU implementation of WebGPU/Vulkan (lavapipe, SwiftShader, WARP). */
  isSoftware: boolean;
  subgroups: boolean;
  subgroupMinSize: number;
  subgroupMaxSize: number;
  timestamps: boolean;
  f16: boolean;
}

const SLOT = 256;
const ARENA_SLOTS = 1024;

interface CompiledKernel {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  /** The WGSL it was compiled from: a cache hit must come from the same source. */
  code: string;
}

export function describeAdapter(info: GPUAdapterInfo | undefined, device: GPUDevice): DeviceInfo {
  const vendor = info?.vendor ?? '';
  const architecture = info?.architecture ?? '';
  // Browsers leave description and device empty on purpose (fingerprinting) and report only
  // vendor and architecture, e.g. Chrome's SwiftShader: "google" / "swiftshader".
  const desc = info?.description || info?.device || [vendor, architecture].filter(Boolean).join(' ') || 'unknown adapter';
  const text = `${vendor} ${architecture} ${desc}`.toLowerCase();
  const isSoftware =
    architecture === 'software' || /llvmpipe|lavapipe|swiftshader|warp|software/.test(text);
  const anyInfo = info as (GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number }) | undefined;
  return {
    name: desc,
    vendor,
    architecture,
    isSoftware,
    subgroups: device.features.has('subgroups'),
    subgroupMinSize: anyInfo?.subgroupMinSize ?? 0,
    subgroupMaxSize: anyInfo?.subgroupMaxSize ?? 0,
    timestamps: device.features.has('timestamp-query'),
    f16: device.features.has('shader-f16'),
  };
}

export class GpuContext {
  readonly device: GPUDevice;
  readonly info: DeviceInfo;
  readonly kernelFamily: KernelFamily;
  /** See GpuContextOptions.fusedAttention. */
  readonly fusedAttention: FusedAttention;
  readonly pool: BufferPool;
  private readonly staging: BufferPool;
  private readonly pipelines = new Map<string, CompiledKernel>();
  private readonly arena: GPUBuffer;
  private readonly arenaBytes = new ArrayBuffer(SLOT * ARENA_SLOTS);
  private readonly arenaView = new DataView(this.arenaBytes);
  private slotsUsed = 0;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private pending = 0;
  private firstError: string | null = null;
  private lost: string | null = null;
  private disposed = false;
  private readonly dump: ((label: string, code: string) => void) | null;
  private readonly wait: <T>(p: Promise<T>) => Promise<T>;
  private profiler: Profiler | null = null;
  private tiles: TileChooser | null = null;
  private table: TileTable | null = null;
  /** The adapter as its info names it: what tile tables are keyed by. */
  readonly adapter: AdapterKey;
  /** Dispatches recorded since the context was made (for tests and benchmarks). */
  dispatches = 0;
  /** Command buffers submitted since the context was made. */
  submits = 0;

  constructor(private readonly options: GpuContextOptions) {
    const { device } = options;
    this.device = device;
    const info = options.adapterInfo ?? (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    this.info = describeAdapter(info, device);
    this.adapter = adapterKey(info);
    this.kernelFamily = options.kernelFamily ?? (this.info.isSoftware && this.info.subgroups ? 'simd' : 'tiled');
    this.fusedAttention = options.fusedAttention ?? 'forward';
    if (this.kernelFamily === 'simd' && !this.info.subgroups) {
      throw new DeviceError('no-subgroups', "kernel family 'simd' needs the 'subgroups' feature, which this device was created without");
    }
    const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    this.pool = new BufferPool(device, storage, 'vitlens');
    this.staging = new BufferPool(device, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'vitlens-readback');
    this.arena = device.createBuffer({
      size: this.arenaBytes.byteLength,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      label: 'vitlens-uniforms',
    });
    const d = options.dumpWgsl;
    this.dump = d === true ? (label, code) => console.error(`// ---- ${label}\n${code}`) : typeof d === 'function' ? d : null;
    this.wait = options.waitForGpu ?? ((p) => p);
    device.addEventListener('uncapturederror', (ev) => {
      const e = (ev as GPUUncapturedErrorEvent).error;
      this.firstError ??= e.message;
    });
    device.lost.then((l) => {
      if (!this.disposed) this.lost = `${l.reason}: ${l.message}`;
    });
    if (options.tileTable) this.setTileTable(options.tileTable);
  }

  // ---- matmul tiles ----------------------------------------------------------------------

  /** Subgroup size the simd kernels are built for. */
  get lanes(): number {
    return this.info.subgroupMaxSize || 8;
  }

  /**
   * Uses `table`'s tiles from the next recorded matmul on (null: the defaults). Throws a
   * TileTableError for a table measured on another adapter, version or subgroup size.
   */
  setTileTable(table: TileTable | null): void {
    if (table) {
      const why = tableMismatch(table, { adapter: this.adapter, version: VERSION, lanes: this.lanes });
      if (why) throw new TileTableError('foreign-table', `this tile table does not belong to this device: ${why} (run \`vitlens tune\` on this machine)`);
    }
    this.table = table;
    this.tiles = table ? tileChooser(table) : null;
  }

  get tileTable(): TileTable | null {
    return this.table;
  }

  /** Replaces the tile choice with any function (what `vitlens tune` sweeps with); null restores the table's. */
  setTileChooser(choose: TileChooser | null): void {
    this.tiles = choose ?? (this.table ? tileChooser(this.table) : null);
  }

  /** The tile for one matmul, or null for its layout's default. */
  chooseTile(q: TileQuery): Tile | null {
    return this.tiles?.(q) ?? null;
  }

  // ---- tensors -------------------------------------------------------------------------

  /** An uninitialised tensor from the pool. */
  empty(shape: readonly number[], dtype: DType = 'f32'): Tensor {
    this.checkUsable();
    const n = numel(shape);
    if (!Number.isSafeInteger(n) || n < 0) throw new InputError('bad-shape', `invalid tensor shape [${shape}]`);
    const bytes = Math.max(16, n * 4);
    if (bytes > this.device.limits.maxStorageBufferBindingSize) {
      throw new DeviceError(
        'too-large',
        `a tensor of shape [${shape}] needs ${(bytes / 2 ** 20).toFixed(1)} MiB, more than this device binds at once (${(this.device.limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB)${shape.length > 1 && shape[0] > 1 ? ': use a smaller batch' : ''}`,
      );
    }
    return new Tensor(this, this.pool.acquire(bytes), shape, dtype);
  }

  /** A tensor holding `data`, its dtype that of the array (Float32Array f32, Uint32Array u32, Int32Array i32). */
  upload(data: Float32Array | Uint32Array | Int32Array, shape: readonly number[] = [data.length]): Tensor {
    if (numel(shape) !== data.length) throw new InputError('bad-shape', `data of length ${data.length} does not fit shape [${shape}]`);
    const t = this.empty(shape, data instanceof Float32Array ? 'f32' : data instanceof Int32Array ? 'i32' : 'u32');
    // Recorded commands may still use this buffer's previous life: submit them first, so the
    // queue write lands after them.
    if (this.pending > 0) this.flush();
    if (data.length > 0) this.device.queue.writeBuffer(t.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return t;
  }

  // ---- recording -----------------------------------------------------------------------

  /** Records one dispatch of `kernel` over `grid` workgroups. */
  dispatch<F extends Record<string, ScalarType>>(
    kernel: Kernel<F>,
    tensors: readonly Tensor[],
    params: { [K in keyof F]: number },
    grid: readonly [number, number?, number?],
    /** Finer name for the profiler (e.g. the matmul shape); defaults to the kernel's. */
    label?: string,
  ): void {
    this.checkUsable();
    if (tensors.length !== kernel.bindings.length) {
      throw new Error(`${kernel.name}: ${kernel.bindings.length} bindings declared, ${tensors.length} tensors given`);
    }
    const [gx, gy = 1, gz = 1] = grid;
    if (gx === 0 || gy === 0 || gz === 0) return;
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (gx > max || gy > max || gz > max) throw new Error(`${kernel.name}: grid [${gx}, ${gy}, ${gz}] exceeds ${max}`);
    tensors.forEach((t, i) => {
      if (!t.alive) throw new Error(`${kernel.name}: binding ${kernel.bindings[i].name} is a released tensor`);
    });
    const compiled = this.compile(kernel);
    if (this.slotsUsed === ARENA_SLOTS) this.flush();
    const offset = this.slotsUsed * SLOT;
    kernel.params.pack(params, this.arenaView, offset);
    this.slotsUsed++;
    const bindGroup = this.device.createBindGroup({
      layout: compiled.layout,
      entries: [
        ...tensors.map((t, i) => ({ binding: i, resource: { buffer: t.buffer, offset: 0, size: Math.max(16, t.byteSize) } })),
        { binding: tensors.length, resource: { buffer: this.arena, offset: 0, size: kernel.params.byteSize } },
      ],
    });
    if (this.profiler) {
      // Profiling: one pass per dispatch, timed by its own timestamps.
      this.endPass();
      if (this.profiler.full) this.flush();
      this.pass = this.commandEncoder().beginComputePass({ timestampWrites: this.profiler.next(label ?? kernel.cacheKey) });
    }
    const pass = this.computePass();
    pass.setPipeline(compiled.pipeline);
    pass.setBindGroup(0, bindGroup, [offset]);
    pass.dispatchWorkgroups(gx, gy, gz);
    if (this.profiler) this.endPass();
    this.pending++;
    this.dispatches++;
  }

  /** Records a buffer-to-buffer copy of `bytes` bytes. */
  copy(src: Tensor, srcOffsetBytes: number, dst: Tensor, dstOffsetBytes: number, bytes: number): void {
    this.checkUsable();
    if (bytes === 0) return;
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(src.buffer, srcOffsetBytes, dst.buffer, dstOffsetBytes, bytes);
    this.pending++;
  }

  /** Submits everything recorded so far. */
  flush(): void {
    if (this.slotsUsed > 0) {
      this.device.queue.writeBuffer(this.arena, 0, this.arenaBytes, 0, this.slotsUsed * SLOT);
      this.slotsUsed = 0;
    }
    this.endPass();
    if (this.encoder) {
      this.profiler?.resolve(this.encoder);
      this.device.queue.submit([this.encoder.finish()]);
      this.submits++;
      this.encoder = null;
    }
    this.pending = 0;
  }

  /** Submits and waits until the GPU has finished everything submitted. */
  async sync(): Promise<void> {
    this.flush();
    await this.wait(this.device.queue.onSubmittedWorkDone());
    this.throwIfFailed();
  }

  /** Reads a tensor back to the CPU (submits pending work first). */
  async read(t: Tensor): Promise<Float32Array> {
    const bytes = await this.readBytes(t);
    return new Float32Array(bytes);
  }

  async readU32(t: Tensor): Promise<Uint32Array> {
    return new Uint32Array(await this.readBytes(t));
  }

  private async readBytes(t: Tensor): Promise<ArrayBuffer> {
    this.checkUsable();
    if (!t.alive) throw new InputError('released-tensor', 'read() of a released tensor');
    const bytes = t.byteSize;
    if (bytes === 0) return new ArrayBuffer(0);
    const staging = this.staging.acquire(bytes);
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(t.buffer, 0, staging, 0, bytes);
    this.flush();
    try {
      await this.wait(staging.mapAsync(GPUMapMode.READ, 0, bytes));
    } catch (e) {
      if (this.disposed) throw new DeviceError('disposed', 'the vitlens GPU context was disposed while a result was being read back (ctx.dispose() was called during a computation; await it first)');
      this.throwIfFailed();
      const reason = (e as Error)?.message || (e as Error)?.name || 'the device gave no reason';
      throw new DeviceError('readback-failed', `reading a result back from the GPU failed: ${reason}`);
    }
    if (this.disposed) throw new DeviceError('disposed', 'the vitlens GPU context was disposed while a result was being read back (ctx.dispose() was called during a computation; await it first)');
    const out = staging.getMappedRange(0, bytes).slice(0);
    staging.unmap();
    this.staging.release(staging);
    this.throwIfFailed();
    return out;
  }

  // ---- profiling -----------------------------------------------------------------------

  /** Times every dispatch from now on (needs the timestamp-query feature). */
  startProfiling(): void {
    if (!this.info.timestamps) throw new DeviceError('no-timestamps', "profiling needs the 'timestamp-query' feature");
    this.flush();
    this.profiler ??= new Profiler(this.device, this.wait);
    this.profiler.reset();
  }

  /** Stops profiling and returns GPU time per kernel, slowest first. */
  async stopProfiling(): Promise<KernelTiming[]> {
    if (!this.profiler) return [];
    await this.sync();
    const report = await this.profiler.report();
    this.profiler.destroy();
    this.profiler = null;
    return report;
  }

  // ---- bookkeeping ---------------------------------------------------------------------

  stats(): { pool: PoolStats; pipelines: number; dispatches: number; submits: number } {
    return { pool: this.pool.stats(), pipelines: this.pipelines.size, dispatches: this.dispatches, submits: this.submits };
  }

  /** Number of distinct compiled pipelines. */
  get pipelineCount(): number {
    return this.pipelines.size;
  }

  /** Releases every GPU resource vitlens made on this device (and the device, if vitlens created it). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.encoder = null;
    this.pass = null;
    this.pool.dispose();
    this.staging.dispose();
    this.arena.destroy();
    this.pipelines.clear();
    if (this.options.ownsDevice) this.device.destroy();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  private compile(kernel: Kernel): CompiledKernel {
    const hit = this.pipelines.get(kernel.cacheKey);
    if (hit) {
      // A kernel cache keyed on less than what its WGSL depends on would otherwise run the
      // wrong pipeline silently (e.g. a row layout built for another subgroup size).
      if (hit.code !== kernel.code) throw new Error(`kernel ${kernel.cacheKey}: two different WGSL sources share one cache key`);
      return hit;
    }
    for (const e of kernel.enables) {
      if (e === 'subgroups' && !this.info.subgroups) throw new DeviceError('no-subgroups', `kernel ${kernel.cacheKey} needs the 'subgroups' feature`);
      if (e === 'f16' && !this.info.f16) throw new DeviceError('no-f16', `kernel ${kernel.cacheKey} needs the 'shader-f16' feature`);
    }
    this.dump?.(kernel.cacheKey, kernel.code);
    const layout = this.device.createBindGroupLayout({
      label: kernel.cacheKey,
      entries: [
        ...kernel.bindings.map((b, i) => ({
          binding: i,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: (b.access === 'read' ? 'read-only-storage' : 'storage') as GPUBufferBindingType },
        })),
        { binding: kernel.bindings.length, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' as const, hasDynamicOffset: true } },
      ],
    });
    const module = this.device.createShaderModule({ code: kernel.code, label: kernel.cacheKey });
    const pipeline = this.device.createComputePipeline({
      label: kernel.cacheKey,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main' },
    });
    const compiled = { pipeline, layout, code: kernel.code };
    this.pipelines.set(kernel.cacheKey, compiled);
    return compiled;
  }

  private commandEncoder(): GPUCommandEncoder {
    this.encoder ??= this.device.createCommandEncoder({ label: 'vitlens' });
    return this.encoder;
  }

  private computePass(): GPUComputePassEncoder {
    this.pass ??= this.commandEncoder().beginComputePass();
    return this.pass;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  private checkUsable(): void {
    if (this.disposed) throw new DeviceError('disposed', 'this vitlens GPU context was disposed');
    if (this.lost) throw new DeviceError('device-lost', `the GPU device was lost (${this.lost}); create a new context`);
  }

  private throwIfFailed(): void {
    if (this.lost) throw new DeviceError('device-lost', `the GPU device was lost (${this.lost}); create a new context`);
    if (this.firstError) {
      const msg = this.firstError;
      this.firstError = null;
      throw new DeviceError('gpu-error', `the GPU reported an error: ${msg}`);
    }
  }
}
