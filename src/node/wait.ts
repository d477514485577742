/**
 * Opt-in pacing of dawn.node's polling (`createNodeContext({ pacedWait: true })`; the vitlens
 * CLI, benchmarks and tests turn it on, a library embedded in someone else's process does not
 * unless asked).
 *
 * Why: dawn.node resolves GPU promises (onSubmittedWorkDone, mapAsync) by re-queuing a native
 * callback with `setImmediate` for as long as one is pending: the main thread busy-polls a whole
 * core, which a CPU adapter (lavapipe) needs for compute (1.3-1.9x slower end to end there).
 *
 * How, and what it costs the process: while a vitlens wait is pending, `globalThis.setImmediate`
 * is replaced; native callbacks (recognised by `Function.prototype.toString` ending in
 * `[native code]` — Dawn's, but also any other addon's) run back-to-back for a short spin, then
 * at most every POLL_MS via setTimeout. JavaScript callbacks are never delayed. The original is
 * put back as soon as no vitlens wait is pending — unless another library replaced setImmediate
 * in the meantime, in which case theirs stays and ours passes every call straight through.
 * Dawn gives no scoped hook (it looks the global up for every re-queue), so this is opt-in.
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
  if (active === 0 || !isNative(fn) || performance.now() - waitStart < SPIN_MS) return real(fn, ...args);
  return setTimeout(fn, POLL_MS, ...args) as unknown as NodeJS.Immediate;
}

/** Waits for `promise` with dawn.node's polling paced (see above). */
export async function pacedGpuWait<T>(promise: Promise<T>): Promise<T> {
  if (active++ === 0) {
    waitStart = performance.now();
    if (globalThis.setImmediate !== (pacedSetImmediate as unknown)) {
      original = globalThis.setImmediate;
      globalThis.setImmediate = pacedSetImmediate as unknown as typeof setImmediate;
    }
  }
  try {
    return await promise;
  } finally {
    // Restore only our own replacement: a wrapper installed over ours by someone else stays.
    if (--active === 0 && globalThis.setImmediate === (pacedSetImmediate as unknown)) {
      globalThis.setImmediate = original!;
    }
  }
}

/** True while vitlens has replaced `globalThis.setImmediate` (for tests). */
export function pacingInstalled(): boolean {
  return globalThis.setImmediate === (pacedSetImmediate as unknown);
}
