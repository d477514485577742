/**
 * Progress on stderr for long work (token ablation, attention flow, evaluations over thousands of
 * images). On a terminal one line is redrawn in place, with the time elapsed and an estimate of
 * the time left. When stderr is a file or a pipe (CI logs), a phase that runs longer than a few
 * seconds prints one plain line every ~10 %, and finished steps print one line each, so logs
 * stay short. stdout is left alone for results and --json. Silent when disabled.
 */
function clock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Phases shorter than this print no progress lines into logs (only their final step line). */
const LOG_AFTER_S = 3;

export class Progress {
  private readonly start = performance.now();
  private phase = '';
  private phaseT0 = performance.now();
  private lastDraw = 0;
  private lastDecile = -1;
  private width = 0;

  constructor(
    private readonly enabled = true,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  private get tty(): boolean {
    return !!this.stream.isTTY;
  }

  /** Shows `done` (may be fractional: shown rounded down) of `total` units of `phase`, with the current `detail`. */
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
      let line = `${phase} [${'#'.repeat(filled)}${'.'.repeat(barW - filled)}] ${Math.floor(done)}/${total} ${clock(elapsed)} elapsed, ~${clock(eta)} left  ${detail}`;
      if (line.length > cols) line = line.slice(0, cols);
      this.stream.write(`\r${line.padEnd(this.width)}`);
      this.width = line.length;
    } else {
      if (phaseElapsed < LOG_AFTER_S) return;
      const decile = Math.floor(frac * 10);
      if (decile === this.lastDecile && done < total) return;
      if (done >= total && this.lastDecile === 10) return;
      this.lastDecile = done >= total ? 10 : decile;
      this.stream.write(`${phase}: ${Math.floor(done)}/${total} (${Math.round(frac * 100)}%), ${clock(elapsed)} elapsed, ~${clock(eta)} left${detail ? `  ${detail}` : ''}\n`);
    }
  }

  /** Ends a step with one line: `label  detail` (replacing the bar on a terminal). */
  step(label: string, detail = ''): void {
    if (!this.enabled) return;
    if (this.tty && this.width) this.stream.write('\r\x1b[2K');
    this.width = 0;
    this.phase = '';
    this.stream.write(`${label}${detail ? `  ${detail}` : ''}\n`);
  }

  /** Ends the bar's line (on a terminal). */
  done(): void {
    if (this.enabled && this.tty && this.width) this.stream.write('\n');
    this.width = 0;
  }
}

/** What pipelineNotes reads of a GPU context. */
export interface PipelineSource {
  readonly pipelineCount: number;
  readonly info: { readonly isSoftware: boolean };
}

/**
 * A progress line's detail: the step's time and, when the step was slow and created GPU
 * pipelines, how many. On a CPU adapter compiling them is nearly all of a first run's time
 * (lavapipe builds each one at its first dispatch, seconds apiece; Mesa's disk cache serves later
 * runs in milliseconds), so a slow first step says why instead of looking like the method's cost.
 */
export function pipelineNotes(ctx: PipelineSource): { detail: (ms: number) => string } {
  let seen = ctx.pipelineCount;
  let explained = false;
  return {
    detail(ms) {
      const fresh = ctx.pipelineCount - seen;
      seen = ctx.pipelineCount;
      if (!fresh || ms < SLOW_STEP_MS) return `${ms.toFixed(0)} ms`;
      const note = ctx.info.isSoftware && !explained ? ', compiled on first use: later runs take them from the disk cache' : '';
      explained ||= note !== '';
      return `${ms.toFixed(0)} ms (${fresh} new GPU pipeline${fresh === 1 ? '' : 's'}${note})`;
    },
  };
}

/** A step this slow that created pipelines was most likely compiling them (warm steps take < 0.5 s). */
const SLOW_STEP_MS = 1000;
