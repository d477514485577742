/**
 * Per-kernel GPU timing for benchmarks: in profiling mode every dispatch gets its own compute
 * pass with timestamp writes, and the timestamps are resolved at each submit. Separate passes
 * add a little overhead, so profiled runs are for attribution, not for headline figures.
 */
const CAPACITY = 4096; // timestamps per submit (two per dispatch)

export interface KernelTiming {
  kernel: string;
  calls: number;
  ms: number;
}

export class Profiler {
  private readonly querySet: GPUQuerySet;
  private readonly resolveBuffer: GPUBuffer;
  private labels: string[] = [];
  private readonly pendingReads: Promise<void>[] = [];
  private readonly totals = new Map<string, { calls: number; ns: number }>();

  constructor(
    private readonly device: GPUDevice,
    private readonly wait: <T>(p: Promise<T>) => Promise<T>,
  ) {
    this.querySet = device.createQuerySet({ type: 'timestamp', count: CAPACITY });
    this.resolveBuffer = device.createBuffer({ size: CAPACITY * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  }

  get full(): boolean {
    return this.labels.length * 2 >= CAPACITY;
  }

  /** Timestamp writes for the pass of one dispatch of `label`. */
  next(label: string): GPUComputePassTimestampWrites {
    const i = this.labels.length;
    this.labels.push(label);
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  /** Records the resolve of this submit's timestamps; call right before finishing the encoder. */
  resolve(encoder: GPUCommandEncoder): void {
    const n = this.labels.length;
    if (n === 0) return;
    const labels = this.labels;
    this.labels = [];
    const staging = this.device.createBuffer({ size: n * 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    encoder.resolveQuerySet(this.querySet, 0, 2 * n, this.resolveBuffer, 0);
    encoder.copyBufferToBuffer(this.resolveBuffer, 0, staging, 0, n * 16);
    // Mapped after the submit that carries these commands.
    queueMicrotask(() => {
      this.pendingReads.push(
        this.wait(staging.mapAsync(GPUMapMode.READ)).then(() => {
          const t = new BigUint64Array(staging.getMappedRange());
          labels.forEach((label, i) => {
            const entry = this.totals.get(label) ?? { calls: 0, ns: 0 };
            entry.calls++;
            entry.ns += Number(t[2 * i + 1] - t[2 * i]);
            this.totals.set(label, entry);
          });
          staging.unmap();
          staging.destroy();
        }),
      );
    });
  }

  /** Totals per kernel since the last reset, slowest first. */
  async report(): Promise<KernelTiming[]> {
    await new Promise((r) => queueMicrotask(() => r(undefined)));
    await Promise.all(this.pendingReads.splice(0));
    return [...this.totals.entries()]
      .map(([kernel, v]) => ({ kernel, calls: v.calls, ms: v.ns / 1e6 }))
      .sort((a, b) => b.ms - a.ms);
  }

  reset(): void {
    this.totals.clear();
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolveBuffer.destroy();
  }
}
