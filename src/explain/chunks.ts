/**
 * Methods that run many forwards (token ablation, occlusion, integrated gradients) batch them,
 * in chunks sized so the largest activation of a chunk stays within a memory budget.
 */
import { InputError } from '../errors.js';
import type { VisionTransformer } from '../model/vit.js';

/** Largest per-sequence activation of a forward with N tokens (attention probabilities or MLP hidden). */
function bytesPerSequence(model: VisionTransformer, N: number): number {
  const c = model.config;
  return 4 * Math.max(c.numHeads * N * N, N * c.mlpHidden, N * 3 * c.embedDim);
}

/** Sequences per chunk so that one activation stays under `budget` bytes (default 64 MiB). */
export function chunkSize(model: VisionTransformer, N: number, budget = 64 * 2 ** 20): number {
  const limit = Math.min(budget, model.ctx.device.limits.maxStorageBufferBindingSize / 2);
  return Math.max(1, Math.floor(limit / bytesPerSequence(model, N)));
}

export type ProgressFn = (done: number, total: number) => void;

/** The patch indices a perturbation method evaluates: all of them, or a validated subset. */
export function selectedPatches(patches: readonly number[] | undefined, P: number): number[] {
  if (!patches) return Array.from({ length: P }, (_, p) => p);
  for (const p of patches) {
    if (!Number.isInteger(p) || p < 0 || p >= P) throw new InputError('bad-option', `patch index ${p} is out of range (0..${P - 1})`);
  }
  return [...new Set(patches)];
}
