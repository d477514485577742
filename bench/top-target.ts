/**
 * Explaining the predicted class (issue 15, "no forward twice"): for CDAM, GradCAM, gradient
 * rollout and relevance with target 'top', interleaved rounds in one run of
 *   ranked first: the classes ranked on the CPU from a forward of their own (resolveClasses),
 *                 then the method on those fixed classes — what 'top' cost before rank targets;
 *   'top':        the method with 'top' (the class picked on the GPU inside its own forward);
 *   fixed class:  the method on a fixed class id (the floor 'top' should reach);
 * with the forwards and backwards each variant runs (counted on the model), and the ratios.
 *
 *   npx tsx bench/top-target.ts [--model deit_tiny_patch16_224] [--batch 1] [--reps 5] [--unpaced]
 *
 * Figures are only meaningful on a quiet machine; the ratios in one run are what compare.
 */
import { resolveClasses, type ClassSpec } from '../src/explain/class-specs.js';
import { cdam } from '../src/explain/cdam.js';
import { gradCam } from '../src/explain/gradcam.js';
import { gradientRollout } from '../src/explain/grad-rollout.js';
import { relevance } from '../src/explain/relevance.js';
import type { Tensor } from '../src/gpu/tensor.js';
import type { VisionTransformer } from '../src/model/vit.js';
import { createNodeContext } from '../src/node/device.js';
import { parseArgs } from './lib/args.js';
import { randomModel } from './lib/models.js';
import { fmtMs, fmtRatio, table } from './lib/timing.js';

const args = parseArgs();
const name = args.str('model', 'deit_tiny_patch16_224');
const B = args.num('batch', 1);
const reps = args.num('reps', 5);

const ctx = await createNodeContext({ pacedWait: !args.flag('unpaced') });
const model = randomModel(ctx, name);
const c = model.config;
console.log(`vitlens 'top' target benchmark: ${name} (D=${c.embedDim}, depth ${c.depth}), batch ${B}, ${reps} interleaved rounds`);
console.log(`adapter: ${ctx.info.name} (${ctx.info.isSoftware ? 'software' : 'hardware'}), kernels: ${ctx.kernelFamily}\n`);
using images = ctx.upload(new Float32Array(B * 3 * c.imgSize[0] * c.imgSize[1]).map(() => Math.random() * 2 - 1), [B, 3, c.imgSize[0], c.imgSize[1]]);

const counts = { forward: 0, backward: 0 };
const forward = model.forward.bind(model);
const backward = model.backward.bind(model);
model.forward = (...a) => (counts.forward++, forward(...a));
model.backward = (...a) => (counts.backward++, backward(...a));

type Method = (m: VisionTransformer, x: Tensor, classes: ClassSpec) => Promise<unknown>;
const methods: [string, Method][] = [['cdam', cdam], ['gradcam', gradCam], ['grad-rollout', gradientRollout], ['relevance', relevance]];
const variants: [string, (m: Method) => Promise<unknown>][] = [
  ['ranked first', async (m) => m(model, images, { perImage: (await resolveClasses(model, images, 'top'))[0] })],
  ["'top'", (m) => m(model, images, 'top')],
  ['fixed class', (m) => m(model, images, 3)],
];

const samples = new Map<string, number[]>();
const work = new Map<string, string>();
for (let round = -1; round < reps; round++) {
  for (const [mn, m] of methods) {
    for (const [vn, run] of variants) {
      counts.forward = counts.backward = 0;
      const t = performance.now();
      await run(m);
      const ms = performance.now() - t;
      if (round < 0) {
        work.set(`${mn}/${vn}`, `${counts.forward} / ${counts.backward}`); // warm-up round: pipelines compiled
        continue;
      }
      const k = `${mn}/${vn}`;
      samples.set(k, [...(samples.get(k) ?? []), ms]);
    }
  }
}
const median = (k: string) => {
  const s = [...samples.get(k)!].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
console.log(
  table(
    ['method', 'ranked first', "'top'", 'fixed class', "ranked first / 'top'", "'top' / fixed", 'forwards / backwards (ranked first, top, fixed)'],
    methods.map(([mn]) => {
      const [r, t, f] = variants.map(([vn]) => median(`${mn}/${vn}`));
      return [mn, fmtMs(r), fmtMs(t), fmtMs(f), fmtRatio(r, t), fmtRatio(t, f), variants.map(([vn]) => work.get(`${mn}/${vn}`)).join(', ')];
    }),
  ),
);
model.dispose();
ctx.dispose();
process.exit(0);
