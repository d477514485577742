/**
 * The progress of `vitlens eval --out DIR`, written as it goes so that a run killed at any
 * moment loses at most the batch in flight: DIR/progress.jsonl holds one line per batch, each
 * `<sha256 of the payload, 16 hex> <payload JSON>\n`, appended and fsynced before the next batch
 * starts. The first line is the run's manifest (settings, model hash, image source, shard, batch
 * size): a resume refuses progress written by another run. A last line without its newline is a
 * write cut short and is dropped; any other line that does not match its checksum is corruption
 * and is refused, never mixed in. When the run ends, DIR/state.json holds the exact statistics
 * (what `vitlens eval merge` adds up), written to a temporary file and renamed into place.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, ftruncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ProgressError } from '../errors.js';
import type { BatchRecord, EvaluationState } from '../explain/evaluate/run.js';
import type { VitConfig } from '../model/config.js';

export const PROGRESS_FILE = 'progress.jsonl';
export const STATE_FILE = 'state.json';
const FORMAT = 'vitlens-eval-progress/1';

/** What identifies a run: resumes and shards must agree on all of it (shards: all but `shard`). */
export interface RunManifest {
  format: typeof FORMAT;
  settings: Record<string, unknown>;
  model: { architecture: string; sha256: string; config: VitConfig };
  source: { kind: string; name: string; available: number; count: number; spread: boolean; masks: string | null };
  batch: number;
  shard: { index: number; count: number } | null;
}

/** A shard's (or a whole run's) final output: its manifest and exact state. */
export interface RunState {
  manifest: RunManifest;
  state: EvaluationState;
  /** Where the images were read (may differ between the machines of a sharded run). */
  source: { path: string; kind: string; available: number };
}

const check = (payload: string) => createHash('sha256').update(payload).digest('hex').slice(0, 16);
const line = (payload: unknown) => {
  const json = JSON.stringify(payload);
  return `${check(json)} ${json}\n`;
};

/** The first key where two manifests differ, as "key: a vs b" (for error messages). */
export function manifestDifference(a: RunManifest, b: RunManifest, ignore: string[] = []): string | null {
  for (const k of Object.keys({ ...a, ...b }) as (keyof RunManifest)[]) {
    if (ignore.includes(k)) continue;
    const x = JSON.stringify(a[k]);
    const y = JSON.stringify(b[k]);
    if (x !== y) {
      if (k === 'settings') {
        const sa = a.settings;
        const sb = b.settings;
        const sk = Object.keys({ ...sa, ...sb }).find((s) => JSON.stringify(sa[s]) !== JSON.stringify(sb[s]));
        return `settings.${sk}: ${JSON.stringify(sa[sk!])} vs ${JSON.stringify(sb[sk!])}`;
      }
      return `${k}: ${x} vs ${y}`;
    }
  }
  return null;
}

export class EvalProgress {
  private constructor(
    private fd: number,
    readonly path: string,
  ) {}

  /** Is there a run's progress in `dir`, and did that run finish? */
  static status(dir: string): 'none' | 'unfinished' | 'finished' {
    if (!existsSync(join(dir, PROGRESS_FILE))) return 'none';
    return existsSync(join(dir, STATE_FILE)) ? 'finished' : 'unfinished';
  }

  /** Starts a new progress file (replacing one left by a finished run). */
  static create(dir: string, manifest: RunManifest): EvalProgress {
    const path = join(dir, PROGRESS_FILE);
    const fd = openSync(path, 'w');
    writeSync(fd, line({ manifest }));
    fsyncSync(fd);
    return new EvalProgress(fd, path);
  }

