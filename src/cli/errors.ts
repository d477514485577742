/**
 * The CLI's errors and how any error becomes one line and an exit code: 1 the work failed (bad
 * file, bad model, no GPU), 2 bad usage. Nothing reaches the user as a stack trace unless
 * `--verbose` is given.
 */
import { VitlensError, WeightsError } from '../errors.js';
import { asFileError } from '../node/files.js';

/** A usage error of the command line (bad option, missing argument): exit code 2. */
export class CliError extends Error {
  override name = 'CliError';
}

export interface Reported {
  /** The line to print (without the `vitlens <command>: ` prefix); more lines with --verbose. */
  text: string;
  exitCode: 1 | 2;
}

/** First line of a message, saying how many lines were left out. */
function firstLine(message: string): string {
  const lines = message.split('\n');
  return lines.length === 1 ? message : `${lines[0].replace(/:$/, '')} (${lines.length - 1} more line(s); --verbose shows them)`;
}

/** What the CLI prints for an error and the exit code it returns. */
export function reportError(e: unknown, verbose: boolean): Reported {
  if (e instanceof CliError) return { text: e.message, exitCode: 2 };
  const err = e instanceof VitlensError ? e : asFileError(e);
  if (err instanceof WeightsError) return { text: verbose ? `${err.message}\n${err.details}` : `${err.message} (--verbose lists them all)`, exitCode: 1 };
  if (err) return { text: verbose ? err.message : firstLine(err.message), exitCode: 1 };
  // Not a failure vitlens anticipated: still one line, with the stack behind --verbose.
  const x = e as Error;
  const text = `internal error: ${x?.name ?? 'Error'}: ${x?.message ?? String(e)} (a bug in vitlens; please report it with the output of --verbose)`;
  return { text: verbose && x?.stack ? `${firstLine(text)}\n${x.stack}` : firstLine(text), exitCode: 1 };
}
