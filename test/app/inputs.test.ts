/**
 * The app's input helpers that need no browser: which dropped or picked files make a model, and
 * reading a model file in chunks with progress and bounds (src/app/model-files.ts, load-bytes.ts).
 */
import { describe, expect, it } from 'vitest';
import { readStream } from '../../src/app/load-bytes.js';
import { pickModelFiles } from '../../src/app/model-files.js';
import { InputError } from '../../src/errors.js';

const file = (name: string, body = '{}') => new File([body], name);

function streamOf(chunks: number[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i < chunks.length) c.enqueue(new Uint8Array(chunks[i]).fill(i++ + 1));
      else c.close();
    },
  });
}

describe('pickModelFiles', () => {
  it('a hub folder: config.json and model.safetensors, other files ignored', () => {
    const m = pickModelFiles([file('README.md'), file('model.safetensors'), file('config.json'), file('open_clip_config.json')]);
    expect([m.config.name, m.weights.name, m.name]).toEqual(['config.json', 'model.safetensors', 'model.safetensors']);
  });

  it('a lone .safetensors with the one json next to it', () => {
    const m = pickModelFiles([file('vit_small.safetensors'), file('vit_small.json')]);
    expect([m.config.name, m.weights.name]).toEqual(['vit_small.json', 'vit_small.safetensors']);
  });

  it('says what is missing', () => {
    expect(() => pickModelFiles([file('config.json')])).toThrow(/no \.safetensors file among config\.json/);
    expect(() => pickModelFiles([file('model.safetensors')])).toThrow(/no config\.json next to model\.safetensors/);
    expect(() => pickModelFiles([file('a.safetensors'), file('b.safetensors'), file('config.json')])).toThrow(/several \.safetensors files/);
    expect(() => pickModelFiles([file('model.safetensors')])).toThrow(InputError);
  });
});

describe('readStream', () => {
  it('joins the chunks in order and reports progress after each', async () => {
    const seen: [number, number | null][] = [];
    const bytes = await readStream(streamOf([3, 1, 2]), 6, 'w', (a, b) => seen.push([a, b]));
    expect(Array.from(bytes)).toEqual([1, 1, 1, 2, 3, 3]);
    expect(seen).toEqual([[0, 6], [3, 6], [4, 6], [6, 6]]);
  });

  it('refuses a stream longer than it announced, and a declared size past the limit before reading', async () => {
    await expect(readStream(streamOf([4, 4]), 5, 'model.safetensors', () => {})).rejects.toThrow(/model\.safetensors is longer than the 5 bytes it announced/);
    let pulled = false;
    const s = new ReadableStream({ pull: () => void (pulled = true) }, { highWaterMark: 0 });
    await expect(readStream(s, 2 ** 33, 'huge.safetensors', () => {})).rejects.toThrow(/huge\.safetensors is 8192 MB/);
    expect(pulled).toBe(false);
  });
});
