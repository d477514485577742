/**
 * node/wait.ts replaces globalThis.setImmediate only while a paced wait is pending, passes
 * JavaScript callbacks through, restores the original afterwards, and leaves alone a wrapper
 * that another library installed over it.
 */
import { describe, expect, it } from 'vitest';
import { pacedGpuWait, pacingInstalled } from '../../src/node/wait.js';

describe('paced GPU wait', () => {
  it('is installed only during a wait and restores the original', async () => {
    const before = globalThis.setImmediate;
    let release!: () => void;
    const pending = pacedGpuWait(new Promise<void>((r) => (release = r)));
    expect(pacingInstalled()).toBe(true);
    // A JavaScript callback is not delayed by the pacing: it runs on the next turn.
    await new Promise<void>((r) => setImmediate(r));
    release();
    await pending;
    expect(pacingInstalled()).toBe(false);
    expect(globalThis.setImmediate).toBe(before);
  });

  it("keeps another library's wrapper installed during the wait", async () => {
    const before = globalThis.setImmediate;
    let release!: () => void;
    const pending = pacedGpuWait(new Promise<void>((r) => (release = r)));
    const inner = globalThis.setImmediate;
    const theirs = ((fn: (...a: unknown[]) => void, ...args: unknown[]) => inner(fn, ...args)) as unknown as typeof setImmediate;
    globalThis.setImmediate = theirs;
    try {
      release();
      await pending;
      expect(globalThis.setImmediate).toBe(theirs);
      await new Promise<void>((r) => setImmediate(r)); // ours, still inside theirs, passes through
    } finally {
      globalThis.setImmediate = before;
    }
  });
});
