/**
 * An explanation session: one model, one image batch, many explanations. It keeps on the GPU what
 * the registry's methods compute their maps from — the forward's taps (every block's attention
 * probabilities, the last block's norm1 output, the logits) and, per class already asked, the
 * gradients one backward gave — and derives each method's map from them with the method's own
 * function (`MethodInfo.derive`, registry.ts). So:
 *   - a class-independent method (attention, rollouts, flow) costs no forward after the first;
 *   - a class-specific method for a class already asked costs no forward and no backward;
 *   - classes not asked yet cost one backward for all of them together (plus the recorded forward
 *     that backward walks: a tape is consumed by one backward, design.md).
 * Methods that need extra forwards by nature (token ablation, occlusion, IG, SmoothGrad) run
 * through the registry as they would without a session (`stats.delegated`).
 *
 * Gradients are kept up to a byte budget (`SessionOptions.keptGradientBytes`, default 256 MiB):
 * past it the least recently used backwards not in use are released, and asking their classes
 * again costs a backward again (`stats.evicted` counts them).
 *
 * The session owns what it keeps: `dispose()` (or `using s = explainSession(...)`) releases it.
 * A request running when the session is disposed finishes, or stops with InputError 'disposed'
 * at its next step; what the session kept is released when the last such request settles.
 */
import { InputError } from '../errors.js';
import type { Tensor } from '../gpu/tensor.js';
import { gradients, type GradientResult } from '../model/gradients.js';
import { classTarget } from '../model/targets.js';
import type { ForwardResult, VisionTransformer } from '../model/vit.js';
import { clsAttentionFrom, type RawAttention } from './attention.js';
import { attentionStackFrom, type AttentionStack } from './attention-flow.js';
import type { ProgressFn } from './chunks.js';
import { resolveClasses, type ClassSpec } from './class-specs.js';
import { requireClassToken, type ExplanationMaps } from './maps.js';
import { METHODS, methodByName, type MethodInfo } from './registry.js';
import type { TargetGradients } from './sources.js';

/** The model work a session has done. */
export interface SessionStats {
  /** Forwards run by the session (the kept one, and one recorded forward per backward). */
  forwards: number;
  /** Backwards run by the session (one per batch of classes not asked before). */
  backwards: number;
  /** Requests handed to the registry because the method cannot be derived (they run their own forwards). */
  delegated: number;
  /** Backwards whose gradients were released to stay within `keptGradientBytes`. */
  evicted: number;
}

export interface SessionOptions {
  /**
   * Bytes of gradients the session keeps across requests (default 256 MiB). Past it, the least
   * recently used backwards that no running request reads are released; the newest is always kept.
   */
  keptGradientBytes?: number;
}

const DEFAULT_KEPT_GRADIENT_BYTES = 256 * 2 ** 20;

/** One backward's gradients for a list of class rows (row t: one class id per image). */
interface GradientGroup {
  keys: string[];
  g: GradientResult;
  bytes: number;
  /** Requests reading these gradients now (never evicted while > 0). */
  readers: number;
  /** Value of the session's use counter when a request last read it (LRU order). */
  lastUse: number;
}

const rowKey = (ids: readonly number[]) => ids.join(',');

/** The names of the methods a session derives from kept tensors (the others run through the registry). */
export function derivableMethods(): string[] {
  return METHODS.filter((x) => x.derive).map((x) => x.name);
}

export class ExplanationSession {
  private readonly counts: SessionStats = { forwards: 0, backwards: 0, delegated: 0, evicted: 0 };
  private readonly keptGradientBytes: number;
  private uses = 0;
  private readonly images: Tensor;
  private fwd: ForwardResult | null = null;
  private readonly groups: GradientGroup[] = [];
  private stack: Promise<AttentionStack> | null = null;
  private values: Promise<Float32Array> | null = null;
  private logitsRead: Promise<Float32Array> | null = null;
  private running = 0;
  private disposed = false;
  private released = false;

