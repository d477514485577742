/**
 * Shards of an evaluation: shard k of n (0-based, as Slurm array task ids and Kubernetes
 * JOB_COMPLETION_INDEX count) takes a deterministic part of the run's images, every image in
 * exactly one shard. With labels the split is balanced per class: the j-th image of a class goes
 * to shard (offset + j) mod n, the offset being the number of images in the classes before it,
 * so every shard holds each class's images to within one and the shards' sizes differ by at most
 * one. Without labels image i goes to shard i mod n. Images keep their order (and ids) in a shard.
 */
import { InputError } from '../../errors.js';

export interface Shard {
  index: number;
  count: number;
}

/** Parses "K/N" (0 <= K < N). */
export function parseShard(spec: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(spec.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1 && count <= 100_000) || !(index < count)) {
    throw new InputError('bad-shard', `shard "${spec}" must be K/N with 0 <= K < N (K counts from 0, as $SLURM_ARRAY_TASK_ID with --array=0-(N-1) and $JOB_COMPLETION_INDEX)`);
  }
  return { index, count };
}

/** Positions (0..total-1, ascending) of the images that shard `shard` evaluates. */
export function shardPositions(total: number, shard: Shard, labels?: readonly number[]): number[] {
  if (labels && labels.length !== total) throw new InputError('bad-shape', `${total} images have ${labels.length} labels`);
  if (!labels) return Array.from({ length: total }, (_, i) => i).filter((i) => i % shard.count === shard.index);
  const classes = [...new Set(labels)].sort((a, b) => a - b);
  const offset = new Map<number, number>();
  let before = 0;
  for (const c of classes) {
    offset.set(c, before);
    before += labels.filter((l) => l === c).length;
  }
  const seen = new Map<number, number>();
  const out: number[] = [];
  labels.forEach((c, i) => {
    const j = seen.get(c) ?? 0;
    seen.set(c, j + 1);
    if ((offset.get(c)! + j) % shard.count === shard.index) out.push(i);
  });
  return out;
}
