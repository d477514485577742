/**
 * The fuzz worker: a child process that runs inputs it is sent through one family's loader and
 * answers how each ended. The parent (run.ts) times it, watches its memory and replaces it when
 * it dies, hangs or grows past the ceiling, so one bad input cannot take the run down.
 */
import { resourceUsage } from 'node:process';
import { VitlensError } from '../../src/errors.js';
import { runTarget, type Family } from './families.js';

export interface WorkerRequest {
  id: number;
  family: Family;
  bytes: Uint8Array;
}

export interface WorkerReply {
  id: number;
  outcome: 'accepted' | 'typed' | 'untyped';
  /** VitlensError code, or the untyped error's name. */
  code?: string;
  message?: string;
  ms: number;
  /** Peak resident set of this process so far, in MiB. */
  peakMiB: number;
}

process.on('message', (req: WorkerRequest) => {
  const t0 = performance.now();
  let reply: Omit<WorkerReply, 'ms' | 'peakMiB'>;
  try {
    runTarget(req.family, new Uint8Array(req.bytes));
    reply = { id: req.id, outcome: 'accepted' };
  } catch (e) {
    const err = e as Error;
    reply = e instanceof VitlensError
      ? { id: req.id, outcome: 'typed', code: e.code, message: e.message.slice(0, 300) }
      : { id: req.id, outcome: 'untyped', code: err?.name ?? typeof e, message: `${err?.message ?? String(e)}\n${err?.stack ?? ''}`.slice(0, 2000) };
  }
  process.send!({ ...reply, ms: performance.now() - t0, peakMiB: resourceUsage().maxRSS / 1024 } satisfies WorkerReply);
});

process.send!('ready');
