/**
 * A small argument parser for the CLI: `--flag`, `--key value`, `--key=value`, repeated keys,
 * and positionals. Unknown options are errors (a typo should not silently do nothing).
 */
import { CliError } from './errors.js';

export interface OptionSpec {
  /** Takes a value (`--model DIR`) rather than being a boolean flag. */
  value?: boolean;
  /** May be given several times (values accumulate). */
  multiple?: boolean;
  alias?: string;
}

export interface ParsedArgs {
  positionals: string[];
  options: Map<string, string[]>;
  flags: Set<string>;
}

export function parseArgs(argv: readonly string[], spec: Record<string, OptionSpec>): ParsedArgs {
  const byAlias = new Map(Object.entries(spec).filter(([, s]) => s.alias).map(([k, s]) => [s.alias!, k]));
  const out: ParsedArgs = { positionals: [], options: new Map(), flags: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      out.positionals.push(a);
      continue;
    }
    let [key, inline] = a.startsWith('--') ? [a.slice(2), undefined as string | undefined] : [byAlias.get(a.slice(1)) ?? a.slice(1), undefined];
    const eq = key.indexOf('=');
    if (eq >= 0) {
      inline = key.slice(eq + 1);
      key = key.slice(0, eq);
    }
    const s = spec[key];
    if (!s) throw new CliError(`unknown option ${a} (see --help)`);
    if (!s.value) {
      if (inline !== undefined) throw new CliError(`option --${key} takes no value`);
      out.flags.add(key);
      continue;
    }
    const v = inline ?? argv[++i];
    if (v === undefined) throw new CliError(`option --${key} needs a value`);
    const list = out.options.get(key) ?? [];
    if (list.length && !s.multiple) throw new CliError(`option --${key} given twice`);
    list.push(v);
    out.options.set(key, list);
  }
  return out;
}

/** Comma-separated and repeated values as one list: `--method a,b --method c` -> [a, b, c]. */
export function listOption(p: ParsedArgs, key: string): string[] {
  return (p.options.get(key) ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

export function stringOption(p: ParsedArgs, key: string): string | undefined {
  return p.options.get(key)?.[0];
}

export function intOption(p: ParsedArgs, key: string, dflt: number, min = 1): number {
  const v = stringOption(p, key);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new CliError(`--${key} must be an integer >= ${min}, got "${v}"`);
  return n;
}