  /** Keeps its own reference to `images` ([B, C, H, W]); the caller keeps (and releases) theirs. */
  constructor(
    readonly model: VisionTransformer,
    images: Tensor,
    options: SessionOptions = {},
  ) {
    const budget = options.keptGradientBytes ?? DEFAULT_KEPT_GRADIENT_BYTES;
    if (!(budget >= 0)) throw new InputError('bad-option', `keptGradientBytes must be a number of bytes >= 0, got ${budget}`);
    this.keptGradientBytes = budget;
    this.images = images.retain();
  }

  /** A copy of the work counts so far. */
  get stats(): SessionStats {
    return { ...this.counts };
  }

  /**
   * The map of `method` (a registry name or alias) for `targets` (class-specific methods; default
   * 'top'), equal to `methodByName(method).run({ model, images, targets })`.
   */
  async explain(method: string, targets: ClassSpec | readonly ClassSpec[] = 'top', opts: { onProgress?: ProgressFn } = {}): Promise<ExplanationMaps> {
    this.checkOpen();
    const info = methodByName(method);
    if (!info) throw new InputError('bad-method', `unknown method "${method}" (known: ${METHODS.map((x) => x.name).join(', ')})`);
    if (info.usesClassToken) requireClassToken(this.model, info.title);
    return this.request(async () => {
      if (!info.derive) {
        this.counts.delegated++;
        return await info.run({ model: this.model, images: this.images, targets, onProgress: opts.onProgress });
      }
      if (!info.classSpecific) return await this.derive(info, [], { T: 0, grads: new Map() }, opts.onProgress);
      const ids = await resolveClasses(this.model, this.images, targets, () => this.logitValues());
      this.checkOpen();
      this.ensureGradients(ids);
      const reading = this.groupsOf(ids);
      for (const group of reading) {
        group.readers++;
        group.lastUse = ++this.uses;
      }
      this.evictPast(this.keptGradientBytes);
      try {
        return await this.derive(info, ids, this.gradientsOf(ids), opts.onProgress);
      } finally {
        for (const group of reading) group.readers--;
      }
    });
  }

  /** The images' logits ([B, C], read once) from the kept forward: a top-k table costs no extra forward. */
  async logits(): Promise<Float32Array> {
    this.checkOpen();
    return this.request(() => this.logitValues());
  }

  /** Every block's per-head CLS attention (as `clsAttention`) from the kept forward: no forward of its own. */
  async clsAttention(): Promise<RawAttention> {
    this.checkOpen();
    requireClassToken(this.model, 'class-token attention');
    return this.request(() => clsAttentionFrom(this.model, this.forward()));
  }

