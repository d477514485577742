/**
 * `vitlens eval` end to end: on the bundled images it writes a JSON report and an HTML page
 * that parse and hold every requested section; bad input (unknown method or metric, a missing
 * --images path) exits non-zero with one clear line on stderr.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '../..');
const tsx = join(root, 'node_modules/.bin/tsx');

function vitlens(args: string[]) {
  const r = spawnSync(tsx, [join(root, 'src/cli/main.ts'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp/xdg' }, timeout: 280_000 });
  // Dawn prints adapter warnings on stderr; they are not vitlens's messages.
  const stderr = r.stderr.split('\n').filter((l) => l.trim() && !/^Warning: /.test(l));
  return { code: r.status, stdout: r.stdout, stderr };
}

describe('vitlens eval', () => {
  it('evaluates bundled images and writes a JSON report and a self-contained HTML page', () => {
    const out = mkdtempSync(join(tmpdir(), 'vitlens-eval-'));
    const r = vitlens([
      'eval', '--images', join(root, 'assets/images'), '--limit', '4', '--batch', '3', '--methods', 'attention,saliency,random', '--metrics', 'all',
      '--deletion-steps', '4', '--fgsm-steps', '4', '--sanity-images', '2', '--out', out, '--markdown', '--quiet',
    ]);
    expect(r.stderr).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('### Agreement with the reference maps');
    expect(r.stdout).toMatch(/\| Saliency +\| +-?\d\.\d\d ± \d\.\d\d \|/);
    const report = JSON.parse(readFileSync(join(out, 'evaluation.json'), 'utf8'));
    expect(report.images).toBe(4);
    expect(report.source.available).toBe(10);
    expect(Object.keys(report.agreement.methods)).toEqual(['attention', 'saliency', 'random']);
    expect(report.agreement.methods.saliency['blank-out'].spearman.count).toBe(4);
    expect(report.deletion.fractions).toHaveLength(5);
    expect(report.fgsm.maxSteps).toBe(4);
    expect(report.sanity.cascading.levels[0]).toBe('original');
    const html = readFileSync(join(out, 'evaluation.html'), 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('</html>');
    expect((html.match(/<svg /g) ?? []).length).toBeGreaterThanOrEqual(8);
    expect((html.match(/<svg /g) ?? []).length).toBe((html.match(/<\/svg>/g) ?? []).length);
    expect(html).not.toMatch(/<script|<link|\bsrc=|@import|url\(/i);
    expect(html).toContain('Mean deletion curve');
    expect(html).toContain('A subset: 4 of the 10 images');
  }, 300_000);

  it('accepts --method for --methods and says up front how long the run will take', () => {
    const out = mkdtempSync(join(tmpdir(), 'vitlens-eval-'));
    const r = vitlens(['eval', '--images', join(root, 'assets/images'), '--limit', '2', '--batch', '1', '--method', 'random', '--metrics', 'agreement', '--references', 'tam', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr[0]).toMatch(/^2 images x 1 methods \(agreement\): about \d+ (s|min|h) on this device \(one image's forward: [\d.]+ ms/);
    expect(JSON.parse(readFileSync(join(out, 'evaluation.json'), 'utf8')).settings.methods).toEqual(['random']);
  });

  it('refuses an unknown method, an unknown metric and a missing --images path with one line', () => {
    const method = vitlens(['eval', '--methods', 'attention,nope']);
    expect(method.code).toBe(2);
    expect(method.stderr).toHaveLength(1);
    expect(method.stderr[0]).toMatch(/^vitlens eval: unknown method "nope" \(\d+ known: attention, .* and \d+ more; see --help\)$/);
    const metric = vitlens(['eval', '--metrics', 'speed']);
    expect(metric.code).toBe(2);
    expect(metric.stderr).toEqual([expect.stringMatching(/^vitlens eval: unknown metric "speed" \(5 known: agreement, deletion, fgsm, sanity, localisation; see --help\)$/)]);
    const images = vitlens(['eval', '--images', join(root, 'no/such/folder')]);
    expect(images.code).toBe(1);
    expect(images.stderr).toEqual([expect.stringMatching(/^vitlens eval: --images \/.*\/no\/such\/folder: no such file or folder$/)]);
  });
});
