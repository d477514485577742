/**
 * Dawn writes two warnings straight to the process's stderr (native fprintf, not the WebGPU
 * error callbacks) when it opens an adapter whose Vulkan driver reports huge dynamic-buffer
 * limits, as lavapipe does:
 *   Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 ...
 * No device limit or Dawn toggle prevents them (they come from adapter enumeration), and Node
 * cannot redirect a native write to fd 2. So the CLI runs its GPU commands in a child process
 * whose stderr it reads and passes on without these two lines: an error stays one line, as the
 * README promises. The library itself never does this (it must not patch a process's streams).
 */
import { spawn } from 'node:child_process';

/** The two lines Dawn prints (and nothing else). */
export const DAWN_NOISE = /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.\r?$/;

/** Set in the child, so that it does not relaunch itself; VITLENS_RAW_STDERR=1 turns the filter off. */
const CHILD = 'VITLENS_CLI_CHILD';
/** The parent's terminal width when its stderr is a terminal: the child's progress bar keeps drawing in place. */
const TTY_COLUMNS = 'VITLENS_STDERR_COLUMNS';

export function shouldRelaunch(): boolean {
  return process.env[CHILD] !== '1' && process.env.VITLENS_RAW_STDERR !== '1';
}

/**
 * In the child: stderr is a pipe to the parent, but it ends on the parent's terminal; and the
 * child ends with its parent. A parent killed outright (SIGKILL, OOM killer) cannot forward a
 * signal, so the child watches the IPC channel, which the kernel closes when the parent dies:
 * otherwise an orphaned run would go on writing into a folder that its caller thinks is idle.
 */
export function adoptParent(): void {
  if (process.env[CHILD] !== '1') return;
  const cols = Number(process.env[TTY_COLUMNS]);
  if (cols > 0) Object.assign(process.stderr, { isTTY: true, columns: cols });
  if (process.channel) {
    process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
    process.channel.unref(); // the channel alone must not keep the child running
  }
}

/** Passes text on, dropping DAWN_NOISE lines; holds back only a partial line that may become one. */
export class NoiseFilter {
  private pending = '';
  constructor(private readonly write: (s: string) => void) {}

  push(chunk: string): void {
    this.pending += chunk;
    let nl: number;
    let out = '';
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, nl);
      this.pending = this.pending.slice(nl + 1);
      if (!DAWN_NOISE.test(line)) out += `${line}\n`;
    }
    // A partial line (a progress bar redrawn with \r) goes on at once unless it could be noise.
    const prefix = 'Warning: maxDynamic';
    if (this.pending && !(prefix.startsWith(this.pending) || this.pending.startsWith(prefix))) {
      out += this.pending;
      this.pending = '';
    }
    if (out) this.write(out);
  }

  end(): void {
    if (this.pending && !DAWN_NOISE.test(this.pending)) this.write(this.pending);
    this.pending = '';
  }
}

/** Runs this same command line in a child with the noise filtered from its stderr; resolves to its exit code. */
export function relaunchFiltered(): Promise<number> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, [CHILD]: '1' };
    if (process.stderr.isTTY) env[TTY_COLUMNS] = String(process.stderr.columns ?? 100);
    const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: ['inherit', 'inherit', 'pipe', 'ipc'], env });
    const filter = new NoiseFilter((s) => process.stderr.write(s));
    const stderr = child.stderr!; // stdio[2] is 'pipe'
    stderr.setEncoding('utf8');
    stderr.on('data', (d: string) => filter.push(d));
    // Ctrl-C reaches the child too (same process group); the parent waits for it to finish.
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    process.on('SIGINT', () => {});
    process.on('SIGTERM', forward);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      filter.end();
      process.off('SIGTERM', forward);
      resolve(code ?? (signal ? 128 + signalNumber(signal) : 1));
    });
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Partial<Record<NodeJS.Signals, number>>)[signal] ?? 1;
}
