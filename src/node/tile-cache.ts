/**
 * Where `vitlens tune` keeps its tile tables in Node, and how a context finds the one for its
 * adapter: one JSON file per adapter and library version in the cache folder
 * ($VITLENS_CACHE_DIR, else $XDG_CACHE_HOME/vitlens, else ~/.cache/vitlens), named by a hash of
 * the key and holding the key itself, which is checked on load. A file that cannot be used
 * (corrupt, hand-edited, copied from another machine) is skipped with a warning: the defaults
 * are always a correct fallback, so a cache never stops a run.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { VitlensError } from '../errors.js';
import { parseTileTable, serializeTileTable, tableMismatch, tileTableKey, type AdapterKey, type TileTable } from '../gpu/tile-table.js';
import { VERSION } from '../version.js';
import { asFileError } from './files.js';

/** Larger than any table parseTileTable accepts (256 entries): a bigger file is not ours. */
const MAX_FILE_BYTES = 256 * 1024;

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VITLENS_CACHE_DIR) return env.VITLENS_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'vitlens');
  return join(homedir(), '.cache', 'vitlens');
}

/** The cache file of an adapter's table for a library version. */
export function tileTablePath(adapter: AdapterKey, version = VERSION, dir = cacheDir()): string {
  const hash = createHash('sha256').update(tileTableKey(adapter, version)).digest('hex').slice(0, 16);
  return join(dir, `tiles-${hash}.json`);
}

export interface CachedTable {
  table: TileTable | null;
  path: string;
  /** Why a file that exists was not used. */
  skipped?: string;
}

/** The cached table for this adapter, version and subgroup size, if one is there and usable. */
export function readCachedTileTable(adapter: AdapterKey, lanes: number, dir = cacheDir()): CachedTable {
  const path = tileTablePath(adapter, VERSION, dir);
  if (!existsSync(path)) return { table: null, path };
  try {
    const size = statSync(path).size;
    if (size > MAX_FILE_BYTES) return { table: null, path, skipped: `${path} is ${size} bytes, too large to be a tile table` };
    const table = parseTileTable(readFileSync(path, 'utf8'), path);
    const why = tableMismatch(table, { adapter, version: VERSION, lanes });
    if (why) return { table: null, path, skipped: `${path} is not this device's: ${why}` };
    return { table, path };
  } catch (e) {
    const err = e instanceof VitlensError ? e : asFileError(e, path);
    if (!err) throw e;
    return { table: null, path, skipped: err.message };
  }
}

/** Writes the table to its cache file (atomically: a crash leaves the old file or none). */
export function writeCachedTileTable(table: TileTable, dir = cacheDir()): string {
  const path = tileTablePath(table.adapter, table.version, dir);
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, serializeTileTable(table));
    renameSync(tmp, path);
  } catch (e) {
    throw asFileError(e, path) ?? e;
  }
  return path;
}
