/**
 * A small argument parser for the CLI: `--flag`, `--key value`, `--key=value`, repeated keys,
 * and positionals. Unknown options and arguments are usage errors (a typo should not silently
 * do nothing), with the closest known option suggested.
 */
import { CliError } from './errors.js';
import { didYouMean } from './suggest.js';

export interface OptionSpec {
  /** Takes a value (`--model DIR`) rather than being a boolean flag. */
  value?: boolean;
  /** May be given several times (values accumulate). */
  multiple?: boolean;
  alias?: string;
  /** Other long names of the same option (`--methods` for `--method`); values land under the spec's key. */
  also?: readonly string[];
}

/** How many positional arguments a command takes, and what they are called in messages. */
export interface PositionalSpec {
  max: number;
  /** e.g. "images"; a stray argument is reported with it. */
  what?: string;
}

export interface ParsedArgs {
  positionals: string[];
  options: Map<string, string[]>;
  flags: Set<string>;
}

export function parseArgs(argv: readonly string[], spec: Record<string, OptionSpec>, positionals: PositionalSpec = { max: Infinity }): ParsedArgs {
  const byAlias = new Map(Object.entries(spec).filter(([, s]) => s.alias).map(([k, s]) => [s.alias!, k]));
  const byName = new Map(Object.entries(spec).flatMap(([k, s]) => [[k, k] as const, ...(s.also ?? []).map((n) => [n, k] as const)]));
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
    const given = key;
    key = byName.get(key) ?? key;
    const s = spec[key];
    if (!s) {
      const hint = didYouMean(given, [...byName.keys()], (n) => `--${n}`);
      throw new CliError(`unknown option ${a.split('=')[0]}${hint || ' (see --help)'}`);
    }
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
  if (out.positionals.length > positionals.max) {
    const stray = out.positionals[positionals.max];
    const takes = positionals.max === 0 ? 'takes no arguments' : `takes ${positionals.max} argument${positionals.max === 1 ? '' : 's'}${positionals.what ? ` (${positionals.what})` : ''}`;
    throw new CliError(`unexpected argument "${stray}": this command ${takes}${stray.startsWith('-') ? '' : '; options start with --'}`);
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
