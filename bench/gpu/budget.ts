/**
 * Time budgets for the GPU check: the whole run must fit one command of the GPU machine
 * (10 minutes, ~8 planned), so every phase gets a share of the time left, and each item inside
 * a phase asks before it starts. What did not fit is reported as skipped, never silently dropped.
 */
export class Budget {
  private readonly end: number;

  constructor(
    readonly label: string,
    seconds: number,
  ) {
    this.end = performance.now() + seconds * 1000;
  }

  /** Seconds left. */
  left(): number {
    return Math.max(0, (this.end - performance.now()) / 1000);
  }

  /** Whether `seconds` more (a prediction) still fit. */
  fits(seconds = 0): boolean {
    return this.left() > seconds;
  }

  /** A sub-budget: `share` of what is left, at most what is left. */
  part(label: string, share: number): Budget {
    return new Budget(`${this.label}/${label}`, this.left() * Math.min(1, share));
  }
}
