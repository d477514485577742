/**
 * Evaluation metrics on hand-checkable cases (CPU only): Spearman with ties as average ranks,
 * the tie-aware top-10% overlap, chance levels of random maps within bounds from the sample
 * size, trapezoid AUC, streaming statistics, tie-break order and timm-like re-initialisation.
 */
import { describe, expect, it } from 'vitest';
import { auc, pearson, rankOrder, ranks, RunningStats, spearman, topCount, topMembership, topOverlap } from '../../src/explain/evaluate/metrics.js';
import { randomMap } from '../../src/explain/evaluate/run.js';
import { cascadingLevels, independentLevels, initialValue, randomize } from '../../src/explain/evaluate/sanity.js';
import { configFromArgs } from '../../src/model/config.js';
import type { WeightMap } from '../../src/model/weights.js';
import { seededRandom } from '../helpers/gpu.js';

/** A blank-out-like map of 49 patches: exact zeros (black patches), a few clear top patches, noise. */
function referenceMap(rand: () => number): Float32Array {
  const m = Float32Array.from({ length: 49 }, () => rand() * 0.1 - 0.05);
  for (const p of [0, 6, 21, 27, 42, 48, 7, 13, 35, 41]) m[p] = 0;
  [3, 10, 17, 24, 31].forEach((p, i) => (m[p] = 0.5 + i * 0.1));
  return m;
}

