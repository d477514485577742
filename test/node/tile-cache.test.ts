/**
 * Node's tile-table cache: where it lives, that a written table is read back for the same
 * adapter and version only, and that unusable files (corrupt, foreign, oversized) are skipped
 * with a reason, and a context still starts (with a process warning) when the cache holds one.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { adapterKey, TILE_TABLE_FORMAT, serializeTileTable, type TileTable } from '../../src/gpu/tile-table.js';
import { createNodeContext } from '../../src/node/device.js';
import { cacheDir, readCachedTileTable, tileTablePath, writeCachedTileTable } from '../../src/node/tile-cache.js';
import { VERSION } from '../../src/version.js';

const adapter = adapterKey({ vendor: 'mesa', architecture: 'software', device: 'llvmpipe', description: 'llvmpipe (test)' });
const table = (over: Partial<TileTable> = {}): TileTable => ({
  format: TILE_TABLE_FORMAT, adapter, version: VERSION, lanes: 8, entries: [{ layout: 'nk4', m: 'l', n: 'm', k: 's', tile: [16, 4] }], ...over,
});
const tmp = () => mkdtempSync(join(tmpdir(), 'vitlens-tiles-'));

describe('tile cache', () => {
  const saved = process.env.VITLENS_CACHE_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.VITLENS_CACHE_DIR;
    else process.env.VITLENS_CACHE_DIR = saved;
  });

  it('lives in $VITLENS_CACHE_DIR, else $XDG_CACHE_HOME/vitlens, else ~/.cache/vitlens', () => {
    expect(cacheDir({ VITLENS_CACHE_DIR: '/a', XDG_CACHE_HOME: '/b' })).toBe('/a');
    expect(cacheDir({ XDG_CACHE_HOME: '/b' })).toBe(join('/b', 'vitlens'));
    expect(cacheDir({})).toMatch(/\.cache\/vitlens$/);
  });

  it('names one file per adapter and version', () => {
    const p = tileTablePath(adapter, '0.1.0', '/c');
    expect(p).toMatch(/^\/c\/tiles-[0-9a-f]{16}\.json$/);
    expect(tileTablePath({ ...adapter }, '0.1.0', '/c')).toBe(p);
    expect(tileTablePath({ ...adapter, description: 'other' }, '0.1.0', '/c')).not.toBe(p);
    expect(tileTablePath(adapter, '0.2.0', '/c')).not.toBe(p);
  });

  it('reads back what it wrote, for this adapter and subgroup size only', () => {
    const dir = tmp();
    const path = writeCachedTileTable(table(), dir);
    expect(path).toBe(tileTablePath(adapter, VERSION, dir));
    expect(readCachedTileTable(adapter, 8, dir)).toEqual({ table: table(), path });
    expect(readCachedTileTable({ ...adapter, device: 'other' }, 8, dir).table).toBeNull(); // no file for it
    const lanes = readCachedTileTable(adapter, 16, dir);
    expect(lanes.table).toBeNull();
    expect(lanes.skipped).toMatch(/8 lanes/);
  });

  it('skips a corrupt, foreign or oversized file with the reason, never throws', () => {
    const dir = tmp();
    const path = tileTablePath(adapter, VERSION, dir);
    writeFileSync(path, '{"format": "vitlens-tiles/1", "adap');
    expect(readCachedTileTable(adapter, 8, dir)).toEqual({ table: null, path, skipped: expect.stringMatching(/is not valid JSON/) });
    // A table of another machine copied under this machine's name.
    writeFileSync(path, serializeTileTable(table({ adapter: { ...adapter, description: 'NVIDIA H100' } })));
    expect(readCachedTileTable(adapter, 8, dir).skipped).toMatch(/not this device's: it was measured on .*NVIDIA H100/);
    writeFileSync(path, ' '.repeat(300 * 1024));
    expect(readCachedTileTable(adapter, 8, dir).skipped).toMatch(/too large/);
    mkdirSync(join(dir, 'sub'));
    const folder = tileTablePath(adapter, VERSION, join(dir, 'sub'));
    mkdirSync(folder);
    expect(readCachedTileTable(adapter, 8, join(dir, 'sub')).skipped).toMatch(/is a folder|EISDIR/);
  });

  it('a context starts on the default tiles, with a process warning, when its cache file is corrupt', async () => {
    const probe = await createNodeContext({ tiles: 'default' });
    const key = probe.adapter;
    const lanes = probe.lanes;
    probe.dispose();
    const dir = tmp();
    process.env.VITLENS_CACHE_DIR = dir;
    writeFileSync(tileTablePath(key, VERSION, dir), 'not json');
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const ctx = await createNodeContext();
      expect(ctx.tileTable).toBeNull();
      ctx.dispose();
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
      expect(warnings.join('\n')).toMatch(/ignoring the cached tile table .*not valid JSON.*vitlens tune/);
      // A good table for this device is picked up.
      writeCachedTileTable(table({ adapter: key, lanes }), dir);
      const tuned = await createNodeContext();
      expect(tuned.tileTable?.entries).toEqual(table().entries);
      tuned.dispose();
      const plain = await createNodeContext({ tiles: 'default' });
      expect(plain.tileTable).toBeNull();
      plain.dispose();
    } finally {
      process.off('warning', onWarning);
    }
  });
});