  /**
   * Opens the progress in `dir` to continue it: checks the manifest against this run's, drops a
   * last line cut short, and returns the batches recorded so far.
   */
  static resume(dir: string, manifest: RunManifest): { progress: EvalProgress; records: BatchRecord[] } {
    const path = join(dir, PROGRESS_FILE);
    if (!existsSync(path)) throw new ProgressError('no-progress', `${dir} holds no ${PROGRESS_FILE} to resume (run without --resume to start)`);
    const text = readFileSync(path, 'utf8');
    const lines = text.split('\n');
    // The part after the last newline is a write cut short (or empty).
    const complete = lines.slice(0, -1);
    const records: BatchRecord[] = [];
    let goodBytes = 0;
    complete.forEach((l, i) => {
      const sp = l.indexOf(' ');
      const payload = l.slice(sp + 1);
      if (sp !== 16 || check(payload) !== l.slice(0, 16)) {
        throw new ProgressError('corrupt-progress', `${path}: line ${i + 1} does not match its checksum (the file was changed or damaged); start the run again without --resume, in an empty --out folder`);
      }
      const value = JSON.parse(payload) as { manifest?: RunManifest; record?: BatchRecord };
      if (i === 0) {
        if (!value.manifest || value.manifest.format !== FORMAT) throw new ProgressError('foreign-progress', `${path}: not a vitlens eval progress file`);
        const diff = manifestDifference(value.manifest, manifest);
        if (diff) throw new ProgressError('foreign-progress', `${path} belongs to another run (${diff}); resume with the same settings, model and images, or choose another --out`);
      } else {
        if (!value.record) throw new ProgressError('corrupt-progress', `${path}: line ${i + 1} holds no batch record`);
        records.push(value.record);
      }
      goodBytes += Buffer.byteLength(l) + 1;
    });
    if (complete.length === 0) throw new ProgressError('corrupt-progress', `${path}: the manifest line is incomplete; start the run again without --resume`);
    const fd = openSync(path, 'r+');
    ftruncateSync(fd, goodBytes);
    fsyncSync(fd);
    closeSync(fd);
    return { progress: new EvalProgress(openSync(path, 'a'), path), records };
  }

  /** The manifest and batches recorded so far, read only (a run still going, or killed). */
  static read(dir: string): { manifest: RunManifest; records: BatchRecord[] } {
    const path = join(dir, PROGRESS_FILE);
    if (!existsSync(path)) throw new ProgressError('no-progress', `${dir} holds no ${PROGRESS_FILE}`);
    const lines = readFileSync(path, 'utf8').split('\n').slice(0, -1);
    const values = lines.map((l, i) => {
      const payload = l.slice(17);
      if (l[16] !== ' ' || check(payload) !== l.slice(0, 16)) throw new ProgressError('corrupt-progress', `${path}: line ${i + 1} does not match its checksum`);
      return JSON.parse(payload) as { manifest?: RunManifest; record?: BatchRecord };
    });
    const manifest = values[0]?.manifest;
    if (!manifest || manifest.format !== FORMAT) throw new ProgressError('foreign-progress', `${path}: not a vitlens eval progress file`);
    return { manifest, records: values.slice(1).map((v) => v.record!) };
  }

  /** Appends one batch and waits until it is on disk. */
  append(record: BatchRecord): void {
    writeSync(this.fd, line({ record }));
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/** Writes the run's final state atomically (temporary file, fsync, rename). */
export function writeRunState(dir: string, run: RunState): void {
  const path = join(dir, STATE_FILE);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, JSON.stringify(run));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Reads a run's final state, with a clear error for a missing, unfinished or foreign folder. */
export function readRunState(dir: string): RunState {
  const path = join(dir, STATE_FILE);
  if (!existsSync(path)) {
    throw new ProgressError('no-state', existsSync(join(dir, PROGRESS_FILE)) ? `${dir}: the run has not finished (no ${STATE_FILE}); resume it with --resume first` : `${dir}: no ${STATE_FILE} (not the --out folder of a vitlens eval run)`);
  }
  let run: RunState;
  try {
    run = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ProgressError('corrupt-state', `${path}: not valid JSON (${(e as Error).message})`);
  }
  if (run?.manifest?.format !== FORMAT || run?.state?.format !== 'vitlens-eval-state/1') throw new ProgressError('corrupt-state', `${path}: not a vitlens eval state`);
  return run;
}
