/**
 * A progress bar on stderr: redrawn in place on a terminal, or one plain line every ~10% (and
 * at each new phase) when stderr is a file or a pipe, so logs stay short. Silent when disabled.
 */
function clock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export class ProgressBar {
  private readonly start = performance.now();
  private phase = '';
  private phaseT0 = performance.now();
  private lastDraw = 0;
  private lastDecile = -1;
  private width = 0;

  constructor(
    private readonly enabled: boolean,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  private get tty(): boolean {
    return !!this.stream.isTTY;
  }

  /** Shows `done` of `total` units of `phase`, with the current `detail`. */
  update(phase: string, done: number, total: number, detail = ''): void {
    if (!this.enabled) return;
    const now = performance.now();
    const elapsed = (now - this.start) / 1000;
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const phaseStart = this.phase !== phase;
    if (phaseStart) {
      this.phase = phase;
      this.lastDecile = -1;
      this.phaseT0 = now;
    }
    const phaseElapsed = (now - this.phaseT0) / 1000;
    const eta = frac > 0 ? (phaseElapsed / frac) * (1 - frac) : NaN;
    if (this.tty) {
      if (!phaseStart && now - this.lastDraw < 100 && done < total) return;
      this.lastDraw = now;
      const cols = Math.max(40, (this.stream.columns ?? 100) - 1);
      const barW = 24;
      const filled = Math.round(frac * barW);
      let line = `${phase} [${'#'.repeat(filled)}${'.'.repeat(barW - filled)}] ${done}/${total} ${clock(elapsed)} elapsed, ~${clock(eta)} left  ${detail}`;
      if (line.length > cols) line = line.slice(0, cols);
      this.stream.write(`\r${line.padEnd(this.width)}`);
      this.width = line.length;
    } else {
      const decile = Math.floor(frac * 10);
      if (decile === this.lastDecile && done < total) return;
      if (done >= total && this.lastDecile === 10) return;
      this.lastDecile = done >= total ? 10 : decile;
      this.stream.write(`${phase}: ${done}/${total} (${Math.round(frac * 100)}%), ${clock(elapsed)} elapsed, ~${clock(eta)} left${detail ? `  ${detail}` : ''}\n`);
    }
  }


  /** Ends the bar's line (on a terminal). */
  done(): void {
    if (this.enabled && this.tty && this.width) this.stream.write('\n');
    this.width = 0;
  }
}
