/**
 * Matmul tile shapes per adapter: a table from a matmul's shape class (its M, N and K, each
 * bucketed) to the tile the simd kernel family uses for it, measured by `vitlens tune` on one
 * adapter and valid only there and for the library version that measured it (the kernels behind
 * a tile change between versions). Without a table, or for a class the table does not name,
 * every matmul uses its layout's default tile.
 *
 * Pure data and lookup, browser-safe: Node's on-disk cache is src/node/tile-cache.ts; a browser
 * app passes a parsed table to `createContext(device, { tileTable })` or `ctx.setTileTable()`.
 */
import { TileTableError } from '../errors.js';

/** A bucket of one matmul dimension: ≤ 64, ≤ 256, ≤ 1024, larger. */
export type SizeClass = 'xs' | 's' | 'm' | 'l';

const SIZE_CLASSES: readonly { name: SizeClass; max: number }[] = [
  { name: 'xs', max: 64 },
  { name: 's', max: 256 },
  { name: 'm', max: 1024 },
  { name: 'l', max: Infinity },
];

export function sizeClass(x: number): SizeClass {
  return SIZE_CLASSES.find((c) => x <= c.max)!.name;
}

/** Output rows per workgroup (TM) and column groups per lane (TN) of a simd matmul. */
export type Tile = readonly [tm: number, tn: number];

/** What the kernel selection asks for one matmul (all a tile choice may depend on). */
export interface TileQuery {
  /** B's memory layout (`kn4`, `nk4`, `strided`; see kernels/matmul.ts). */
  layout: string;
  /** A's rows are read as vec4. */
  vecA: boolean;
  /** A / B stored column by column (row stride 1): how the sweep reproduces their access pattern. */
  colMajorA: boolean;
  colMajorB: boolean;
  M: number;
  N: number;
  K: number;
  /** Matrices in the batch (nz1 * nz2). */
  batch: number;
}

/** Picks a tile for a matmul, or null for the layout's default. */
export type TileChooser = (q: TileQuery) => Tile | null;

