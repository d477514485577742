/** Repeated timing for `vitlens bench` and the repository's bench/ scripts. */

export interface Timing {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

/** Runs `fn` `warmup` times untimed (pipeline compiles), then `reps` times; milliseconds. */
export async function timeMs(fn: () => Promise<unknown>, reps: number, warmup = 1): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  const s = [...samples].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1], samples };
}
