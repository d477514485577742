/**
 * A Tensor is a shape over a reference-counted GPU buffer from the context's pool. Lifetime is
 * explicit: every Tensor handle owns one reference, `retain()` adds one, `release()` drops one,
 * and the buffer returns to the pool when the last reference goes. Nothing relies on garbage
 * collection. `reshape()` gives a second handle on the same storage (it owns its own reference).
 * A handle is disposable: `using t = ctx.empty(...)` releases it at the end of the scope, on
 * every path out of it (returns and exceptions).
 */
import './dispose.js';
import { InputError } from '../errors.js';
import type { GpuContext } from './context.js';

/** Element type of a tensor's buffer (4 bytes each): what WGSL reads it as. */
export type DType = 'f32' | 'u32' | 'i32';

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

let nextId = 1;

class Storage {
  refs = 1;
  readonly id = nextId++;
  constructor(readonly buffer: GPUBuffer) {}
}

export class Tensor {
  private readonly storage: Storage;
  private owned = true;

  constructor(
    readonly ctx: GpuContext,
    buffer: GPUBuffer | Storage,
    readonly shape: readonly number[],
    readonly dtype: DType = 'f32',
  ) {
    this.storage = buffer instanceof Storage ? buffer : new Storage(buffer);
  }

  get buffer(): GPUBuffer {
    return this.storage.buffer;
  }

  /** Identity of the storage: every handle on the same data shares it. */
  get id(): number {
    return this.storage.id;
  }

  get size(): number {
    return numel(this.shape);
  }

  get byteSize(): number {
    return this.size * 4;
  }

  /** False once this handle was released. */
  get alive(): boolean {
    return this.owned;
  }

  /** Adds a reference and returns a new handle that owns it. */
  retain(): Tensor {
    return this.reshape(this.shape);
  }

  release(): void {
    if (!this.owned) throw new InputError('released-tensor', 'release() on a tensor handle that was already released');
    this.owned = false;
    // After ctx.dispose() every buffer is gone already: releasing a handle is then a no-op.
    if (this.ctx.isDisposed) return;
    if (--this.storage.refs === 0) this.ctx.pool.release(this.storage.buffer);
  }

  /** Releases this handle unless it was released already (what `using` calls). */
  [Symbol.dispose](): void {
    if (this.owned) this.release();
  }

  /** A new handle on the same storage with another shape of the same size. */
  reshape(shape: readonly number[]): Tensor {
    if (!this.owned) throw new Error('reshape() of a released tensor');
    if (numel(shape) !== this.size) {
      throw new InputError('bad-shape', `cannot reshape a tensor of shape [${this.shape}] to [${shape}]`);
    }
    this.storage.refs++;
    return new Tensor(this.ctx, this.storage, shape, this.dtype);
  }

  async read(): Promise<Float32Array> {
    return this.ctx.read(this);
  }
}
