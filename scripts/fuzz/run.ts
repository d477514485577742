/**
 * The fuzz driver: makes input i of each family from (seed, i), runs it in a worker process with
 * a time limit and a memory ceiling, and records one outcome per input:
 *
 *   accepted  the loader returned normally
 *   typed     it threw a VitlensError (a clear, typed refusal: what we want for bad input)
 *   untyped   it threw anything else (a bug)
 *   crash     the worker process died (native abort, out-of-memory kill)
 *   hang      no answer within the time limit (CPU time of the worker; wall time stretches while
 *             a loaded machine keeps the worker waiting for a core, up to 10x)
 *   memory    the worker's resident memory passed the ceiling
 *
 * Results go to `<out>/<family>.jsonl`, one line per input; a rerun with the same seed skips the
 * inputs already recorded (resumable). Inputs with a bad outcome are saved under `<out>/findings`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeInput, type Family } from './families.js';
import type { WorkerReply } from './worker.js';

export const OUTCOMES = ['accepted', 'typed', 'untyped', 'crash', 'hang', 'memory'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface FuzzOptions {
  families: readonly Family[];
  /** Inputs per family (indices 0 .. count-1). */
  count: number;
  seed: number;
  /** Folder for results; none: nothing is written and nothing resumed. */
  outDir?: string;
  /** Per-input wall-clock limit. */
  timeoutMs: number;
  /** Resident-memory ceiling of the worker process (its own baseline included). */
  memoryMiB: number;
  log?: (line: string) => void;
}

export interface InputRecord {
  i: number;
  outcome: Outcome;
  code?: string;
  message?: string;
  ms: number;
  peakMiB?: number;
  bytes: number;
}

export interface FamilySummary {
  family: Family;
  inputs: number;
  counts: Record<Outcome, number>;
  /** Slowest input and largest worker peak memory seen. */
  maxMs: number;
  maxPeakMiB: number;
  /** Up to 10 inputs with a bad outcome (untyped, crash, hang, memory). */
  findings: InputRecord[];
}

const workerPath = join(dirname(fileURLToPath(import.meta.url)), 'worker.ts');

/** Resident set size of a process in MiB (Linux /proc), or 0 when it cannot be read. */
function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU time (user + system) a process has used, in ms (Linux /proc; clock ticks of 10 ms), or NaN. */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/** On a loaded machine a worker may wait for a core: the wall-clock limit stretches up to this factor while it does. */
const STARVED_SLACK = 10;

class Worker {
  private child: ChildProcess | null = null;

  private async start(): Promise<ChildProcess> {
    const child = fork(workerPath, [], { execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    child.stderr!.resume();
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`fuzz worker exited with ${code} before it was ready`)));
    });
    return child;
  }

  /** Runs one input; the worker is replaced after any outcome that leaves it unusable. */
  async run(family: Family, bytes: Uint8Array, id: number, o: FuzzOptions): Promise<Omit<InputRecord, 'i' | 'bytes'>> {
    this.child ??= await this.start();
    const child = this.child;
    const t0 = performance.now();
    const result = await new Promise<Omit<InputRecord, 'i' | 'bytes'>>((resolve) => {
      let done = false;
      const finish = (r: Omit<InputRecord, 'i' | 'bytes'>) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearInterval(watch);
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(r);
      };
      const onMessage = (m: WorkerReply) => {
        if (m.id !== id) return;
        const over = m.peakMiB > o.memoryMiB;
        finish({ outcome: over ? 'memory' : m.outcome, code: m.code, message: m.message, ms: m.ms, peakMiB: m.peakMiB });
      };
      const onExit = (code: number | null, signal: string | null) => finish({ outcome: 'crash', code: signal ?? `exit ${code}`, ms: performance.now() - t0 });
      // A hang is an input that used the limit in CPU time (or, where CPU time cannot be read, in
      // wall time); a worker starved of CPU by other processes gets up to STARVED_SLACK x longer.
      const cpu0 = cpuMs(child.pid!);
      const check = () => {
        const used = cpuMs(child.pid!) - cpu0;
        const wall = performance.now() - t0;
        if (!(used < o.timeoutMs) || wall > o.timeoutMs * STARVED_SLACK) finish({ outcome: 'hang', code: `cpu ${Number.isNaN(used) ? '?' : used} ms`, ms: wall });
        else timer = setTimeout(check, Math.max(100, o.timeoutMs - used));
      };
      let timer = setTimeout(check, o.timeoutMs);
      const watch = setInterval(() => {
        const rss = rssMiB(child.pid!);
        if (rss > o.memoryMiB) finish({ outcome: 'memory', code: `rss ${rss.toFixed(0)} MiB`, ms: performance.now() - t0, peakMiB: rss });
      }, 20);
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.send({ id, family, bytes });
    });
    if (result.outcome === 'crash' || result.outcome === 'hang' || result.outcome === 'memory') this.stop();
    return result;
  }

  stop(): void {
    if (this.child && this.child.exitCode === null) this.child.kill('SIGKILL');
    this.child = null;
  }
}

function emptyCounts(): Record<Outcome, number> {
  return Object.fromEntries(OUTCOMES.map((k) => [k, 0])) as Record<Outcome, number>;
}

const isBad = (o: Outcome) => o !== 'accepted' && o !== 'typed';

/** Runs (or resumes) the fuzz and returns one summary per family. */
export async function runFuzz(o: FuzzOptions): Promise<FamilySummary[]> {
  const log = o.log ?? (() => {});
  const summaries: FamilySummary[] = [];
  if (o.outDir) mkdirSync(join(o.outDir, 'findings'), { recursive: true });
  // One worker for all families: starting one costs a second or two (tsx); it is replaced only after a bad outcome.
  const worker = new Worker();
  try {
  for (const family of o.families) {
    const file = o.outDir ? join(o.outDir, `${family}-seed${o.seed}.jsonl`) : null;
    const records = new Map<number, InputRecord>();
    if (file && existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) if (line) { const r = JSON.parse(line) as InputRecord; records.set(r.i, r); }
      if (records.size) log(`${family}: resuming, ${records.size} inputs already recorded`);
    }
    {
      for (let i = 0; i < o.count; i++) {
        if (records.has(i)) continue;
        const bytes = makeInput(family, o.seed, i);
        const r: InputRecord = { i, bytes: bytes.length, ...(await worker.run(family, bytes, i, o)) };
        if (r.outcome === 'typed') delete r.message; // keeps the record small; the code says enough
        records.set(i, r);
        if (file) appendFileSync(file, `${JSON.stringify(r)}\n`);
        if (isBad(r.outcome)) {
          log(`${family} #${i}: ${r.outcome} ${r.code ?? ''} ${(r.message ?? '').split('\n')[0]}`);
          if (o.outDir) writeFileSync(join(o.outDir, 'findings', `${family}-seed${o.seed}-${i}.bin`), bytes);
        }
        if ((i + 1) % 1000 === 0) log(`${family}: ${i + 1}/${o.count}`);
      }
    }
    const counts = emptyCounts();
    let maxMs = 0;
    let maxPeakMiB = 0;
    const findings: InputRecord[] = [];
    for (const r of records.values()) {
      if (r.i >= o.count) continue;
      counts[r.outcome]++;
      maxMs = Math.max(maxMs, r.ms);
      maxPeakMiB = Math.max(maxPeakMiB, r.peakMiB ?? 0);
      if (isBad(r.outcome) && findings.length < 10) findings.push(r);
    }
    summaries.push({ family, inputs: Math.min(o.count, records.size), counts, maxMs, maxPeakMiB, findings });
  }
  } finally {
    worker.stop();
  }
  return summaries;
}
