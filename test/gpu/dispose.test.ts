/**
 * ctx.dispose() while a result is being read back (issue 9): the pending read fails with a typed
 * DeviceError that says why, releasing a tensor afterwards is a no-op (it threw an untyped Error),
 * and a new context works. A context of its own: disposing the shared one would end other tests.
 */
import { describe, expect, it } from 'vitest';
import { DeviceError, InputError } from '../../src/errors.js';
import { createNodeContext } from '../../src/node/device.js';

describe('dispose during a call', () => {
  it('a pending read rejects with DeviceError("disposed"), release() afterwards does not throw, a new context works', async () => {
    const ctx = await createNodeContext();
    const t = ctx.upload(new Float32Array(4096).fill(1));
    const pending = ctx.read(t);
    ctx.dispose();
    const e = await pending.then(() => null, (x: unknown) => x);
    expect(e).toBeInstanceOf(DeviceError);
    expect((e as DeviceError).code).toBe('disposed');
    expect((e as DeviceError).message).toMatch(/disposed while a result was being read back/);
    expect(() => t.release()).not.toThrow();
    expect(() => t.release()).toThrow(InputError);
    await expect(ctx.read(t)).rejects.toBeInstanceOf(DeviceError);

    const again = await createNodeContext();
    const u = again.upload(new Float32Array([1, 2, 3]));
    expect([...(await again.read(u))]).toEqual([1, 2, 3]);
    u.release();
    again.dispose();
  }, 60_000);
});
