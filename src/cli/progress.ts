/**
 * Progress on stderr for long work (token ablation, attention flow, many images). On a terminal
 * one line is rewritten in place; otherwise (CI logs, pipes) each finished step prints one line,
 * so logs stay readable. stdout is left alone for results and --json.
 */
export class Progress {
  private readonly tty = Boolean(process.stderr.isTTY);
  private lastDraw = 0;
  private open = false;

  constructor(private readonly quiet = false) {}

  /** Shows `label` at done/total (throttled to ~10 updates a second on a terminal). */
  update(label: string, done: number, total: number): void {
    if (this.quiet || !this.tty) return;
    const now = Date.now();
    if (done < total && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = 24;
    const filled = total > 0 ? Math.round((width * done) / total) : 0;
    process.stderr.write(`\r\x1b[2K${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
    this.open = true;
  }

  /** Ends a step with one line: `label  detail`. */
  done(label: string, detail = ''): void {
    if (this.quiet) return;
    if (this.open) process.stderr.write('\r\x1b[2K');
    this.open = false;
    process.stderr.write(`${label}${detail ? `  ${detail}` : ''}\n`);
  }
}
