/**
 * `vitlens convert` and `vitlens inspect` as a user runs them: output, files written, and exit
 * codes (0 done, 1 the work failed with one line saying why, 2 bad usage).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../helpers/checkpoints.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(join(tmpdir(), 'vitlens-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function vitlens(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A failure: the exit code, and exactly one line on stderr. */
function expectFailure(r: ReturnType<typeof vitlens>, code: number, message: RegExp) {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(message);
}

describe('vitlens convert', () => {
  const out = join(work, 'timm_tiny');

  it('writes a hub folder and says what it did', () => {
    const r = vitlens('convert', fixturePath('timm_tiny.pth'), out, '--num-heads', '2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/converted .*timm_tiny\.pth -> /);
    expect(r.stdout).toMatch(/vit_patch4_8_embed8_depth2: embed 8, depth 2, heads 2, patch 4, 8 px, 5 classes, 32 tensors/);
    expect(r.stdout).toMatch(/state dict: "model"/);
    expect(existsSync(join(out, 'model.safetensors'))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).model_args.num_heads).toBe(2);
  });

  it('does not overwrite without --force; --json gives the summary', () => {
    expectFailure(vitlens('convert', fixturePath('timm_tiny.pth'), out, '--num-heads', '2'), 1, /already holds a config\.json .*--force/);
    const r = vitlens('convert', fixturePath('dino_tiny.pth'), out, '--num-heads=2', '--key', 'student', '--force', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ key: 'student', num_classes: 0, model_args: { depth: 1 } });
    expect(j.notes.join('\n')).toMatch(/removed the "module\." prefix/);
  });

  it('fails with one line and exit code 1 on bad checkpoints', () => {
    expectFailure(vitlens('convert', fixturePath('evil_os_system.pth'), join(work, 'x')), 1, /refuses global "os\.system"/);
    expectFailure(vitlens('convert', fixturePath('timm_tiny.pth'), join(work, 'x')), 1, /pass --num-heads N or --arch NAME/);
    expectFailure(vitlens('convert', join(work, 'nothing.pth'), join(work, 'x')), 1, /nothing\.pth: no such file/);
    expect(existsSync(join(work, 'x'))).toBe(false);
  });

  it('exit code 2 for bad usage', () => {
    expectFailure(vitlens('convert', fixturePath('timm_tiny.pth')), 2, /expected CHECKPOINT and OUT_DIR/);
    expectFailure(vitlens('convert', 'a', 'b', '--heads', '2'), 2, /unknown option --heads/);
    expectFailure(vitlens('convert', 'a', 'b', '--num-heads', 'two'), 2, /--num-heads must be an integer/);
  });

  it('--help explains the command', () => {
    const r = vitlens('convert', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/vitlens convert CHECKPOINT OUT_DIR/);
    expect(r.stdout).toMatch(/--key KEY/);
  });
});

describe('vitlens inspect', () => {
  it('lists a checkpoint: top level, state dict, tensors with strided views, inferred architecture', () => {
    const r = vitlens('inspect', fixturePath('timm_tiny.pth'), '--num-heads', '2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/PyTorch checkpoint \(torch\.save zip, record "timm_tiny", little-endian\)/);
    expect(r.stdout).toMatch(/model: dict of 33 \(33 tensors\)\n {2}epoch: 7/);
    expect(r.stdout).toMatch(/as timm: vit_patch4_8_embed8_depth2/);
    expect(r.stdout).toMatch(/blocks\.0\.attn\.qkv\.weight +F32 +\[24, 8\] +\(strided view\)/);
    expect(r.stdout).toMatch(/blocks\.1\.mlp\.fc1\.weight +F16 +\[16, 8\]/);
  });

  it('--json for a DINO checkpoint, without a head count: the tensors and why no architecture', () => {
    const r = vitlens('inspect', fixturePath('dino_tiny.pth'), '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.key).toBe('teacher');
    expect(j.state_dicts).toEqual([{ key: 'student', tensors: 28 }, { key: 'teacher', tensors: 28 }, { key: 'dino_loss', tensors: 1 }]);
    expect(j.top_level.find((t: { key: string }) => t.key === 'args').value).toMatch(/^argparse\.Namespace\(arch="vit_tiny"/);
    expect(j.tensors[0]).toEqual({ name: 'backbone.cls_token', dtype: 'F32', shape: [1, 1, 8] });
    expect(j.inferred.error).toMatch(/--num-heads/);
  });

  it('a hub folder: whether the weights fit config.json (exit code 1 if not)', () => {
    const good = join(work, 'hub');
    expect(vitlens('convert', fixturePath('dinov2_tiny.pth'), good, '--num-heads', '2').code).toBe(0);
    const r = vitlens('inspect', good);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/weights: fit config\.json/);
    expect(r.stdout).toMatch(/reg_token +F32 +\[1, 2, 8\]/);
    const bad = join(work, 'hub-bad');
    cpSync(good, bad, { recursive: true });
    const cfg = JSON.parse(readFileSync(join(bad, 'config.json'), 'utf8'));
    cfg.model_args.depth = 3;
    writeFileSync(join(bad, 'config.json'), JSON.stringify(cfg));
    const b = vitlens('inspect', bad, '--json');
    expect(JSON.parse(b.stdout)).toMatchObject({ weights_match_config: false, mismatch: { missing: expect.arrayContaining(['blocks.2.norm1.weight']) } });
    expectFailure(b, 1, /model\.safetensors does not fit .*config\.json \(14 missing, 0 unexpected, 0 mis-shaped\)/);
  });

  it('a safetensors file', () => {
    const r = vitlens('inspect', fixturePath('timm_tiny.expected.safetensors'), '--num-heads', '2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/safetensors, 32 tensors/);
    expect(r.stdout).toMatch(/as timm: vit_patch4_8_embed8_depth2/);
  });

  it('errors: one line, exit code 1 for bad files and 2 for bad usage', () => {
    expectFailure(vitlens('inspect', fixturePath('evil_eval.pth')), 1, /refuses global "builtins\.eval"/);
    expectFailure(vitlens('inspect', fixturePath('legacy.pth')), 1, /legacy \(pre-1\.6\) pickle format/);
    expectFailure(vitlens('inspect', fixturePath('missing_storage.pth')), 1, /has no entry timm_tiny\/data\/0/);
    expectFailure(vitlens('inspect', 'a', 'b'), 2, /unexpected argument "b": this command takes 1 argument \(FILE or DIR\)/);
    expectFailure(vitlens('inspect'), 2, /expected one FILE or DIR/);
  });
});
