/** Command-line options of the benchmarks: `--name value`, `--flag`, comma-separated lists. */
export interface Args {
  str(name: string, fallback: string): string;
  num(name: string, fallback: number): number;
  nums(name: string, fallback: number[]): number[];
  list(name: string): string[] | null;
  flag(name: string): boolean;
}

export function parseArgs(argv: readonly string[] = process.argv.slice(2)): Args {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && i + 1 < argv.length && !argv[i + 1].startsWith('--') ? argv[i + 1] : undefined;
  };
  const num = (name: string, fallback: number) => {
    const v = value(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`--${name} expects a number, got "${v}"`);
    return n;
  };
  return {
    str: (name, fallback) => value(name) ?? fallback,
    num,
    nums: (name, fallback) => {
      const v = value(name);
      return v === undefined ? fallback : v.split(',').filter(Boolean).map(Number);
    },
    list: (name) => value(name)?.split(',').filter(Boolean) ?? null,
    flag: (name) => argv.includes(`--${name}`),
  };
}
