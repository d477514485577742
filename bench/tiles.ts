/**
 * What a tuned tile table (`vitlens tune`) gains: forward and forward + backward to the pixels
 * with the default tiles and with the table, in alternating rounds on one context and the same
 * inputs (the table is switched between runs: tiles are chosen when a matmul is recorded), and
 * the largest difference between the two logits. The table is this adapter's cached one, or
 * --table FILE.
 *
 *   npx tsx bench/tiles.ts [--model deit_tiny_patch16_224] [--batches 1,8] [--rounds 5] [--table FILE]
 */
import { readFileSync } from 'node:fs';
import { parseTileTable } from '../src/gpu/tile-table.js';
import { gradients } from '../src/model/gradients.js';
import { classTarget } from '../src/model/targets.js';
import { createNodeContext } from '../src/node/device.js';
import { parseArgs } from './lib/args.js';
import { randomModel } from './lib/models.js';
import { fmtMs, table } from './lib/timing.js';

const args = parseArgs();
const name = args.str('model', 'deit_tiny_patch16_224');
const batches = args.nums('batches', [1, 8]);
const rounds = args.num('rounds', 5);
const file = args.str('table', '');

const ctx = await createNodeContext({ pacedWait: true, tiles: file ? 'default' : 'cached' });
const tuned = file ? parseTileTable(readFileSync(file, 'utf8'), file) : ctx.tileTable;
if (!tuned) {
  console.log(`no tuned tile table for ${ctx.info.name}: run \`vitlens tune\` (or pass --table FILE)`);
  process.exit(1);
}
ctx.setTileTable(tuned); // refuses a table of another adapter or version
const model = randomModel(ctx, name);
const c = model.config;
console.log(`tuned tiles (${tuned.entries.length} classes) against the defaults: ${name} on ${ctx.info.name}, ${rounds} rounds\n`);

const inputs = new Map(batches.map((B) => [B, ctx.upload(new Float32Array(B * 3 * c.imgSize[0] * c.imgSize[1]).map(() => Math.random() * 2 - 1), [B, 3, c.imgSize[0], c.imgSize[1]])]));
const forward = async (B: number) => {
  const r = model.forward(inputs.get(B)!);
  const out = await r.logits!.read();
  r.release();
  return out;
};
const fwdBwd = async (B: number) => {
  const g = gradients(model, inputs.get(B)!, [classTarget(7)], { grads: ['input'] });
  await g.grads.get('input')!.read();
  g.release();
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const rows: (string | number)[][] = [];
for (const B of batches) {
  for (const [what, run] of [['forward', forward], ['forward + backward', fwdBwd]] as const) {
    const times = { default: [] as number[], tuned: [] as number[] };
    const ratios: number[] = [];
    const outputs: Float32Array[] = [];
    for (let r = -1; r < rounds; r++) {
      const t: Record<'default' | 'tuned', number> = { default: 0, tuned: 0 };
      // Alternate which goes first; round -1 is the untimed warm-up (compiles both tile sets).
      for (const which of r % 2 ? (['default', 'tuned'] as const) : (['tuned', 'default'] as const)) {
        ctx.setTileTable(which === 'tuned' ? tuned : null);
        const t0 = performance.now();
        const out = await run(B);
        t[which] = performance.now() - t0;
        if (r === -1 && out) outputs.push(out);
      }
      if (r < 0) continue;
      times.default.push(t.default);
      times.tuned.push(t.tuned);
      ratios.push(t.tuned / t.default);
    }
    let diff = NaN;
    if (outputs.length === 2) diff = outputs[0].reduce((m, v, i) => Math.max(m, Math.abs(v - outputs[1][i])), 0);
    rows.push([`${what} b${B}`, fmtMs(median(times.default)), fmtMs(median(times.tuned)), `${median(ratios).toFixed(3)}x`, Number.isNaN(diff) ? '—' : diff.toExponential(1)]);
  }
}
console.log(table(['run', 'default tiles', 'tuned tiles', 'tuned / default (same round)', 'max |logits diff|'], rows));
for (const x of inputs.values()) x.release();
model.dispose();
ctx.dispose();
process.exit(0);
