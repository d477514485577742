/**
 * Buffer pool: storage buffers are expensive to create and first bind, so released buffers are
 * kept in free lists by size class and handed out again. Size classes are 2^k and 1.5*2^k
 * bytes, so any request wastes at most a third and repeated runs of one model reach a steady
 * state where nothing is created. Buffers are only destroyed by `trim()` / `dispose()`.
 *
 * Reuse is safe under WebGPU's ordering: a buffer released while commands that read it are
 * still being recorded can be handed to a later command of the same stream, which runs after
 * them. Direct queue writes are the exception; the context flushes before those.
 */
const MIN_BYTES = 256;

export function sizeClass(bytes: number): number {
  const b = Math.max(MIN_BYTES, bytes);
  const p = 2 ** Math.ceil(Math.log2(b));
  return b <= p * 0.75 ? p * 0.75 : p;
}

export interface PoolStats {
  /** Buffers handed out and not yet released. */
  inUse: number;
  /** Buffers waiting in free lists. */
  free: number;
  /** Buffers this pool currently owns (inUse + free). */
  live: number;
  /** Bytes of all owned buffers. */
  bytes: number;
  /** Buffers created since the pool was made. */
  created: number;
}

export class BufferPool {
  private readonly freeLists = new Map<number, GPUBuffer[]>();
  private readonly owned = new Set<GPUBuffer>();
  private readonly handedOut = new Set<GPUBuffer>();
  private created = 0;
  private bytes = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: GPUBufferUsageFlags,
    private readonly label: string,
  ) {}

  acquire(byteSize: number): GPUBuffer {
    // Near the device's buffer-size limit, fall back to the exact (256-aligned) size.
    let cls = sizeClass(byteSize);
    if (cls > this.device.limits.maxBufferSize) cls = Math.ceil(byteSize / MIN_BYTES) * MIN_BYTES;
    const buffer = this.freeLists.get(cls)?.pop() ?? this.create(cls);
    this.handedOut.add(buffer);
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    if (!this.handedOut.delete(buffer)) throw new Error(`${this.label}: released a buffer that is not in use`);
    const list = this.freeLists.get(buffer.size);
    if (list) list.push(buffer);
    else this.freeLists.set(buffer.size, [buffer]);
  }

  /** Destroys every free buffer (buffers in use are untouched). */
  trim(): void {
    for (const list of this.freeLists.values()) {
      for (const b of list) this.destroy(b);
    }
    this.freeLists.clear();
  }

  /** Destroys every buffer the pool made, in use or not. */
  dispose(): void {
    this.trim();
    for (const b of [...this.handedOut]) this.destroy(b);
    this.handedOut.clear();
  }

  stats(): PoolStats {
    let free = 0;
    for (const l of this.freeLists.values()) free += l.length;
    return { inUse: this.handedOut.size, free, live: this.owned.size, bytes: this.bytes, created: this.created };
  }

  private create(bytes: number): GPUBuffer {
    const b = this.device.createBuffer({ size: bytes, usage: this.usage, label: `${this.label}#${this.created}` });
    this.created++;
    this.bytes += bytes;
    this.owned.add(b);
    return b;
  }

  private destroy(b: GPUBuffer): void {
    this.owned.delete(b);
    this.bytes -= b.size;
    b.destroy();
  }
}
