/**
 * What the golden tests measured, printed as one table per case and test file (max abs error,
 * error relative to the reference's largest magnitude, Spearman where it applies), so that the
 * test log states the parity figures rather than only pass / fail.
 */
import { maxAbs, maxAbsDiff, spearman } from './compare.js';

interface Row {
  name: string;
  maxAbs: number;
  rel: number;
  spearman?: number;
}

const tables = new Map<string, Row[]>();

/** Records the comparison of `actual` with `expected` under `name`; returns the row. */
export function recordParity(table: string, name: string, actual: ArrayLike<number>, expected: ArrayLike<number>, withSpearman = false): Row {
  const err = maxAbsDiff(actual, expected).max;
  const row: Row = { name, maxAbs: err, rel: err / Math.max(maxAbs(expected), 1e-30) };
  if (withSpearman) row.spearman = spearman(actual, expected);
  const rows = tables.get(table) ?? [];
  const same = rows.find((r) => r.name === name);
  if (same) {
    // Several images or layers under one name: keep the worst.
    same.maxAbs = Math.max(same.maxAbs, row.maxAbs);
    same.rel = Math.max(same.rel, row.rel);
    if (row.spearman !== undefined) same.spearman = Math.min(same.spearman ?? 1, row.spearman);
  } else rows.push(row);
  tables.set(table, rows);
  return row;
}

export function printParity(table: string): void {
  const rows = tables.get(table);
  if (!rows?.length) return;
  const w = Math.max(...rows.map((r) => r.name.length));
  const lines = rows.map((r) => `  ${r.name.padEnd(w)}  max abs ${r.maxAbs.toExponential(2)}  rel ${r.rel.toExponential(2)}${r.spearman !== undefined ? `  spearman ${r.spearman.toFixed(6)}` : ''}`);
  console.log(`[parity] ${table} (worst over images and layers)\n${lines.join('\n')}`);
}
