/**
 * Localisation scores on hand-made masks whose answers are known: a map equal to the region's
 * indicator scores 1, its complement 0, a constant map the region's area share (and 1 on seed
 * 001's max-normalised class mean); ties at the top-K boundary are shared, not taken by index;
 * an empty region is NaN (skipped), never a silent number.
 */
import { describe, expect, it } from 'vitest';
import { classMeans, energyInside, localisationScores, massInside, patchCounts, rankInside, regionCounts } from '../../src/explain/evaluate/localisation.js';

// An 8x8 image of 2x2 patches (grid 4x4): class 2 covers the top-left 4x4 pixels (patches 0, 1, 4, 5),
// class 1 a 2x4 strip below it (patches 8, 9), the rest is background 0.
const g = { H: 8, W: 8, ph: 2, pw: 2, gh: 4, gw: 4 };
const mask = new Uint8Array(64);
for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) mask[y * 8 + x] = y < 4 && x < 4 ? 2 : y >= 4 && y < 6 && x < 4 ? 1 : 0;
const counts = patchCounts(mask, g);
const region = regionCounts(counts, 2);
const indicator = Float32Array.from({ length: 16 }, (_, p) => (region[p] > 0 ? 1 : 0));

describe('localisation against a mask', () => {
  it('counts each class\'s pixels per patch', () => {
    expect(Array.from(region)).toEqual([4, 4, 0, 0, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(counts.total)).toEqual(new Array(16).fill(4));
    expect(Array.from(regionCounts(counts, 'foreground')).reduce((a, b) => a + b, 0)).toBe(16 + 8);
  });

  it('scores 1 for a map equal to the mask and 0 for its complement', () => {
    const s = localisationScores(indicator, counts, 2);
    expect([s.classMean, s.energy, s.mass, s.rank]).toEqual([1, 1, 1, 1]);
    const c = localisationScores(indicator.map((v) => 1 - v), counts, 2);
    expect([c.classMean, c.energy, c.mass, c.rank]).toEqual([0, 0, 0, 0]);
  });

  it('gives a uniform map the region\'s area share (and the max-normalised mean 1)', () => {
    const u = localisationScores(new Float32Array(16).fill(0.3), counts, 2);
    expect(u.areaShare).toBe(16 / 64);
    expect(u.energy).toBeCloseTo(0.25, 12);
    expect(u.mass).toBeCloseTo(0.25, 12);
    expect(u.rank).toBeCloseTo(0.25, 12);
    expect(u.classMean).toBeCloseTo(1, 12);
    expect([...u.perClass.values()].every((v) => Math.abs(v - 1) < 1e-12)).toBe(true);
  });

  it('follows seed 001: per class, the sum of the map over its pixels / its pixel count', () => {
    // Map values p / 15: class 2 = patches 0, 1, 4, 5 -> mean (0 + 1 + 4 + 5) / 4 / 15.
    const map = Float32Array.from({ length: 16 }, (_, p) => p / 15);
    const m = classMeans(map, counts);
    expect([...m.keys()]).toEqual([0, 1, 2]);
    expect(m.get(2)).toBeCloseTo(10 / 4 / 15, 6);
    expect(m.get(1)).toBeCloseTo((8 + 9) / 2 / 15, 6);
    const bg = [2, 3, 6, 7, 10, 11, 12, 13, 14, 15];
    expect(m.get(0)).toBeCloseTo(bg.reduce((a, b) => a + b, 0) / bg.length / 15, 6);
  });

  it('counts only positive mass in the pointing game; mass accuracy uses the signed sum', () => {
    const map = new Float32Array(16);
    map[0] = 3; // inside
    map[2] = 1; // outside
    map[3] = -2; // outside, negative
    expect(energyInside(map, region, counts.total)).toBeCloseTo(3 / 4, 12);
    expect(massInside(map, region, counts.total)).toBeCloseTo(3 / 2, 12);
  });

  it('shares tied pixels at the top-K boundary instead of taking them by index', () => {
    // Region = 16 pixels. Top patch (4 px) inside, then 6 tied patches (24 px), 2 of them inside:
    // 12 places left -> 12 * (8 / 24) = 4 more hits: (4 + 4) / 16.
    const map = new Float32Array(16);
    map[0] = 2;
    for (const p of [1, 2, 3, 4, 6, 7]) map[p] = 1;
    expect(rankInside(map, region, counts.total)).toBeCloseTo(8 / 16, 12);
  });

  it('is NaN for an empty region or a map without positive mass', () => {
    const empty = localisationScores(indicator, counts, 7);
    expect([empty.classMean, empty.energy, empty.mass, empty.rank].every(Number.isNaN)).toBe(true);
    expect(energyInside(new Float32Array(16).fill(-1), region, counts.total)).toBeNaN();
    expect(() => patchCounts(new Uint8Array(10), g)).toThrow(/mask has 10 pixels/);
  });
});