/** The adapter a table was measured on, as `GPUAdapterInfo` reports it. */
export interface AdapterKey {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

export interface TileEntry {
  layout: string;
  m: SizeClass;
  n: SizeClass;
  k: SizeClass;
  tile: Tile;
}

export interface TileTable {
  format: typeof TILE_TABLE_FORMAT;
  adapter: AdapterKey;
  /** vitlens version that measured it. */
  version: string;
  /** Subgroup size the tiles were built for (TM is a multiple of it). */
  lanes: number;
  entries: TileEntry[];
}

export const TILE_TABLE_FORMAT = 'vitlens-tiles/1';

/** Bounds on a tile from a file: the candidates `vitlens tune` tries lie well inside them. */
const MAX_TM = 128;
const MAX_TN = 8;
const MAX_ENTRIES = 256;

export function adapterKey(info: Partial<GPUAdapterInfo> | undefined): AdapterKey {
  return { vendor: info?.vendor ?? '', architecture: info?.architecture ?? '', device: info?.device ?? '', description: info?.description ?? '' };
}

/** One line naming the adapter and version: what a cached table is keyed by. */
export function tileTableKey(adapter: AdapterKey, version: string): string {
  return JSON.stringify([adapter.vendor, adapter.architecture, adapter.device, adapter.description, version]);
}

export function classKey(layout: string, M: number, N: number, K: number): string {
  return `${layout} m:${sizeClass(M)} n:${sizeClass(N)} k:${sizeClass(K)}`;
}

/** The table's tile for a matmul of this layout and shape, or null (use the default). */
export function lookupTile(table: TileTable, layout: string, M: number, N: number, K: number): Tile | null {
  const [m, n, k] = [sizeClass(M), sizeClass(N), sizeClass(K)];
  return table.entries.find((e) => e.layout === layout && e.m === m && e.n === n && e.k === k)?.tile ?? null;
}

export function tileChooser(table: TileTable): TileChooser {
  return (q) => lookupTile(table, q.layout, q.M, q.N, q.K);
}

/** Why a table does not belong to this adapter / version / subgroup size, or null when it does. */
export function tableMismatch(table: TileTable, expected: { adapter: AdapterKey; version: string; lanes: number }): string | null {
  if (tileTableKey(table.adapter, table.version) !== tileTableKey(expected.adapter, expected.version)) {
    return `it was measured on "${describeKey(table.adapter)}" with vitlens ${table.version}, not on "${describeKey(expected.adapter)}" with vitlens ${expected.version}`;
  }
  if (table.lanes !== expected.lanes) return `it was built for subgroups of ${table.lanes} lanes, this device has ${expected.lanes}`;
  return null;
}

function describeKey(a: AdapterKey): string {
  return [a.vendor, a.architecture, a.description || a.device].filter(Boolean).join(' / ') || 'an unnamed adapter';
}

const isString = (x: unknown): x is string => typeof x === 'string' && x.length <= 1000;
const isClass = (x: unknown): x is SizeClass => SIZE_CLASSES.some((c) => c.name === x);

/**
 * A table from JSON text (a cache file, a file a browser app fetched), checked field by field:
 * anything malformed is a TileTableError naming what, never a half-read table. `source` names
 * the input in messages.
 */
export function parseTileTable(text: string, source = 'tile table'): TileTable {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new TileTableError('bad-json', `${source} is not valid JSON (${(e as Error).message})`);
  }
  const bad = (what: string) => new TileTableError('bad-table', `${source}: ${what}`);
  const t = raw as Record<string, unknown> | null;
  if (!t || typeof t !== 'object' || Array.isArray(t)) throw bad('expected a JSON object');
  if (t.format !== TILE_TABLE_FORMAT) throw bad(`format is ${JSON.stringify(t.format)}, expected "${TILE_TABLE_FORMAT}"`);
  const a = t.adapter as Record<string, unknown> | null;
  if (!a || typeof a !== 'object' || !['vendor', 'architecture', 'device', 'description'].every((k) => isString(a[k]))) {
    throw bad('adapter must be an object of strings vendor, architecture, device, description');
  }
  if (!isString(t.version)) throw bad('version must be a string');
  const lanes = t.lanes;
  if (!Number.isInteger(lanes) || (lanes as number) < 1 || (lanes as number) > 128) throw bad(`lanes ${JSON.stringify(lanes)} is not a subgroup size`);
  if (!Array.isArray(t.entries) || t.entries.length > MAX_ENTRIES) throw bad(`entries must be an array of at most ${MAX_ENTRIES}`);
  const seen = new Set<string>();
  const entries = t.entries.map((x: unknown, i: number): TileEntry => {
    const e = x as Record<string, unknown> | null;
    if (!e || typeof e !== 'object' || !isString(e.layout) || !isClass(e.m) || !isClass(e.n) || !isClass(e.k)) {
      throw bad(`entry ${i} needs a layout and size classes m, n, k (one of ${SIZE_CLASSES.map((c) => c.name).join(', ')})`);
    }
    const tile = e.tile;
    if (!Array.isArray(tile) || tile.length !== 2) throw bad(`entry ${i}: tile must be [TM, TN]`);
    const [tm, tn] = tile as unknown[];
    if (!Number.isInteger(tm) || (tm as number) < 1 || (tm as number) > MAX_TM || (tm as number) % (lanes as number) !== 0) {
      throw bad(`entry ${i}: TM ${JSON.stringify(tm)} must be a multiple of ${lanes} up to ${MAX_TM}`);
    }
    if (!Number.isInteger(tn) || (tn as number) < 1 || (tn as number) > MAX_TN) throw bad(`entry ${i}: TN ${JSON.stringify(tn)} must be 1..${MAX_TN}`);
    const key = `${e.layout} m:${e.m} n:${e.n} k:${e.k}`;
    if (seen.has(key)) throw bad(`entry ${i} repeats the class ${key}`);
    seen.add(key);
    return { layout: e.layout, m: e.m, n: e.n, k: e.k, tile: [tm as number, tn as number] };
  });
  return {
    format: TILE_TABLE_FORMAT,
    adapter: adapterKey(a as unknown as AdapterKey),
    version: t.version,
    lanes: lanes as number,
    entries,
  };
}

export function serializeTileTable(table: TileTable): string {
  return `${JSON.stringify(table, null, 2)}\n`;
}
