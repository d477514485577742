/** Timing helpers for the benchmarks: medians after warm-up, printed tables. */
import { timeMs } from '../../src/cli/timing.js';
import type { GpuContext } from '../../src/gpu/context.js';

export { timeMs, type Timing } from '../../src/cli/timing.js';

export async function medianMs(fn: () => Promise<unknown>, reps: number, warmup = 1): Promise<number> {
  return (await timeMs(fn, reps, warmup)).median;
}

export function fmtMs(ms: number | null | undefined): string {
  if (ms === undefined || ms === null || Number.isNaN(ms)) return '—';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
}

/** "2.41x", or a dash when either side is missing. */
export function fmtRatio(a: number | null | undefined, b: number | null | undefined): string {
  return a && b ? `${(a / b).toFixed(2)}x` : '—';
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(cells[0]), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...cells.slice(1).map(line)].join('\n');
}

/**
 * Mean wall time of `reps` recorded runs between two syncs, after one warm-up run: for work that
 * is only recorded (dispatches), so the time is the GPU's, not the recording's.
 */
export async function recordedMs(ctx: GpuContext, run: () => void, reps: number): Promise<number> {
  run();
  await ctx.sync();
  const t = performance.now();
  for (let i = 0; i < reps; i++) run();
  await ctx.sync();
  return (performance.now() - t) / reps;
}

