/**
 * Method switch with and without reuse (issue 11 item 4): for each derivable method, the time of
 * one explanation of an image whose class was already explained —
 *   without reuse: the registry's method (its own forward, and backward for class-specific ones);
 *   with reuse:    an explanation session that already holds the forward's taps and the class's
 *                  gradients (src/explain/session.ts): the map alone.
 * Medians after a warm-up (pipelines compiled), both in the same run, plus the session's cost of
 * a new class (one recorded forward + one backward for the gradients every method reads).
 *
 *   npx tsx bench/session.ts [--model-dir assets/fmnist-vit] [--image assets/images/8-bag.png]
 *                            [--batch 1] [--reps 9] [--methods rollout,cdam,...] [--unpaced]
 *
 * Figures are only meaningful on a quiet machine.
 */
import { methodByName } from '../src/explain/registry.js';
import { derivableMethods, explainSession } from '../src/explain/session.js';
import { readImageFileSync } from '../src/io/decode-node.js';
import { imageBatch } from '../src/model/input.js';
import { createNodeContext } from '../src/node/device.js';
import { loadModelDir } from '../src/node/load.js';
import { parseArgs } from './lib/args.js';
import { fmtMs, fmtRatio, table, timeMs } from './lib/timing.js';

const args = parseArgs();
const root = new URL('../', import.meta.url).pathname;
const dir = args.str('model-dir', `${root}assets/fmnist-vit`);
const imagePath = args.str('image', `${root}assets/images/8-bag.png`);
const batch = args.num('batch', 1);
const reps = args.num('reps', 9);
const methods = args.list('methods') ?? derivableMethods().filter((m) => m !== 'flow');

const ctx = await createNodeContext({ pacedWait: !args.flag('unpaced') });
const model = loadModelDir(ctx, dir);
using images = imageBatch(model, Array.from({ length: batch }, () => readImageFileSync(imagePath)));
const c = model.config;
console.log(`vitlens method-switch benchmark: ${dir} (D=${c.embedDim}, depth ${c.depth}, heads ${c.numHeads}, ${c.imgSize.join('x')}), batch ${batch}, ${reps} reps`);
console.log(`adapter: ${ctx.info.name} (${ctx.info.isSoftware ? 'software' : 'hardware'}), kernels: ${ctx.kernelFamily}\n`);

using session = explainSession(model, images);
const cls = 'top';
await session.explain('cdam', cls); // the kept forward and the class's gradients
const rows: string[][] = [];
for (const name of methods) {
  const info = methodByName(name);
  if (!info?.derive) throw new Error(`${name} is not a derivable method (${derivableMethods().join(', ')})`);
  const without = await timeMs(() => info.run({ model, images, targets: cls }), reps);
  const before = session.stats;
  const withReuse = await timeMs(() => session.explain(name, cls), reps);
  const after = session.stats;
  if (after.forwards !== before.forwards || after.backwards !== before.backwards) throw new Error(`${name}: the session ran the model again`);
  rows.push([name, fmtMs(without.median), fmtMs(withReuse.median), fmtRatio(without.median, withReuse.median)]);
}
// A fresh session per sample, its kept forward already run: the cost of a class not asked before.
const newClassSamples: number[] = [];
for (let i = 0; i <= reps; i++) {
  using fresh = explainSession(model, images);
  await fresh.explain('rollout');
  const t = performance.now();
  await fresh.explain('cdam', i % c.numClasses);
  if (i > 0) newClassSamples.push(performance.now() - t);
}
const newClass = { median: [...newClassSamples].sort((a, b) => a - b)[Math.floor(newClassSamples.length / 2)] };
console.log(table(['method', 'without reuse (registry)', 'with reuse (session)', 'speed-up'], rows));
console.log(`\nsession, a class not asked before (one forward + one backward, all gradients): ${fmtMs(newClass.median)} median`);
console.log(`session work: ${JSON.stringify(session.stats)}`);
session.dispose();
model.dispose();
