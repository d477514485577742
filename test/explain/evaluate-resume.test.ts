/**
 * Runs that lose nothing and shards that add up, through the CLI in separate processes, on a
 * small data file made from the bundled images (with labels and a `masks` tensor, so the
 * localisation metric runs too):
 *  - a run killed with SIGKILL after its first batch, its progress file then cut in the middle of
 *    a line (a write cut short), resumes to exactly the evaluation.json of an uninterrupted run;
 *  - a corrupted or foreign progress file is refused with one line, never mixed in;
 *  - three shards run as three processes and merged give exactly the uninterrupted run's report,
 *    and merge refuses missing, duplicated or foreign shards.
 * Timings (seconds, stageSeconds, msPerImage) and the command line are the only fields allowed
 * to differ.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readImageFileSync } from '../../src/io/decode-node.js';
import { serializeSafetensors } from '../../src/io/safetensors.js';
import { repoRoot, runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'vitlens-resume-'));
const data = join(dir, 'set.safetensors');
const N = 6;
{
  const names = ['0-t-shirt-top', '1-trouser', '2-pullover', '3-dress', '5-sandal', '8-bag'];
  const images = new Uint8Array(N * 28 * 28);
  const masks = new Uint8Array(N * 28 * 28);
  names.forEach((n, i) => {
    const img = readImageFileSync(join(repoRoot, 'assets/images', `${n}.png`));
    for (let p = 0; p < 28 * 28; p++) {
      images[i * 784 + p] = img.data[p * img.channels];
      masks[i * 784 + p] = images[i * 784 + p] > 0 ? Number(n[0]) + 1 : 0;
    }
  });
  writeFileSync(data, serializeSafetensors({
    images: { dtype: 'U8', shape: [N, 28, 28], data: images },
    labels: { dtype: 'I64', shape: [N], data: BigInt64Array.from(names, (n) => BigInt(n[0])) },
    masks: { dtype: 'U8', shape: [N, 28, 28], data: masks },
  }));
}

const SETTINGS = ['--images', data, '--methods', 'attention,random', '--metrics', 'agreement,deletion,localisation', '--references', 'tam', '--deletion-steps', '2', '--deletion-images', '4', '--batch', '2', '--quiet', '--json'];

/** evaluation.json without the fields that may differ between runs (timings, the command line). */
function numbers(out: string) {
  const r = JSON.parse(readFileSync(join(out, 'evaluation.json'), 'utf8'));
  for (const k of ['command', 'seconds', 'stageSeconds', 'msPerImage', 'shard']) delete r[k];
  return r;
}

/** Starts a run and kills it (SIGKILL) as soon as its progress holds `batches` batches. */
function runAndKill(args: string[], progress: string, batches: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), ...args], { cwd: repoRoot, stdio: 'ignore' });
    const timer = setInterval(() => {
      const lines = existsSync(progress) ? readFileSync(progress, 'utf8').split('\n').length - 1 : 0;
      if (lines >= 1 + batches) child.kill('SIGKILL');
    }, 10);
    child.on('error', reject);
    child.on('close', () => {
      clearInterval(timer);
      resolve();
    });
  });
}

describe('vitlens eval: resumable runs and shards', () => {
  const single = join(dir, 'single');
  const singleRun = runCli(['eval', ...SETTINGS, '--out', single]);

  it('resumes a killed run (and a line cut short) to the uninterrupted result', async () => {
    const out = join(dir, 'killed');
    const progress = join(out, 'progress.jsonl');
    await runAndKill(['eval', ...SETTINGS, '--out', out], progress, 1);
    const kept = readFileSync(progress, 'utf8').split('\n').length - 1;
    expect(kept).toBeGreaterThanOrEqual(2);
    expect(kept).toBeLessThan(1 + N / 2);
    expect(existsSync(join(out, 'evaluation.json'))).toBe(false);
    // A write cut short: half a record and no newline.
    appendFileSync(progress, '0123456789abcdef {"record":{"ids":[4,');
    const again = await runCli(['eval', ...SETTINGS, '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/holds an unfinished run: pass --resume/);
    const resumed = await runCli(['eval', ...SETTINGS, '--out', out, '--resume']);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const s = await singleRun;
    expect(s.code).toBe(0);
    expect(numbers(out)).toEqual(numbers(single));
    const r = numbers(single);
    expect(r.images).toBe(N);
    expect(r.localisation.methods.attention.energy.count).toBeGreaterThan(0);
    expect(r.deletion.methods.random.images).toBe(4);
    const html = readFileSync(join(single, 'evaluation.html'), 'utf8');
    expect(html).toContain('<h2>Localisation against ground-truth masks</h2>');
    expect(html).toContain('Energy pointing game, per image');
  }, 400_000);

  it('refuses corrupted and foreign progress with one line', async () => {
    const out = join(dir, 'corrupt');
    await singleRun;
    cpSync(single, out, { recursive: true });
    const progress = join(out, 'progress.jsonl');
    const lines = readFileSync(progress, 'utf8').split('\n');
    lines[2] = lines[2].replace('"ids":[', '"ids":[9,');
    writeFileSync(progress, lines.join('\n'));
    const corrupt = await runCli(['eval', ...SETTINGS, '--out', out, '--resume']);
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr).toMatch(/^vitlens eval: .*progress\.jsonl: line 3 does not match its checksum/);
    const foreign = await runCli(['eval', ...SETTINGS, '--seed', '1', '--out', single, '--resume']);
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toMatch(/belongs to another run \(settings\.seed: 0 vs 1\)/);
  }, 400_000);

  it('merges three shards run as separate processes into the single run\'s report', async () => {
    const shards = [0, 1, 2].map((k) => join(dir, `shard${k}`));
    const runs = await Promise.all(shards.map((out, k) => runCli(['eval', ...SETTINGS, '--shard', `${k}/3`, '--out', out])));
    for (const r of runs) expect(r.code).toBe(0);
    const sizes = shards.map((s) => numbers(s).images);
    expect(sizes).toEqual([2, 2, 2]);
    const merged = join(dir, 'merged');
    const m = await runCli(['eval', 'merge', shards[2], shards[0], shards[1], '--out', merged, '--quiet', '--json']);
    expect(m.stderr).toBe('');
    expect(m.code).toBe(0);
    await singleRun;
    expect(numbers(merged)).toEqual(numbers(single));
    const missing = await runCli(['eval', 'merge', shards[0], shards[1], '--out', join(dir, 'm2')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/shards 2 of 3 are missing/);
    const twice = await runCli(['eval', 'merge', shards[0], shards[0], shards[1], '--out', join(dir, 'm3')]);
    expect(twice.stderr).toMatch(/shard 0 given twice/);
    const foreign = await runCli(['eval', 'merge', shards[0], single, '--out', join(dir, 'm4')]);
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toMatch(/single is shard 0 of 1, .*shard0 one of 3/);
  }, 400_000);
});
