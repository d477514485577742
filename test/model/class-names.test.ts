/** Class names: the config's label_names, else ImageNet-1k's for exactly 1,000 classes, else none. */
import { describe, expect, it } from 'vitest';
import { classNames, classNamesSource } from '../../src/model/class-names.js';
import { predictionsFrom } from '../../src/model/predict.js';
import type { VisionTransformer } from '../../src/model/vit.js';

describe('classNames', () => {
  it('takes label_names from the config when it has them', () => {
    const cfg = { numClasses: 2, labelNames: ['cat', 'dog'] };
    expect(classNames(cfg)).toEqual(['cat', 'dog']);
    expect(classNamesSource(cfg)).toBe('config');
  });

  it("gives a 1,000-class model without names ImageNet-1k's, in timm's class order", () => {
    const names = classNames({ numClasses: 1000 })!;
    expect(names).toHaveLength(1000);
    expect([names[0], names[1], names[281], names[999]]).toEqual(['tench', 'goldfish', 'tabby', 'toilet tissue']);
    expect(new Set(names).size).toBeGreaterThan(990); // a few lemmas repeat (e.g. 'crane', 'maillot')
    expect(classNamesSource({ numClasses: 1000 })).toBe('imagenet-1k');
    const model = { config: { numClasses: 1000 } } as unknown as VisionTransformer;
    const logits = new Float32Array(1000);
    logits[281] = 5;
    expect(predictionsFrom(logits, model, 1)[0][0]).toMatchObject({ classId: 281, label: 'tabby' });
  });

  it('names nothing for other models', () => {
    for (const numClasses of [0, 10, 999, 1001]) {
      expect(classNames({ numClasses })).toBeUndefined();
      expect(classNamesSource({ numClasses })).toBeUndefined();
    }
  });
});
