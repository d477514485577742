/**
 * An op is defined once, typed: `defineOp<Attrs, Saved>({ name, backward, gradTaps? })`. The
 * forward records a call with `tape.record(opDef, { inputs, outputs, saved, attrs })`, and
 * TypeScript checks that `saved` and `attrs` are exactly what that op's backward reads — the
 * forward, what it saves and its gradient cannot drift apart. There is no registry to forget: a
 * record carries its own definition, and an op without a gradient does not type-check.
 *
 * The recipe for adding an op is in docs/design.md.
 */
import type { Tensor } from '../../gpu/tensor.js';
import type { Backward } from '../tape.js';
import { TAPS, type OpGradTapFamily } from '../taps.js';

/** Tensors an op keeps for its gradient, by name; optional entries may be absent. */
export type SavedTensors = Partial<Record<string, Tensor>>;

/** What a gradient function sees of its record: the typed view of one forward call. */
export interface OpCall<Attrs, Saved extends SavedTensors> {
  /** Forward inputs that receive gradients, in the order the forward passed them. */
  readonly inputs: readonly Tensor[];
  /** Forward outputs whose gradients this backward consumes. */
  readonly outputs: readonly Tensor[];
  /** The tensors the forward saved (retained by the tape, released right after the backward ran). */
  readonly saved: Readonly<Saved>;
  /** Everything else the gradient needs: shapes, parameters, flags. */
  readonly attrs: Attrs;
}

export interface OpDefinition<Attrs, Saved extends SavedTensors> {
  /** Shown in errors and in the tape; unique among ops. */
  readonly name: string;
  /**
   * Intermediate gradients the backward hands out as taps (see taps.ts, grad: 'op'), for the
   * block `layer(attrs)`. The backward offers them with `bw.offer(tapName(family, layer), g)`;
   * the tape runs a record that provides a requested one even if nothing below it is wanted.
   */
  readonly gradTaps?: { readonly families: readonly OpGradTapFamily[]; readonly layer: (attrs: Attrs) => number };
  /** Adds the gradients of `inputs` (and of parameters, when asked) from those of `outputs`. */
  readonly backward: (call: OpCall<Attrs, Saved>, bw: Backward) => void;
}

const names = new Set<string>();

/** Names of every op defined so far (tests check that ops/index.ts lists them all). */
export function definedOpNames(): string[] {
  return [...names];
}

/** Declares an op. Throws at module load for a duplicate name or an undeclared gradient tap. */
export function defineOp<Attrs, Saved extends SavedTensors = Record<never, Tensor>>(
  def: OpDefinition<Attrs, Saved>,
): OpDefinition<Attrs, Saved> {
  if (names.has(def.name)) throw new Error(`op "${def.name}" is defined twice`);
  for (const f of def.gradTaps?.families ?? []) {
    if (TAPS[f]?.grad !== 'op') throw new Error(`op "${def.name}" declares gradient tap "${f}", which taps.ts does not list as an op gradient`);
  }
  names.add(def.name);
  return Object.freeze(def);
}
