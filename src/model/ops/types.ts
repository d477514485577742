/** What the forward ops share: the GPU context, an optional tape, and named parameters. */
import type { GpuContext } from '../../gpu/context.js';
import type { Tensor } from '../../gpu/tensor.js';
import type { Tape } from '../tape.js';

export interface OpContext {
  ctx: GpuContext;
  /** Records the op for the backward when set. */
  tape: Tape | null;
}

/** A model parameter: its timm state_dict name and its GPU tensor. */
export interface Param {
  name: string;
  t: Tensor;
}
