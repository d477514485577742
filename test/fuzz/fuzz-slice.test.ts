/**
 * A small seeded slice of `npm run fuzz` (scripts/fuzz): the same inputs every run, each in a
 * worker process with a time limit and a memory ceiling. Any input that ends untyped, crashes the
 * worker, hangs or passes the ceiling fails the test and is named (family, seed, index), so it
 * can be regenerated with makeInput(family, seed, index). The limits are generous (a shared CI
 * machine); the full fuzz uses 5 s and 1 GiB.
 */
import { describe, expect, it } from 'vitest';
import { FAMILIES } from '../../scripts/fuzz/families.js';
import { runFuzz } from '../../scripts/fuzz/run.js';

const SEED = 20261201;
const PER_FAMILY = 150;

describe('fuzz slice', () => {
  it(`${PER_FAMILY} mutated inputs per loader family: only accepted or typed outcomes`, async () => {
    const summaries = await runFuzz({ families: FAMILIES, count: PER_FAMILY, seed: SEED, timeoutMs: 15_000, memoryMiB: 1024 });
    const table = summaries.map((s) => `${s.family}: ${JSON.stringify(s.counts)}`).join('\n');
    console.log(`[fuzz slice] seed ${SEED}\n${table}`);
    for (const s of summaries) {
      expect(s.inputs).toBe(PER_FAMILY);
      const bad = s.findings.map((f) => `${s.family} #${f.i}: ${f.outcome} ${f.code ?? ''} ${(f.message ?? '').split('\n')[0]}`);
      expect(bad, `seed ${SEED}`).toEqual([]);
      // the slice must reach the loaders' deeper checks, not stop at the first byte
      expect(s.counts.typed, `${s.family} refused nothing`).toBeGreaterThan(0);
    }
  }, 180_000);
});