describe('Spearman rank correlation', () => {
  it('is 1 for a map against itself or any increasing transform of it, -1 for a reversed one', () => {
    const rand = seededRandom(1);
    const ref = referenceMap(rand);
    expect(spearman(ref, ref)).toBeCloseTo(1, 12);
    expect(spearman(ref, ref.map((v) => Math.exp(3 * v)))).toBeCloseTo(1, 12);
    expect(spearman(ref, ref.map((v) => -v))).toBeCloseTo(-1, 12);
  });

  it('averages the ranks of ties (hand-computed examples)', () => {
    // a = [1, 2, 2, 3] has ranks [1, 2.5, 2.5, 4]; b = [1, 3, 2, 4] ranks [1, 3, 2, 4].
    // Centred: [-1.5, 0, 0, 1.5] and [-1.5, 0.5, -0.5, 1.5]: r = 4.5 / sqrt(4.5 * 5) = 3 / sqrt(10).
    expect(Array.from(ranks([1, 2, 2, 3]))).toEqual([0, 1.5, 1.5, 3]);
    expect(spearman([1, 2, 2, 3], [1, 3, 2, 4])).toBeCloseTo(3 / Math.sqrt(10), 12);
    // Three tied zeros: ranks [2, 2, 2, 4, 5] vs [5, 4, 3, 2, 1]: r = -8 / sqrt(8 * 10) = -2 / sqrt(5).
    expect(spearman([0, 0, 0, 1, 2], [5, 4, 3, 2, 1])).toBeCloseTo(-2 / Math.sqrt(5), 12);
    // The no-ties shortcut 1 - 6 sum d^2 / (n (n^2 - 1)) would give -0.95 here: ties are handled.
    expect(spearman([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(0, 12);
  });

  it('is NaN (no ranking) for a constant map or a map with NaN', () => {
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(spearman([1, NaN, 3], [1, 2, 3])).toBeNaN();
    expect(pearson([2, 2], [1, 2])).toBeNaN();
    const s = new RunningStats();
    s.add(spearman([1, 1, 1], [1, 2, 3]));
    s.add(0.5);
    expect(s.count).toBe(1);
    expect(s.skipped).toBe(1);
  });

  it('of random maps against a fixed reference averages to 0 within 4 standard errors', () => {
    const rand = seededRandom(7);
    const ref = referenceMap(rand);
    const M = 2000;
    const P = ref.length;
    const s = new RunningStats();
    const top = new RunningStats();
    for (let i = 0; i < M; i++) {
      const m = Float32Array.from({ length: P }, () => rand());
      s.add(spearman(m, ref));
      top.add(topOverlap(m, ref, 0.1));
    }
    // Pearson of a fixed vector with a random permutation: mean 0, variance 1 / (P - 1).
    const se = Math.sqrt(1 / (P - 1)) / Math.sqrt(M);
    expect(Math.abs(s.mean)).toBeLessThan(4 * se);
    expect(s.std).toBeCloseTo(Math.sqrt(1 / (P - 1)), 1);
    // Shared top-k: hypergeometric count with mean k^2 / P and variance k (k/P) ((P-k)/P) ((P-k)/(P-1)).
    const k = topCount(P, 0.1);
    expect(k).toBe(5);
    const sdShare = Math.sqrt(k * (k / P) * ((P - k) / P) * ((P - k) / (P - 1))) / k;
    expect(Math.abs(top.mean - k / P)).toBeLessThan((4 * sdShare) / Math.sqrt(M));
  });
});

describe('top-10% overlap', () => {
  it('is 1 for a map equal to the reference, also with ties at the boundary', () => {
    const ref = referenceMap(seededRandom(3));
    expect(topOverlap(ref, ref)).toBe(1);
    const tied = Float32Array.from({ length: 20 }, (_, i) => (i < 1 ? 2 : i < 5 ? 1 : 0)); // k = 2: one sure, four tied
    expect(topOverlap(tied, tied)).toBeCloseTo(1, 12);
    expect(Array.from(topMembership(tied, 2)).slice(0, 7)).toEqual([1, 0.25, 0.25, 0.25, 0.25, 0, 0]);
  });

  it('gives tied patches a share of the remaining places (hand-computed)', () => {
    // P = 10, q = 0.2 -> k = 2. a: patch 0 sure, patches 1 and 2 tied for one place (1/2 each).
    // b: top 2 = patches 3 and 1. Overlap = (min(1/2, 1) at patch 1) / 2 = 0.25.
    const a = [5, 1, 1, 0, 0, 0, 0, 0, 0, 0];
    const b = [0, 1, 0, 9, 0, 0, 0, 0, 0, 0];
    expect(topOverlap(a, b, 0.2)).toBeCloseTo(0.25, 12);
    expect(topOverlap(b, a, 0.2)).toBeCloseTo(0.25, 12);
    expect(topOverlap([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [10, 9, 8, 7, 6, 5, 4, 3, 2, 1], 0.2)).toBe(0);
    expect(topOverlap([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [0, 0, 0, 0, 0, 0, 0, 0, 1, 1], 0.2)).toBe(1);
  });
});

describe('orders, AUC and running statistics', () => {
  it('ranks most relevant first, NaN last, ties in a fixed order that is not the index order', () => {
    expect(rankOrder([0.1, NaN, 0.9, 0.5])).toEqual([2, 3, 0, 1]);
    const zeros = rankOrder(new Float32Array(49));
    expect([...zeros].sort((x, y) => x - y)).toEqual([...Array(49).keys()]);
    expect(zeros).not.toEqual([...Array(49).keys()]);
    expect(rankOrder(new Float32Array(49))).toEqual(zeros);
  });

  it('integrates by the trapezoid rule', () => {
    expect(auc([0, 0.5, 1], [1, 1, 1])).toBeCloseTo(1, 12);
    expect(auc([0, 0.5, 1], [1, 0.5, 0])).toBeCloseTo(0.5, 12);
    expect(auc([0, 0.25, 1], [0, 1, 1])).toBeCloseTo(0.125 + 0.75, 12);
  });

  it('keeps mean, std and quantiles exact below the reservoir size and bounded above it', () => {
    const s = new RunningStats(100);
    const v = Array.from({ length: 51 }, (_, i) => i);
    v.forEach((x) => s.add(x));
    expect(s.mean).toBeCloseTo(25, 12);
    expect(s.std).toBeCloseTo(Math.sqrt(v.reduce((a, x) => a + (x - 25) ** 2, 0) / 50), 10);
    expect(s.quantiles()).toEqual([0, 12.5, 25, 37.5, 50]);
    const big = new RunningStats(64);
    for (let i = 0; i < 10000; i++) big.add(i % 100);
    expect(big.count).toBe(10000);
    expect(big.mean).toBeCloseTo(49.5, 9);
    const q = big.quantiles();
    expect(q[0]).toBeGreaterThanOrEqual(0);
    expect(q[4]).toBeLessThanOrEqual(99);
    expect(JSON.parse(JSON.stringify(big)).quantiles).toHaveLength(5);
  });

  it('gives a deterministic random control per (seed, image)', () => {
    expect(Array.from(randomMap(49, 0, 3))).toEqual(Array.from(randomMap(49, 0, 3)));
    expect(Array.from(randomMap(49, 0, 3))).not.toEqual(Array.from(randomMap(49, 0, 4)));
    expect(Array.from(randomMap(49, 1, 3))).not.toEqual(Array.from(randomMap(49, 0, 3)));
  });
});

describe('parameter randomisation', () => {
  const config = configFromArgs('tiny', { img_size: 8, patch_size: 4, in_chans: 1, num_classes: 3, embed_dim: 8, depth: 2, num_heads: 2 });
  const weights: WeightMap = new Map([
    ['patch_embed.proj.weight', { shape: [8, 1, 4, 4], data: new Float32Array(128).fill(9) }],
    ['patch_embed.proj.bias', { shape: [8], data: new Float32Array(8).fill(9) }],
    ['blocks.0.attn.qkv.weight', { shape: [24, 8], data: new Float32Array(192).fill(9) }],
    ['blocks.1.attn.qkv.weight', { shape: [24, 8], data: new Float32Array(192).fill(9) }],
    ['blocks.1.attn.qkv.bias', { shape: [24], data: new Float32Array(24).fill(9) }],
    ['blocks.1.norm1.weight', { shape: [8], data: new Float32Array(8).fill(9) }],
    ['blocks.1.norm1.bias', { shape: [8], data: new Float32Array(8).fill(9) }],
    ['head.weight', { shape: [3, 8], data: new Float32Array(24).fill(9) }],
  ]);

  it('names the levels from the top down', () => {
    expect(cascadingLevels(config).map((l) => l.name)).toEqual(['head', 'head..block 1', 'head..block 0', 'head..embedding']);
    expect(independentLevels(config).map((l) => l.name)).toEqual(['head', 'block 1', 'block 0', 'embedding']);
  });

  it('re-initialises only the level\'s parameters, like timm, with the same values at every level', () => {
    const [, head1] = cascadingLevels(config);
    const r = randomize(weights, head1, 5);
    expect(r.get('blocks.0.attn.qkv.weight')!.data[0]).toBe(9);
    expect(r.get('patch_embed.proj.weight')!.data[0]).toBe(9);
    expect(Array.from(r.get('blocks.1.norm1.weight')!.data)).toEqual(Array(8).fill(1));
    expect(Array.from(r.get('blocks.1.norm1.bias')!.data)).toEqual(Array(8).fill(0));
    expect(Array.from(r.get('blocks.1.attn.qkv.bias')!.data)).toEqual(Array(24).fill(0));
    const qkv = r.get('blocks.1.attn.qkv.weight')!.data;
    const std = Math.sqrt(qkv.reduce((a, v) => a + v * v, 0) / qkv.length);
    expect(std).toBeGreaterThan(0.015);
    expect(std).toBeLessThan(0.025);
    // Independent "block 1" draws the same weights as the cascading level.
    const alone = randomize(weights, independentLevels(config)[1], 5);
    expect(Array.from(alone.get('blocks.1.attn.qkv.weight')!.data)).toEqual(Array.from(qkv));
    expect(Array.from(randomize(weights, head1, 6).get('blocks.1.attn.qkv.weight')!.data)).not.toEqual(Array.from(qkv));
    // The patch projection: PyTorch's Conv2d default, uniform within 1 / sqrt(fan_in = 16).
    const pe = initialValue('patch_embed.proj.weight', [8, 1, 4, 4], 5);
    expect(Math.max(...pe.map(Math.abs))).toBeLessThanOrEqual(0.25);
    expect(Math.max(...pe.map(Math.abs))).toBeGreaterThan(0.15);
  });
});
