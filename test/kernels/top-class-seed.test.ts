/**
 * The rank-target seed (src/kernels/seeds.ts `topClassSeed`) against its CPU twin and the
 * ranking rule of 'top' / 'topK' (`rankClasses`, which resolveClasses uses), in both kernel
 * families: ties (equal logits go to the lower class id, as a stable sort gives), ±0 and
 * infinities, NaN logits (the image's rank rows get NO_CLASS and zero seeds, and the readback
 * refuses them), rows of fixed classes left as uploaded, and K up to C.
 */
import { describe, expect, it } from 'vitest';
import { NO_CLASS, topClassSeed } from '../../src/kernels/seeds.js';
import { rankClasses, topClassSeedCpu } from '../../src/kernels/seeds.cpu.js';
import { gpuContext, randomArray, seededRandom } from '../helpers/gpu.js';

interface Case {
  name: string;
  B: number;
  C: number;
  /** Rank per target, 0 for a row of a fixed class. */
  ranks: number[];
  logits: (rand: () => number, B: number, C: number) => Float32Array;
}

const random = (rand: () => number, B: number, C: number) => randomArray(B * C, rand, 5);
// Few distinct values: many ties in every row.
const tied = (rand: () => number, B: number, C: number) => Float32Array.from({ length: B * C }, () => Math.floor(rand() * 3) - 1);

const CASES: Case[] = [
  { name: 'top-1 of 10, 3 images', B: 3, C: 10, ranks: [1], logits: random },
  { name: 'top-5 of 1000 with a fixed class between', B: 2, C: 1000, ranks: [1, 2, 0, 3, 4, 5], logits: random },
  { name: 'ties: three distinct values over 17 classes, K = C', B: 4, C: 17, ranks: Array.from({ length: 17 }, (_, i) => i + 1), logits: tied },
  { name: 'all equal: the ids in order', B: 2, C: 7, ranks: [1, 2, 3], logits: (_r, B, C) => new Float32Array(B * C).fill(0.5) },
  {
    name: '+0 / -0 tie, infinities', B: 1, C: 6, ranks: [1, 2, 3, 4, 5, 6],
    logits: () => Float32Array.from([0, -0, Infinity, -Infinity, Infinity, -0]),
  },
  {
    name: 'a NaN in image 1 of 3', B: 3, C: 12, ranks: [1, 0, 2],
    logits: (rand, B, C) => {
      const l = randomArray(B * C, rand, 2);
      l[1 * C + 5] = NaN;
      return l;
    },
  },
  { name: 'one class', B: 5, C: 1, ranks: [1], logits: random },
];

describe.each(['simd', 'tiled'] as const)('top-class seed (%s)', (family) => {
  for (const c of CASES) {
    it(c.name, async () => {
      const ctx = await gpuContext(family);
      const rand = seededRandom(c.B * 100 + c.C);
      const { B, C, ranks } = c;
      const T = ranks.length;
      const logits = c.logits(rand, B, C);
      // Fixed rows hold a marker the kernel must not touch.
      const seed0 = new Float32Array(T * B * C).fill(7);
      const classes0 = new Uint32Array(T * B).fill(42);
      const seedRef = seed0.slice();
      const classesRef = classes0.slice();
      topClassSeedCpu(logits, ranks, seedRef, classesRef, B, C);

      const L = ctx.upload(logits), R = ctx.upload(Uint32Array.from(ranks)), S = ctx.upload(seed0), K = ctx.upload(classes0);
      topClassSeed(ctx, L, R, S, K, { B, C, T, maxRank: Math.max(...ranks) });
      expect(Array.from(await ctx.readU32(K))).toEqual(Array.from(classesRef));
      expect(Array.from(await S.read())).toEqual(Array.from(seedRef));
      for (const u of [L, R, S, K]) u.release();

      // The twin follows the ranking rule, which is a stable descending sort; NaN ranks nothing.
      for (let b = 0; b < B; b++) {
        const row = Array.from(logits.subarray(b * C, (b + 1) * C));
        const stable = row.map((_, i) => i).sort((x, y) => row[y] - row[x] || x - y);
        const ranked = rankClasses(logits, b, C, C);
        if (row.some(Number.isNaN)) {
          expect(ranked).toBeNull();
          ranks.forEach((r, t) => r > 0 && expect(classesRef[t * B + b]).toBe(NO_CLASS));
        } else {
          expect(ranked).toEqual(stable);
          ranks.forEach((r, t) => r > 0 && expect(classesRef[t * B + b]).toBe(stable[r - 1]));
        }
      }
    });
  }
});
