/**
 * `vitlens eval merge DIR... --out DIR`: adds up the exact states of a sharded run's --out
 * folders into the report of one run (evaluation.json, evaluation.html, the tables), after
 * checking that the shards are of one run (same settings, model, images, batch size) and that
 * every shard is there exactly once. Needs no GPU and no model. With --partial: the report of
 * what unfinished runs recorded so far.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ProgressError } from '../../errors.js';
import type { EvaluationReport } from '../../explain/evaluate/report.js';
import { Evaluation, type EvaluationState } from '../../explain/evaluate/run.js';
import { formatReport } from '../../explain/evaluate/tables.js';
import { EvalProgress, manifestDifference, readRunState, writeRunState, type RunState } from '../../node/eval-progress.js';
import { evaluationPage } from '../../report/evaluation-page.js';
import { parseArgs, stringOption } from '../args.js';
import { CliError } from '../errors.js';

export interface ReportOutput {
  command: string;
  source: { path: string; kind: string; available: number };
  json: boolean;
  markdown: boolean;
  quiet: boolean;
  shard: { index: number; count: number } | null;
}

/** Writes evaluation.json and evaluation.html into `out` and prints the tables (or the JSON). */
export function writeReport(out: string, report: EvaluationReport, o: ReportOutput): void {
  mkdirSync(out, { recursive: true });
  const full = { command: o.command, source: o.source, ...(o.shard ? { shard: o.shard } : {}), ...report };
  writeFileSync(join(out, 'evaluation.json'), `${JSON.stringify(full, null, 1)}\n`);
  writeFileSync(join(out, 'evaluation.html'), evaluationPage(report, { command: o.command, available: o.source.available }));
  if (o.json) console.log(JSON.stringify(full, null, 1));
  else console.log(formatReport(report, { markdown: o.markdown, available: o.source.available, header: [`Command: \`${o.command}\``] }));
  if (!o.quiet) console.error(`wrote ${join(out, 'evaluation.json')} and ${join(out, 'evaluation.html')}`);
}

/** Checks that the runs are the shards 0..N-1 of one run, each once. */
export function checkShards(runs: readonly RunState[], dirs: readonly string[]): void {
  const first = runs[0].manifest;
  const n = first.shard?.count ?? 1;
  runs.forEach((r, i) => {
    const diff = manifestDifference(first, r.manifest, ['shard']);
    if (diff) throw new ProgressError('shard-mismatch', `${dirs[i]} is not a shard of the same run as ${dirs[0]} (${diff})`);
    if ((r.manifest.shard?.count ?? 1) !== n) throw new ProgressError('shard-mismatch', `${dirs[i]} is shard ${r.manifest.shard?.index ?? 0} of ${r.manifest.shard?.count ?? 1}, ${dirs[0]} one of ${n}`);
  });
  const seen = new Map<number, string>();
  runs.forEach((r, i) => {
    const k = r.manifest.shard?.index ?? 0;
    if (seen.has(k)) throw new ProgressError('shard-mismatch', `shard ${k} given twice (${seen.get(k)} and ${dirs[i]})`);
    seen.set(k, dirs[i]);
  });
  const missing = Array.from({ length: n }, (_, k) => k).filter((k) => !seen.has(k));
  if (missing.length) throw new ProgressError('shard-missing', `shards ${missing.join(', ')} of ${n} are missing: merge needs every shard's --out folder`);
}

export async function evalMerge(argv: string[]): Promise<void> {
  const args = parseArgs(argv, { out: { value: true }, json: {}, markdown: {}, quiet: {}, partial: {} });
  if (args.positionals.length === 0) throw new CliError('merge needs the --out folders of the shards: vitlens eval merge DIR... --out DIR');
  const out = stringOption(args, 'out');
  if (out === undefined) throw new CliError('merge needs --out DIR for the merged report');
  const json = args.flags.has('json');
  const markdown = args.flags.has('markdown');
  if (json && markdown) throw new CliError('--json and --markdown exclude each other');
  const dirs = args.positionals.map((d) => resolve(d));
  if (args.flags.has('partial')) return partialReport(dirs, resolve(out), { json, markdown, quiet: args.flags.has('quiet'), argv });
  const runs = dirs.map(readRunState);
  checkShards(runs, dirs);
  const ev = Evaluation.fromStates(runs.map((r) => r.state));
  const { shard: _, ...rest } = runs[0].manifest;
  mkdirSync(resolve(out), { recursive: true });
  writeRunState(resolve(out), { manifest: { ...rest, shard: null }, state: ev.state(), source: runs[0].source });
  const report = await ev.finish();
  writeReport(resolve(out), report, { command: `vitlens eval merge ${argv.join(' ')}`.trim(), source: runs[0].source, json, markdown, quiet: args.flags.has('quiet'), shard: null });
}

/**
 * `merge --partial`: the report of the batches an unfinished run (or several shards, finished
 * or not) recorded so far, read without touching their progress. In the run's image order the
 * batches recorded are a prefix, so a partial report of a --spread run is the report of a
 * --limit run of that many images (except where the bounded experiments' limits reach past it).
 */
function partialReport(dirs: readonly string[], out: string, o: { json: boolean; markdown: boolean; quiet: boolean; argv: string[] }): Promise<void> {
  const runs = dirs.map((d) => EvalProgress.read(d));
  runs.forEach((r, i) => {
    const diff = manifestDifference(runs[0].manifest, r.manifest, ['shard']);
    if (diff) throw new ProgressError('shard-mismatch', `${dirs[i]} is not part of the same run as ${dirs[0]} (${diff})`);
  });
  const m = runs[0].manifest;
  const empty: EvaluationState = {
    format: 'vitlens-eval-state/1', settings: m.settings, config: m.model.config, device: 'a device not recorded in the progress file',
    images: 0, correct: 0, labelled: 0, grid: [0, 0], timings: {}, stages: {}, seconds: 0, experiments: {},
  };
  const ev = Evaluation.fromStates([empty]);
  for (const r of runs) for (const rec of r.records) ev.replay(rec);
  return ev.finish().then((report) => {
    const source = { path: m.source.name, kind: m.source.kind, available: m.source.available };
    writeReport(out, report, { command: `vitlens eval merge ${o.argv.join(' ')}`.trim(), source, json: o.json, markdown: o.markdown, quiet: o.quiet, shard: null });
  });
}
