/**
 * The CLI's contract for failures (issue 9): exit 1 for bad input, 2 for bad usage, and exactly
 * one line on stderr naming what was wrong, for each reproduced example. The files are made here.
 * The runs are started together: most fail before the GPU is opened, the rest need the device.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { craftPng } from '../../scripts/fuzz/png-craft.js';
import { repoRoot, runCli, type CliResult } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'vitlens-cli-errors-'));
const bundled = join(repoRoot, 'assets/fmnist-vit');
const image = join(repoRoot, 'assets/images/1-trouser.png');

/** A hub folder with the bundled weights and config.json changed by `edit`. */
function modelDir(name: string, edit: (cfg: Record<string, any>) => void): string {
  const dir = join(work, name);
  mkdirSync(dir);
  const cfg = JSON.parse(readFileSync(join(bundled, 'config.json'), 'utf8'));
  edit(cfg);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
  copyFileSync(join(bundled, 'model.safetensors'), join(dir, 'model.safetensors'));
  return dir;
}

/** A 60-byte PNG declaring 30000 x 30000 pixels. */
function bigPng(): string {
  const bytes = craftPng({ width: 30000, height: 30000, idat: new Uint8Array(deflateSync(new Uint8Array(8))) });
  const path = join(work, 'big.png');
  writeFileSync(path, bytes);
  return path;
}

const cases: { name: string; args: () => string[]; env?: Record<string, string>; code: 1 | 2; line: RegExp }[] = [
  {
    name: 'a folder named model.safetensors (EISDIR)',
    args: () => {
      const dir = join(work, 'dirweights');
      mkdirSync(join(dir, 'model.safetensors'), { recursive: true });
      copyFileSync(join(bundled, 'config.json'), join(dir, 'config.json'));
      return ['predict', image, '--model', dir];
    },
    code: 1,
    line: /model\.safetensors is a folder/,
  },
  {
    name: '--out naming an existing file (EEXIST)',
    args: () => {
      const f = join(work, 'afile');
      writeFileSync(f, 'x');
      return ['explain', image, '--out', f];
    },
    code: 1,
    line: /--out .*afile: a file of that name exists/,
  },
  { name: '--size 100000', args: () => ['explain', image, '--size', '100000'], code: 2, line: /--size 100000 is larger than 4096/ },
  { name: '--method ,', args: () => ['explain', image, '--method', ','], code: 2, line: /--method needs at least one name/ },
  { name: 'convert --arch resnet50', args: () => ['convert', join(work, 'none.pth'), join(work, 'out'), '--arch', 'resnet50'], code: 2, line: /--arch "resnet50" is not a ViT architecture vitlens knows \(known: deit_\w+, .*\d+ in all/ },
  { name: 'a missing image (ENOENT)', args: () => ['predict', join(work, 'nope.png')], code: 1, line: /nope\.png: no such file/ },
  { name: 'a PNG declaring 30000 x 30000', args: () => ['predict', bigPng()], code: 1, line: /big\.png: PNG declares 30000x30000 = 900000000 pixels, more than the 50000000-pixel limit/ },
  { name: 'config.json with depth 1e8', args: () => ['predict', image, '--model', modelDir('deep', (c) => (c.model_args.depth = 1e8))], code: 1, line: /depth must be between 1 and 256, got 100000000/ },
  { name: 'config.json with crop_pct 1e-9', args: () => ['predict', image, '--model', modelDir('crop', (c) => (c.pretrained_cfg.crop_pct = 1e-9))], code: 1, line: /crop_pct must be a number between 0.1 and 4/ },
  {
    name: 'weights that do not fit config.json: one line with counts',
    args: () => ['predict', image, '--model', modelDir('mismatch', (c) => (c.model_args.depth = 12))],
    code: 1,
    line: /does not fit .*: missing \(96\): blocks\.4\.[^,]+, blocks\.4\.[^,]+, blocks\.4\.[^,]+, blocks\.4\.[^,]+, blocks\.4\.[^,]+ and 91 more\. .*\(--verbose lists them all\)/,
  },
  { name: 'a bad VITLENS_LIMITS', args: () => ['predict', image], env: { VITLENS_LIMITS: 'maxPixels=3' }, code: 1, line: /VITLENS_LIMITS: cannot read "maxPixels=3"/ },
];

describe('CLI failures: one line, exit 1 for bad input, 2 for bad usage', () => {
  const results = new Map<string, CliResult>();
  beforeAll(async () => {
    const runs = cases.map(async (c) => [c.name, await runCli(c.args(), { env: c.env })] as const);
    for (const [name, r] of await Promise.all(runs)) results.set(name, r);
  }, 240_000);

  for (const c of cases) {
    it(c.name, () => {
      const r = results.get(c.name)!;
      const lines = r.stderr.split('\n').filter(Boolean);
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^vitlens \w+: /);
      expect(lines[0]).toMatch(c.line);
      expect(r.code, r.stderr).toBe(c.code);
    });
  }

  it('--verbose lists every missing tensor', async () => {
    const r = await runCli(['predict', image, '--model', join(work, 'mismatch'), '--verbose']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').filter((l) => /blocks\.11\./.test(l)).length).toBeGreaterThan(0);
  }, 120_000);
});
