/**
 * dawn.node resolves GPU promises (onSubmittedWorkDone, mapAsync) by re-queuing a native
 * callback with `setImmediate` for as long as one is pending: the main thread busy-polls a whole
 * core, which a CPU adapter (lavapipe) needs for compute. While vitlens waits on its own GPU
 * promises, Dawn's native callbacks are paced: they run back-to-back for a short spin (short
 * waits stay short), then at most every `pollMs` via setTimeout. Other callers' setImmediate
 * calls (non-native functions) are never delayed, and the original is restored as soon as no
 * vitlens wait is pending.
 */
const SPIN_MS = 2;
const POLL_MS = 1;

let active = 0;
let original: typeof setImmediate | null = null;
let waitStart = 0;

function isNative(fn: unknown): boolean {
  return typeof fn === 'function' && /\{\s*\[native code\]\s*\}$/.test(Function.prototype.toString.call(fn));
}

function pacedSetImmediate(this: unknown, fn: (...a: unknown[]) => void, ...args: unknown[]) {
  const real = original!;
  if (!isNative(fn) || performance.now() - waitStart < SPIN_MS) return real(fn, ...args);
  return setTimeout(fn, POLL_MS, ...args) as unknown as NodeJS.Immediate;
}

export async function pacedGpuWait<T>(promise: Promise<T>): Promise<T> {
  if (active++ === 0) {
    original = globalThis.setImmediate;
    waitStart = performance.now();
    globalThis.setImmediate = pacedSetImmediate as unknown as typeof setImmediate;
  }
  try {
    return await promise;
  } finally {
    if (--active === 0) {
      globalThis.setImmediate = original!;
      original = null;
    }
  }
}
