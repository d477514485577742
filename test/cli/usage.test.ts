/**
 * The command line as a user meets it: usage errors exit 2, bad input exits 1, each with one
 * line on stderr (no Dawn warnings around it), with "did you mean" for typos; stray arguments do
 * not run anything; --class takes label names; --method and --methods are the same option.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';

const image = 'assets/images/8-bag.png';
const tmp = mkdtempSync(join(tmpdir(), 'vitlens-usage-'));

/** Exit code `code` and exactly one stderr line matching `pattern`. */
function oneLine(r: CliResult, code: number, pattern: RegExp): void {
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(r.code, r.stderr).toBe(code);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(lines[0].length).toBeLessThan(300);
}

// Each case spawns the CLI (node + tsx start-up dominates): few cases, run side by side; the
// parsing itself is covered case by case in args.test.ts.
describe.concurrent('usage errors: exit 2, one line, a suggestion', () => {
  it('unknown command', { timeout: 60_000 }, async () => {
    oneLine(await runCli(['explian']), 2, /^vitlens: unknown command "explian" \(did you mean "explain"\?\)$/);
    oneLine(await runCli(['frobnicate']), 2, /^vitlens: unknown command "frobnicate" \(commands: explain, predict, bench, convert, inspect, tune, eval; see vitlens --help\)$/);
  });

  it('unknown option, with the closest one', { timeout: 60_000 }, async () => {
    oneLine(await runCli(['explain', '--colourmap', 'viridis']), 2, /^vitlens explain: unknown option --colourmap \(did you mean --colormap\?\)$/);
  });

  it('unknown method or metric, with the closest name', { timeout: 60_000 }, async () => {
    oneLine(await runCli(['explain', image, '--methods', 'gradcm', '--out', tmp]), 2, /^vitlens explain: unknown method "gradcm" \(did you mean "gradcam"\?\)$/);
    oneLine(await runCli(['eval', '--method', 'cdma']), 2, /^vitlens eval: unknown method "cdma" \(did you mean "cdam"\?\)$/);
  });

  it('a stray argument runs nothing', { timeout: 60_000 }, async () => {
    const r = await runCli(['bench', 'extra-arg']);
    oneLine(r, 2, /^vitlens bench: unexpected argument "extra-arg": this command takes no arguments/);
    expect(r.stdout).toBe('');
  });

  it('bad --class values, before and after the model is known', { timeout: 90_000 }, async () => {
    oneLine(await runCli(['explain', image, '--class', 'top0', '--out', tmp]), 2, /^vitlens explain: --class top0: topK needs K >= 1/);
    oneLine(await runCli(['explain', image, '--class', 'Bga', '--method', 'cdam', '--out', tmp]), 2, /^vitlens explain: --class "Bga": no class of this model has that name \(did you mean "Bag"\?\)$/);
  });
});

describe('bad input: exit 1, one line', () => {
  it('--model naming a file says which folder to pass', { timeout: 60_000 }, async () => {
    oneLine(await runCli(['predict', image, '--model', 'assets/fmnist-vit/config.json']), 1, /^vitlens predict: --model assets\/fmnist-vit\/config\.json is a file: pass the folder that holds config\.json and model\.safetensors \(--model assets\/fmnist-vit\)$/);
  });
});

describe('what works', () => {
  it('--class by label name, --methods as --method, the old name blank-out for occlusion', async () => {
    const out = join(tmp, 'ok');
    const r = await runCli(['explain', image, '--class', 'bag,ankle-boot', '--methods', 'cdam', '--method', 'blank-out', '--size', '28', '--no-attention', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/Warning/);
    const names = JSON.parse(r.stdout).images[0].files.map((f: string) => f.split('/').pop()).sort();
    expect(names).toEqual(['cdam-class8.png', 'cdam-class9.png', 'input.png', 'occlusion-class8.png', 'occlusion-class9.png']);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).images[0].image).toBe(image);
  }, 120_000);
});
