/** The library's version (package.json's; test/gpu/tile-table.test.ts keeps them equal). Tuned tile tables are keyed by it. */
export const VERSION = '0.1.0';
