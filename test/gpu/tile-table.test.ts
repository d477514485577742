/** The matmul tile table: size classes, lookup, the cache key, and parsing of files that cannot be trusted. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TileTableError } from '../../src/errors.js';
import {
  adapterKey, lookupTile, parseTileTable, serializeTileTable, sizeClass, TILE_TABLE_FORMAT, tableMismatch, tileTableKey, type TileTable,
} from '../../src/gpu/tile-table.js';
import { VERSION } from '../../src/version.js';
import { repoRoot } from '../helpers/cli.js';
import { thrown } from '../helpers/thrown.js';

const lavapipe = adapterKey({ vendor: 'mesa', architecture: 'software', device: 'llvmpipe', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' });

function table(overrides: Partial<TileTable> = {}): TileTable {
  return {
    format: TILE_TABLE_FORMAT,
    adapter: lavapipe,
    version: VERSION,
    lanes: 8,
    entries: [
      { layout: 'nk4', m: 'l', n: 'm', k: 's', tile: [16, 4] },
      { layout: 'kn4', m: 's', n: 's', k: 'xs', tile: [16, 2] },
    ],
    ...overrides,
  };
}

describe('tile table', () => {
  it('buckets each dimension at 64 / 256 / 1024', () => {
    expect([1, 64, 65, 256, 257, 1024, 1025, 50000].map(sizeClass)).toEqual(['xs', 'xs', 's', 's', 'm', 'm', 'l', 'l']);
  });

  it('looks a matmul up by layout and the classes of M, N and K; anything else gets the default (null)', () => {
    const t = table();
    expect(lookupTile(t, 'nk4', 1576, 768, 192)).toEqual([16, 4]); // deit fc1 at batch 8
    expect(lookupTile(t, 'nk4', 1576, 576, 192)).toEqual([16, 4]); // same class
    expect(lookupTile(t, 'kn4', 197, 197, 64)).toEqual([16, 2]); // attention scores
    expect(lookupTile(t, 'nk4', 197, 768, 192)).toBeNull(); // M class s
    expect(lookupTile(t, 'strided', 1576, 768, 192)).toBeNull(); // other layout
  });

  it('keys tables by every adapter field and the version', () => {
    const base = tileTableKey(lavapipe, '0.1.0');
    expect(tileTableKey({ ...lavapipe }, '0.1.0')).toBe(base);
    for (const f of ['vendor', 'architecture', 'device', 'description'] as const) expect(tileTableKey({ ...lavapipe, [f]: 'x' }, '0.1.0')).not.toBe(base);
    expect(tileTableKey(lavapipe, '0.1.1')).not.toBe(base);
    expect(tableMismatch(table(), { adapter: lavapipe, version: VERSION, lanes: 8 })).toBeNull();
    expect(tableMismatch(table(), { adapter: { ...lavapipe, description: 'llvmpipe (LLVM 19)' }, version: VERSION, lanes: 8 })).toMatch(/measured on .*LLVM 15/);
    expect(tableMismatch(table({ version: '0.0.9' }), { adapter: lavapipe, version: VERSION, lanes: 8 })).toMatch(/vitlens 0\.0\.9/);
    expect(tableMismatch(table(), { adapter: lavapipe, version: VERSION, lanes: 16 })).toMatch(/8 lanes/);
  });

  it('is keyed by the version package.json declares', () => {
    expect(VERSION).toBe(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version);
  });

  it('round-trips through its JSON form', () => {
    expect(parseTileTable(serializeTileTable(table()))).toEqual(table());
  });

  it('refuses malformed files with a TileTableError saying what is wrong', () => {
    const bad = (text: string) => thrown(() => parseTileTable(text, 'tiles.json'), TileTableError).message;
    const json = (t: unknown) => JSON.stringify(t);
    expect(bad('{"format": "vitlens-tiles/1", ')).toMatch(/^tiles\.json is not valid JSON/);
    expect(bad('[]')).toMatch(/expected a JSON object/);
    expect(bad(json({ ...table(), format: 'other/2' }))).toMatch(/format is "other\/2"/);
    expect(bad(json({ ...table(), adapter: { vendor: 1 } }))).toMatch(/adapter must be/);
    expect(bad(json({ ...table(), lanes: 0 }))).toMatch(/lanes 0/);
    expect(bad(json({ ...table(), entries: {} }))).toMatch(/entries must be an array/);
    expect(bad(json({ ...table(), entries: [{ layout: 'nk4', m: 'huge', n: 's', k: 's', tile: [16, 2] }] }))).toMatch(/entry 0 needs/);
    expect(bad(json({ ...table(), entries: [{ layout: 'nk4', m: 's', n: 's', k: 's', tile: [12, 2] }] }))).toMatch(/TM 12 must be a multiple of 8/);
    expect(bad(json({ ...table(), entries: [{ layout: 'nk4', m: 's', n: 's', k: 's', tile: [1024, 2] }] }))).toMatch(/TM 1024/);
    expect(bad(json({ ...table(), entries: [{ layout: 'nk4', m: 's', n: 's', k: 's', tile: [16, 9] }] }))).toMatch(/TN 9 must be 1\.\.8/);
    expect(bad(json({ ...table(), entries: [{ layout: 'nk4', m: 's', n: 's', k: 's', tile: [16] }] }))).toMatch(/tile must be \[TM, TN\]/);
    const twice = { layout: 'nk4', m: 's', n: 's', k: 's', tile: [16, 2] };
    expect(bad(json({ ...table(), entries: [twice, twice] }))).toMatch(/entry 1 repeats the class nk4 m:s n:s k:s/);
  });
});
