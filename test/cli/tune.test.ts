/**
 * `vitlens tune --quick` end to end on the bundled model: it measures, verifies and saves a
 * table that the next run on this adapter picks up; a corrupt cache file never stops a run.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTileTable } from '../../src/gpu/tile-table.js';
import { runCli, type CliResult } from '../helpers/cli.js';

describe('vitlens tune', () => {
  const cache = mkdtempSync(join(tmpdir(), 'vitlens-tune-'));
  const env = { VITLENS_CACHE_DIR: cache };
  let r: CliResult;
  let out: { path: string; table: unknown; classes: { class: string; candidates: { ms: number | null; maxRelDiff: number }[] }[] };

  beforeAll(async () => {
    r = await runCli(['tune', '--quick', '--json'], { env });
    out = JSON.parse(r.stdout);
  }, 600_000);

  it('measures every shape class of the model with verified candidates and saves the table in the cache folder', () => {
    expect(r.code, r.stderr).toBe(0);
    expect(out.classes.length).toBeGreaterThan(0);
    for (const c of out.classes) {
      expect(c.candidates).toHaveLength(2); // --quick: the default and one other tile
      for (const cand of c.candidates) {
        expect(cand.maxRelDiff, c.class).toBeLessThanOrEqual(1e-5);
        expect(cand.ms, c.class).toBeGreaterThan(0);
      }
    }
    expect(out.path.startsWith(cache)).toBe(true);
    expect(readdirSync(cache)).toEqual([out.path.split('/').pop()]);
    expect(parseTileTable(readFileSync(out.path, 'utf8'))).toEqual(out.table);
  });

  it('a later run starts with a corrupt cache file: one warning, the default tiles, exit 0', async () => {
    writeFileSync(out.path, '{ not json');
    const p = await runCli(['predict', 'assets/images/1-trouser.png', '--top', '1'], { env });
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toContain('Trouser');
    expect(p.stderr).toMatch(/ignoring the cached tile table .*not valid JSON.*vitlens tune/);
  });

  it('bad options are usage errors (exit 2) before any GPU work', async () => {
    const b = await runCli(['tune', '--batch', '0'], { env });
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--batch "0"/);
    expect(readdirSync(cache)).toHaveLength(1); // nothing new written
  });
});
