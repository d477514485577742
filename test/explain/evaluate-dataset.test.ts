/** Image sets for `vitlens eval`: safetensors data files read in batches, and clear errors. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImageError } from '../../src/errors.js';
import { serializeSafetensors } from '../../src/io/safetensors.js';
import { openImageSource, spreadOrder } from '../../src/node/dataset.js';

describe('image sets from safetensors files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitlens-dataset-'));
  const N = 7;
  const images = Uint8Array.from({ length: N * 4 * 5 }, (_, i) => i % 251);
  const file = join(dir, 'set.safetensors');
  writeFileSync(file, serializeSafetensors({
    images: { dtype: 'U8', shape: [N, 4, 5], data: images },
    labels: { dtype: 'I64', shape: [N], data: BigInt64Array.from({ length: N }, (_, i) => BigInt(i % 3)) },
  }));

  it('reads images and labels in batches, up to a limit', () => {
    const src = openImageSource(file, { limit: 5 });
    expect(src.kind).toBe('safetensors');
    expect(src.count).toBe(5);
    expect(src.available).toBe(N);
    expect(src.hasLabels).toBe(true);
    const batches = [...src.batches(2)];
    expect(batches.map((b) => b.images.length)).toEqual([2, 2, 1]);
    expect(batches.flatMap((b) => b.labels)).toEqual([0, 1, 2, 0, 1]);
    const third = batches[1].images[0];
    expect([third.width, third.height, third.channels]).toEqual([5, 4, 1]);
    expect(Array.from(third.data)).toEqual(Array.from(images.subarray(2 * 20, 3 * 20)));
    expect(batches[2].names).toEqual(['set.safetensors#4']);
  });

  it('visits a spread order whose prefixes cover the whole file', () => {
    // van der Corput over 7: 0, 7/2, 7/4, 21/4, (7/8 -> 0 again), 35/8, 21/8, 49/8 -> 0 3 1 5 4 2 6
    expect(spreadOrder(7)).toEqual([0, 3, 1, 5, 4, 2, 6]);
    expect([...spreadOrder(5000)].sort((a, b) => a - b)).toEqual([...Array(5000).keys()]);
    const perClass = new Array(10).fill(0);
    for (const i of spreadOrder(5000).slice(0, 200)) perClass[Math.floor(i / 500)]++;
    expect(Math.min(...perClass)).toBeGreaterThanOrEqual(18);
    expect(Math.max(...perClass)).toBeLessThanOrEqual(22);
    const src = openImageSource(file, { limit: 3, spread: true });
    const batches = [...src.batches(2)];
    expect(batches.flatMap((b) => b.names)).toEqual(['set.safetensors#0', 'set.safetensors#3', 'set.safetensors#1']);
    expect(batches.flatMap((b) => b.labels)).toEqual([0, 0, 1]);
    expect(Array.from(batches[0].images[1].data)).toEqual(Array.from(images.subarray(3 * 20, 4 * 20)));
    expect(Array.from(batches[1].images[0].data)).toEqual(Array.from(images.subarray(1 * 20, 2 * 20)));
  });

  it('says what is wrong with a file that holds no image tensor', () => {
    const bad = join(dir, 'bad.safetensors');
    writeFileSync(bad, serializeSafetensors({ pixels: { dtype: 'F32', shape: [2], data: new Float32Array(2) } }));
    expect(() => openImageSource(bad)).toThrow(ImageError);
    expect(() => openImageSource(bad)).toThrow(/no tensor "images".*pixels/);
    expect(() => openImageSource(join(dir, 'missing.safetensors'))).toThrow(/no such file/);
  });
});

describe('image sets from folders', () => {
  it('lists the PNG/JPEG files of a folder in name order and decodes them a batch at a time', () => {
    const src = openImageSource(join(__dirname, '../../assets/images'), { limit: 3 });
    expect(src.kind).toBe('images');
    expect(src.available).toBe(10);
    expect(src.hasLabels).toBe(false);
    const [b] = [...src.batches(8)];
    expect(b.names).toEqual(['0-t-shirt-top.png', '1-trouser.png', '2-pullover.png']);
    expect(b.images[0].width).toBe(28);
    expect(b.labels).toBeUndefined();
  });
});
