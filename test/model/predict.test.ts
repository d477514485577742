/**
 * Predictions from logits already read (the CLI's top-k table comes from the explanation
 * session's forward): the same rows as `topK` per image, in `rankClasses`' order (the order the
 * GPU top-K seed and 'top' targets use), so the table and the explained classes agree.
 */
import { describe, expect, it } from 'vitest';
import { rankClasses } from '../../src/kernels/seeds.cpu.js';
import { predictionsFrom, topK } from '../../src/model/predict.js';
import type { VisionTransformer } from '../../src/model/vit.js';

const model = (numClasses: number, labelNames?: string[]) => ({ config: { numClasses, labelNames } }) as unknown as VisionTransformer;

describe('predictionsFrom', () => {
  // Two images, four classes; image 1 has a tie between classes 1 and 3.
  const logits = new Float32Array([0.5, 2, -1, 1, 3, 7, 0, 7]);

  it('gives topK of each image row, with label names', () => {
    const preds = predictionsFrom(logits, model(4, ['a', 'b', 'c', 'd']), 2);
    expect(preds).toEqual([topK(logits.subarray(0, 4), 2, ['a', 'b', 'c', 'd']), topK(logits.subarray(4, 8), 2, ['a', 'b', 'c', 'd'])]);
    expect(preds[0].map((p) => p.label)).toEqual(['b', 'd']);
    expect(preds[0][0].prob).toBeCloseTo(Math.exp(2) / (Math.exp(0.5) + Math.exp(2) + Math.exp(-1) + Math.exp(1)), 12);
  });

  it('ranks as rankClasses does, ties by the lower class id', () => {
    const preds = predictionsFrom(logits, model(4), 4);
    for (const b of [0, 1]) expect(preds[b].map((p) => p.classId)).toEqual(rankClasses(logits, b, 4, 4));
    expect(preds[1].map((p) => p.classId)).toEqual([1, 3, 0, 2]);
  });

  it('caps k at the number of classes', () => {
    expect(predictionsFrom(logits, model(4), 10).map((row) => row.length)).toEqual([4, 4]);
  });
});