  /** Releases every tensor the session keeps (idempotent). */
  dispose(): void {
    this.disposed = true;
    if (this.running === 0) this.releaseAll();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Runs one request; what the session keeps outlives a dispose() until the last request settles. */
  private async request<T>(fn: () => Promise<T>): Promise<T> {
    this.running++;
    try {
      return await fn();
    } finally {
      if (--this.running === 0 && this.disposed) this.releaseAll();
    }
  }

  private checkOpen(): void {
    if (this.disposed) throw new InputError('disposed', 'this explanation session was disposed');
  }

  /** The kept forward: every tap a derivation reads, run once. */
  private forward(): ForwardResult {
    if (!this.fwd) {
      const taps = new Set<string>();
      for (const x of this.derivations()) for (const t of x.derive!.taps(this.model)) taps.add(t);
      this.fwd = this.model.forward(this.images, { taps: [...taps] });
      this.counts.forwards++;
    }
    return this.fwd;
  }

  /** The derivable methods this model can run (class-token methods only with a class token). */
  private derivations(): MethodInfo[] {
    return METHODS.filter((x) => x.derive && (!x.usesClassToken || this.model.config.classToken));
  }

  private logitValues(): Promise<Float32Array> {
    const logits = this.forward().logits;
    if (!logits) throw new InputError('no-logits', `${this.model.config.architecture} has no classifier: class targets need logits`);
    return (this.logitsRead ??= logits.read());
  }

  /** One backward for the class rows of `ids` that no earlier backward covered, with every gradient a derivation reads. */
  private ensureGradients(ids: number[][]): void {
    const have = new Set(this.groups.flatMap((x) => x.keys));
    const missing = new Map<string, number[]>();
    for (const row of ids) if (!have.has(rowKey(row))) missing.set(rowKey(row), row);
    if (missing.size === 0) return;
    const grads = new Set<string>();
    for (const x of this.derivations()) for (const t of x.derive!.grads?.(this.model) ?? []) grads.add(t);
    const rows = [...missing.values()];
    const g = gradients(this.model, this.images, rows.map((r) => classTarget(r)), { grads: [...grads] });
    g.forward.release(); // its taps are the kept forward's; only the gradients are kept
    this.counts.forwards++;
    this.counts.backwards++;
    const bytes = [...g.grads.values()].reduce((n, t) => n + t.byteSize, 0);
    this.groups.push({ keys: [...missing.keys()], g, bytes, readers: 0, lastUse: ++this.uses });
  }

  /** The groups holding the rows of `ids`. */
  private groupsOf(ids: number[][]): GradientGroup[] {
    const keys = new Set(ids.map(rowKey));
    return this.groups.filter((x) => x.keys.some((k) => keys.has(k)));
  }

  /** Releases least recently used groups no request reads until the kept bytes fit `budget`. */
  private evictPast(budget: number): void {
    let kept = this.groups.reduce((n, x) => n + x.bytes, 0);
    for (const group of [...this.groups].sort((a, b) => a.lastUse - b.lastUse)) {
      if (kept <= budget) break;
      if (group.readers > 0) continue;
      group.g.release();
      this.groups.splice(this.groups.indexOf(group), 1);
      kept -= group.bytes;
      this.counts.evicted++;
    }
  }

  /**
   * The gradients of the rows of `ids`, in order: one group's own when it holds exactly these
   * rows, else the rows copied out of their groups into new tensors (the caller releases them).
   */
  private gradientsOf(ids: number[][]): TargetGradients & { owned: boolean } {
    const keys = ids.map(rowKey);
    const exact = this.groups.find((x) => x.keys.length === keys.length && x.keys.every((k, i) => k === keys[i]));
    if (exact) return { T: exact.g.T, grads: exact.g.grads, owned: false };
    const { ctx } = this.model;
    const where = keys.map((k) => {
      const group = this.groups.find((x) => x.keys.includes(k))!;
      return { group, t: group.keys.indexOf(k) };
    });
    const grads = new Map<string, Tensor>();
    const template = where[0].group.g;
    try {
      for (const [name, like] of template.grads) {
        // Every gradient is [T*B, ...] (or [T, B, ...]): target t's rows are one contiguous block.
        const rowBytes = like.byteSize / template.T;
        const out = ctx.empty([(like.shape[0] / template.T) * keys.length, ...like.shape.slice(1)]);
        grads.set(name, out);
        where.forEach(({ group, t }, i) => ctx.copy(group.g.grads.get(name)!, t * rowBytes, out, i * rowBytes, rowBytes));
      }
    } catch (e) {
      for (const t of grads.values()) t.release();
      throw e;
    }
    return { T: keys.length, grads, owned: true };
  }

  private async derive(info: MethodInfo, ids: number[][], g: TargetGradients & { owned?: boolean }, onProgress: ProgressFn | undefined): Promise<ExplanationMaps> {
    try {
      const fwd = this.forward();
      return await info.derive!.map({
        model: this.model,
        images: this.images,
        fwd,
        ids,
        g,
        attentionStack: () => (this.stack ??= attentionStackFrom(this.model, fwd)),
        imageValues: () => (this.values ??= this.images.read()),
        onProgress,
      });
    } finally {
      if (g.owned) for (const t of g.grads.values()) t.release();
    }
  }

  private releaseAll(): void {
    if (this.released) return;
    this.released = true;
    this.fwd?.release();
    for (const x of this.groups) x.g.release();
    this.groups.length = 0;
    this.images.release();
  }
}

/** An explanation session for `model` and `images` ([B, C, H, W]); see ExplanationSession. */
export function explainSession(model: VisionTransformer, images: Tensor, options: SessionOptions = {}): ExplanationSession {
  return new ExplanationSession(model, images, options);
}

