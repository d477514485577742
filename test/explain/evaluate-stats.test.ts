/**
 * Exact, order-independent statistics (stats.ts): any order of adding, any split into parts
 * merged afterwards, and a JSON round trip give the same bits; the std matches the two-pass
 * formula; the reservoir is the bottom-k of the image hashes whatever the order.
 */
import { describe, expect, it } from 'vitest';
import { ExactStats, scaled, unscaled } from '../../src/explain/evaluate/stats.js';
import { seededRandom } from '../helpers/gpu.js';

describe('exact statistics', () => {
  it('converts doubles to the fixed point and back exactly', () => {
    for (const v of [0, 1, -1, 0.1, 1e-300, 5e-324, -3.75, 1e300, Math.PI]) expect(unscaled(scaled(v), 1074n)).toBe(v);
  });

  it('gives the same bits in any order, split into shards, and through JSON', () => {
    const rand = seededRandom(11);
    const values = Array.from({ length: 300 }, (_, i) => (i % 17 === 0 ? NaN : (rand() - 0.3) * 10 ** Math.floor(rand() * 6 - 3)));
    const whole = new ExactStats(50);
    values.forEach((v, id) => whole.add(v, id));
    const order = values.map((_, i) => i).sort(() => rand() - 0.5);
    const parts = [new ExactStats(50), new ExactStats(50), new ExactStats(50)];
    order.forEach((id, k) => parts[k % 3].add(values[id], id));
    const merged = ExactStats.fromJSON(JSON.parse(JSON.stringify(parts[0].toJSON())));
    merged.merge(ExactStats.fromJSON(JSON.parse(JSON.stringify(parts[1].toJSON())))).merge(parts[2]);
    expect(merged.summary()).toEqual(whole.summary());
    expect(merged.toJSON()).toEqual(whole.toJSON());
    const finite = values.filter(Number.isFinite);
    const mean = finite.reduce((a, b) => a + b, 0) / finite.length;
    expect(whole.count).toBe(finite.length);
    expect(whole.skipped).toBe(values.length - finite.length);
    expect(whole.mean).toBeCloseTo(mean, 12);
    expect(whole.std).toBeCloseTo(Math.sqrt(finite.reduce((a, v) => a + (v - mean) ** 2, 0) / (finite.length - 1)), 12);
  });

  it('has a std of exactly 0 for equal values', () => {
    const s = new ExactStats();
    for (let i = 0; i < 7; i++) s.add(0.1, i);
    expect(s.std).toBe(0);
    expect(s.mean).toBeCloseTo(0.1, 15);
  });

  it('refuses to merge reservoirs of different sizes', () => {
    expect(() => new ExactStats(4).merge(new ExactStats(5))).toThrow(/cannot be merged/);
  });
});
