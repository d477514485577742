/** An upload's dtype is the array's element type: what a kernel binding it will read. */
import { describe, expect, it } from 'vitest';
import { gpuContext } from '../helpers/gpu.js';

describe('upload', () => {
  it('labels each typed array with its own dtype', async () => {
    const ctx = await gpuContext();
    const cases = [[Float32Array.of(-1.5), 'f32'], [Uint32Array.of(4_000_000_000), 'u32'], [Int32Array.of(-7), 'i32']] as const;
    for (const [data, dtype] of cases) {
      using t = ctx.upload(data);
      expect(t.dtype).toBe(dtype);
      // The bytes arrive unchanged, whatever they mean.
      const back = new Uint8Array((await t.read()).buffer);
      expect([...back]).toEqual([...new Uint8Array(data.buffer)]);
    }
  });
});
