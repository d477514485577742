/**
 * Reverse-mode tape. The forward appends one record per differentiable op call (a flat list, in
 * execution order); `backward` walks it in reverse and runs each record's gradient, which the
 * record carries from its typed op definition (ops/define.ts). Records say what they save; saved tensors are
 * released as soon as their record's gradient has run, and gradients as soon as their forward
 * tensor's creator has consumed them, unless they were asked for as taps.
 *
 * Multi-target backward: the output gradient carries T gradients at once (T targets for the same batch),
 * so every gradient tensor is [T, ...forward shape] and saved forward tensors are broadcast
 * over T by the kernels (`mod` addressing) — T targets cost one walk, not T.
 */
import { InputError } from '../errors.js';
import type { GpuContext } from '../gpu/context.js';
import { Tensor } from '../gpu/tensor.js';
import { axpy } from '../kernels/elementwise.js';
import type { OpCall, OpDefinition, SavedTensors } from './ops/define.js';
import { tapName } from './taps.js';

/** What identifies a forward tensor in the backward: its storage id and shape (it may be released). */
export interface TensorRef {
  readonly id: number;
  readonly shape: readonly number[];
}

/** One recorded op call, its types erased: the typed call lives in the `backward` closure. */
export interface TapeRecord {
  /** The op's name (ops/define.ts). */
  readonly op: string;
  /** Forward inputs that receive gradients. */
  readonly inputs: readonly Tensor[];
  /** Forward outputs whose gradients this record consumes. */
  readonly outputs: readonly Tensor[];
  /** Intermediate gradient taps this record's backward can hand out (e.g. `attn.3`). */
  readonly gradTaps: readonly string[];
  /** Runs the op's gradient on this call. */
  backward(bw: Backward): void;
  /** Releases the tensors saved for the gradient (idempotent). */
  releaseSaved(): void;
}

export class Tape {
  readonly records: TapeRecord[] = [];
  private consumed = false;

  constructor(
    readonly ctx: GpuContext,
    /** Also compute gradients of the parameters. */
    readonly weightGrads = false,
  ) {}

  /**
   * Records one call of `op`; the types of `saved` and `attrs` are those its backward reads.
   * `saved` tensors are retained here and released by the backward (or `dispose`).
   */
  record<Attrs, Saved extends SavedTensors>(op: OpDefinition<Attrs, Saved>, call: OpCall<Attrs, Saved>): void {
    if (this.consumed) throw new Error('this tape was already used by a backward pass');
    const kept = {} as Record<string, Tensor>;
    for (const [k, t] of Object.entries(call.saved as SavedTensors)) if (t) kept[k] = t.retain();
    const view: OpCall<Attrs, Saved> = { inputs: [...call.inputs], outputs: [...call.outputs], saved: kept as Saved, attrs: call.attrs };
    const taps = op.gradTaps;
    const layer = taps ? taps.layer(call.attrs) : 0;
    let released = false;
    this.records.push({
      op: op.name,
      inputs: view.inputs,
      outputs: view.outputs,
      gradTaps: taps ? taps.families.map((f) => tapName(f, layer)) : [],
      backward: (bw) => op.backward(view, bw),
      releaseSaved: () => {
        if (released) return;
        released = true;
        for (const t of Object.values(kept)) t.release();
      },
    });
  }

  markConsumed(): void {
    this.consumed = true;
  }

  /** Releases everything the tape holds (after a backward, or to drop it unused). */
  dispose(): void {
    for (const r of this.records) r.releaseSaved();
    this.records.length = 0;
    this.consumed = true;
  }
}

/** What a gradient function can ask of the backward pass. */
export class Backward {
  private readonly grads = new Map<number, Tensor>();
  private readonly kept = new Map<string, Tensor>();
  private readonly keptIds = new Set<number>();
  private running: TapeRecord | null = null;
  private readonly edges: { to: TensorRef; from: TensorRef }[] = [];
  readonly weightGradients = new Map<string, Tensor>();

  constructor(
    readonly ctx: GpuContext,
    /** Number of targets carried at once. */
    readonly T: number,
    readonly weightGrads: boolean,
    /** Forward tensor id -> tap name whose gradient the caller wants. */
    private readonly gradTaps: Map<number, string>,
    /** Names of intermediate gradients the caller wants (e.g. attention probabilities). */
    private readonly namedTaps: Set<string>,
  ) {}

  /** Current gradient of forward tensor `t`, if any contribution arrived. */
  gradOf(t: TensorRef): Tensor | undefined {
    return this.grads.get(t.id);
  }

  /**
   * The buffer to write the gradient of `t` into. `accumulate` is true when it already holds
   * contributions, in which case the kernel must add.
   */
  into(t: TensorRef): { g: Tensor; accumulate: boolean } {
    const g = this.grads.get(t.id);
    if (g) return { g, accumulate: true };
    const fresh = this.ctx.empty([this.T, ...t.shape]);
    this.grads.set(t.id, fresh);
    return { g: fresh, accumulate: false };
  }

  /**
   * Adds a finished contribution `c` (owned by the caller, [T, ...shape]) to the gradient of
   * `t`: adopted as is when it is the first, otherwise added and released.
   */
  add(t: TensorRef, c: Tensor): void {
    const g = this.grads.get(t.id);
    if (!g) {
      this.grads.set(t.id, c);
      return;
    }
    axpy(this.ctx, c, g);
    c.release();
  }

  /**
   * d(to) += d(from) for identity edges (residual connections). `from` must be an output of the
   * record whose gradient is running. The edge is applied after that gradient finished (so the
   * record may still read d(from)): d(from) is then moved to `to` when `to` has no gradient yet
   * and d(from) is not a kept tap — never shared between two live gradients — else added/copied.
   */
  passThrough(to: TensorRef, from: TensorRef): void {
    if (!this.running?.outputs.some((o) => o.id === from.id)) {
      throw new Error('passThrough(to, from): `from` must be an output of the record being differentiated');
    }
    this.edges.push({ to, from });
  }

