/** Shards: every image in exactly one shard, balanced per class with labels; K/N parsed strictly. */
import { describe, expect, it } from 'vitest';
import { parseShard, shardPositions } from '../../src/explain/evaluate/shard.js';

describe('shards of an evaluation', () => {
  it('puts every image in exactly one shard, each class spread to within one', () => {
    // 3 classes of 7, 5 and 1 images, interleaved.
    const labels = [...Array(7).fill(0), ...Array(5).fill(1), 2].map((c, i, a) => a[(i * 5) % a.length]);
    const n = 4;
    const shards = Array.from({ length: n }, (_, k) => shardPositions(labels.length, { index: k, count: n }, labels));
    expect(shards.flat().sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
    for (const s of shards) expect(s).toEqual([...s].sort((a, b) => a - b));
    const sizes = shards.map((s) => s.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    for (const c of [0, 1, 2]) {
      const perShard = shards.map((s) => s.filter((i) => labels[i] === c).length);
      expect(Math.max(...perShard) - Math.min(...perShard)).toBeLessThanOrEqual(1);
    }
    expect(shardPositions(5, { index: 1, count: 2 })).toEqual([1, 3]);
  });

  it('parses K/N counting from 0 and refuses anything else', () => {
    expect(parseShard('2/8')).toEqual({ index: 2, count: 8 });
    for (const bad of ['8/8', '1/0', '-1/4', 'a/b', '3']) expect(() => parseShard(bad)).toThrow(/must be K\/N with 0 <= K < N/);
  });
});
