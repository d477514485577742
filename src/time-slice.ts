/**
 * Long CPU loops that share the thread with a page: `await slice.pause()` between steps gives the
 * event loop a turn once `budgetMs` of work has run since the last one, so no task runs much longer
 * than the budget (a browser counts a task over 50 ms as a long task; the app aims at < 100 ms).
 * Works the same in Node, where it lets timers and I/O run.
 */
export class TimeSlice {
  private since = performance.now();

  constructor(private readonly budgetMs = 30) {}

  /** Yields to the event loop if this slice's budget is spent; otherwise returns at once. */
  async pause(): Promise<void> {
    if (performance.now() - this.since < this.budgetMs) return;
    await yieldToEventLoop();
    this.since = performance.now();
  }
}

/** One turn of the event loop (a macrotask: rendering and input may run before it resolves). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