  /** Applies the identity edges of the record that just ran (runBackward calls this). */
  private settleEdges(): void {
    const edges = this.edges.splice(0);
    edges.forEach(({ to, from }, i) => {
      const g = this.grads.get(from.id);
      if (!g) return;
      const lastUse = !edges.slice(i + 1).some((e) => e.from.id === from.id);
      if (lastUse && !this.keptIds.has(g.id) && !this.grads.has(to.id)) {
        this.grads.delete(from.id);
        this.grads.set(to.id, g);
        return;
      }
      const { g: dst, accumulate } = this.into(to);
      if (accumulate) axpy(this.ctx, g, dst);
      else this.ctx.copy(g, 0, dst, 0, g.byteSize);
    });
  }

  /** Runs one record's gradient, then its identity edges. */
  run(rec: TapeRecord): void {
    this.running = rec;
    try {
      rec.backward(this);
      this.settleEdges();
    } finally {
      this.running = null;
      this.edges.length = 0;
    }
  }

  wants(name: string): boolean {
    return this.namedTaps.has(name);
  }

  /** Keeps `g` as the intermediate gradient tap `name` when the caller asked for it. */
  offer(name: string, g: Tensor): void {
    if (this.wants(name)) this.keep(name, g);
  }

  /** Keeps an intermediate gradient as tap `name` (retains it). */
  keep(name: string, g: Tensor): void {
    this.kept.set(name, g.retain());
    this.keptIds.add(g.id);
  }

  /** Called when every contribution to `t` has arrived (its creator is being processed). */
  complete(t: TensorRef): void {
    const name = this.gradTaps.get(t.id);
    const g = this.grads.get(t.id);
    if (name && g && !this.kept.has(name)) this.keep(name, g);
  }

  /** Drops the gradient of `t` once its creator has consumed it. */
  drop(t: TensorRef): void {
    const g = this.grads.get(t.id);
    if (g) {
      this.grads.delete(t.id);
      g.release();
    }
  }

  /** Accumulates into the gradient of parameter `name` (shape `shape`). */
  weightInto(name: string, shape: readonly number[]): { g: Tensor; accumulate: boolean } {
    const g = this.weightGradients.get(name);
    if (g) return { g, accumulate: true };
    const fresh = this.ctx.empty(shape);
    this.weightGradients.set(name, fresh);
    return { g: fresh, accumulate: false };
  }

  /** Taps collected so far; ownership passes to the caller. */
  takeKept(): Map<string, Tensor> {
    const out = new Map(this.kept);
    this.kept.clear();
    return out;
  }

  /** Releases every gradient still held (called at the end of the walk). */
  releaseAll(): void {
    for (const g of this.grads.values()) g.release();
    this.grads.clear();
  }
}

export interface BackwardRequest {
  /** Where the backward starts: forward tensor -> its gradient [T, ...shape] (ownership passes to the backward). */
  outputGrads: { tensor: TensorRef; grad: Tensor }[];
  T: number;
  /** Forward tensors whose gradients to return, by tap name. */
  gradTaps: Map<number, string>;
  /** Intermediate gradients to return (e.g. `attn.3`). */
  namedTaps: Set<string>;
}

export interface BackwardResult {
  grads: Map<string, Tensor>;
  weightGrads: Map<string, Tensor>;
}

/**
 * Which records' gradients the request needs (null: all of them). A record must run when one of
 * its inputs' gradients is wanted — a requested tap, or the output of an earlier record that must
 * run — or when it provides a requested intermediate gradient (its op's gradTaps, e.g. `attn.3`).
 * One forward sweep: a backward asked only for the last block's tokens (CDAM, GradCAM) stops
 * there instead of walking down to the pixels. Parameter gradients need every record.
 */
function recordsToRun(tape: Tape, req: BackwardRequest): boolean[] | null {
  if (tape.weightGrads) return null;
  const wanted = new Set<number>(req.gradTaps.keys());
  return tape.records.map((rec) => {
    const provides = rec.gradTaps.some((n) => req.namedTaps.has(n));
    if (!provides && !rec.inputs.some((t) => wanted.has(t.id))) return false;
    for (const o of rec.outputs) wanted.add(o.id);
    return true;
  });
}

/** Runs the backward of `req` through `tape`, which it consumes (also when it throws). */
export function runBackward(tape: Tape, req: BackwardRequest): BackwardResult {
  tape.markConsumed();
  const bw = new Backward(tape.ctx, req.T, tape.weightGrads, req.gradTaps, req.namedTaps);
  for (const s of req.outputGrads) bw.add(s.tensor, s.grad);
  try {
    if (tape.weightGrads && req.T !== 1) {
      throw new InputError('bad-targets', `weight gradients are computed for one target at a time (got ${req.T} targets)`);
    }
    const run = recordsToRun(tape, req);
    for (let i = tape.records.length - 1; i >= 0; i--) {
      const rec = tape.records[i];
      if (rec.outputs.some((o) => bw.gradOf(o))) {
        for (const o of rec.outputs) bw.complete(o);
        if (!run || run[i]) bw.run(rec);
      }
      for (const o of rec.outputs) bw.drop(o);
      rec.releaseSaved();
    }
    // Inputs of the first ops (the pixels) are complete now.
    for (const r of tape.records) for (const t of r.inputs) bw.complete(t);
    return { grads: bw.takeKept(), weightGrads: bw.weightGradients };
  } finally {
    bw.releaseAll();
    tape.dispose();
  }
}

export { Tensor };
