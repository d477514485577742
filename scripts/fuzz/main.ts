/**
 * `npm run fuzz -- [--count N] [--seed S] [--family NAME ...] [--out DIR] [--timeout-ms MS] [--memory-mib MIB]`
 *
 * Fuzzes vitlens' loaders (see run.ts for the outcome classes) and prints a table of outcomes per
 * family; exits 1 if any input ended untyped, crashed, hung or passed the memory ceiling. Rerun
 * the same command to resume (results are kept in --out, default fuzz-out/).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FAMILIES, type Family } from './families.js';
import { OUTCOMES, runFuzz } from './run.js';

function option(name: string): string[] {
  const out: string[] = [];
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}` && i + 1 < argv.length) out.push(argv[++i]);
    else if (argv[i].startsWith(`--${name}=`)) out.push(argv[i].slice(name.length + 3));
  }
  return out;
}

const num = (name: string, dflt: number) => {
  const v = option(name)[0];
  const n = v === undefined ? dflt : Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${v}`);
  return n;
};

const families = option('family').flatMap((f) => f.split(','));
for (const f of families) if (!(FAMILIES as readonly string[]).includes(f)) throw new Error(`unknown family ${f} (known: ${FAMILIES.join(', ')})`);
const outDir = option('out')[0] ?? 'fuzz-out';
const opts = {
  families: (families.length ? families : FAMILIES) as Family[],
  count: num('count', 10_000),
  seed: num('seed', 1),
  outDir,
  timeoutMs: num('timeout-ms', 5000),
  memoryMiB: num('memory-mib', 1024),
  log: (l: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${l}`),
};
console.log(`fuzz: ${opts.count} inputs per family, seed ${opts.seed}, ${opts.timeoutMs} ms limit, ${opts.memoryMiB} MiB ceiling, results in ${outDir}/`);
const summaries = await runFuzz(opts);
const header = ['family', 'inputs', ...OUTCOMES, 'slowest ms', 'peak MiB'];
const rows = summaries.map((s) => [s.family, s.inputs, ...OUTCOMES.map((k) => s.counts[k]), Math.round(s.maxMs), Math.round(s.maxPeakMiB)].map(String));
const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
for (const r of [header, ...rows]) console.log(r.map((v, c) => v.padStart(widths[c])).join('  '));
writeFileSync(join(outDir, `summary-seed${opts.seed}.json`), `${JSON.stringify({ ...opts, log: undefined, summaries }, null, 2)}\n`);
const bad = summaries.reduce((a, s) => a + s.counts.untyped + s.counts.crash + s.counts.hang + s.counts.memory, 0);
process.exit(bad ? 1 : 0);
