/**
 * Explanation-method benchmark (issue 4): the latency of every method of src/explain/registry.ts,
 * plus the Q/K maps and a few steps of activation maximisation, on a deit_tiny-shaped ViT
 * (random weights) at batch 1 and 8 — median of repeated calls (the expensive per-patch /
 * per-step methods with fewer repetitions), each call's first-call cost (new pipelines), its
 * dispatches and submits, and PyTorch's time for a plain-torch equivalent in the same run
 * (bench/torch_explain.py; not the reference libraries, see there).
 *
 * Attention flow runs the registry's method: its max-flow graph (12 layers x 197 tokens) is the
 * size of ViT-B's, since heads are averaged first; bench/flow.ts times the CPU max-flow alone on
 * ViT-B-shaped random attention and on the golden deit_tiny attention.
 *
 *   npx tsx bench/explain.ts [--model deit_tiny_patch16_224] [--batches 1,8] [--reps 3]
 *                            [--heavy-reps 1] [--heavy-batches 1,8] [--methods rollout,cdam,...]
 *                            [--actmax-steps 10] [--no-torch] [--unpaced] [--json out.json]
 *
 * Heavy methods (tam, occlusion, ig, smoothgrad) are warmed up on a reduced call (2 patches,
 * 2 steps, 1 sample), then timed `--heavy-reps` times. At batch 8 they take minutes here.
 */
import { writeFileSync } from 'node:fs';
import { tokenAblation } from '../src/explain/ablation.js';
import { activationMaximization } from '../src/explain/activation-max.js';
import { queryKeyMaps } from '../src/explain/attention.js';
import { occlusion } from '../src/explain/occlusion.js';
import { METHODS } from '../src/explain/registry.js';
import { integratedGradients, smoothGrad } from '../src/explain/saliency.js';
import type { Tensor } from '../src/gpu/tensor.js';
import { gradients } from '../src/model/gradients.js';
import { classTarget } from '../src/model/targets.js';
import { createNodeContext } from '../src/node/device.js';
import { parseArgs } from './lib/args.js';
import { randomModel } from './lib/models.js';
import { fmtMs, fmtRatio, table, timeMs } from './lib/timing.js';
import { torchInfo, torchShape, torchTimings, type TorchPlanEntry } from './lib/torch.js';

const args = parseArgs();
const name = args.str('model', 'deit_tiny_patch16_224');
const batches = args.nums('batches', [1, 8]);
const heavyBatches = args.nums('heavy-batches', batches);
const reps = args.num('reps', 3);
const heavyReps = args.num('heavy-reps', 1);
const actmaxSteps = args.num('actmax-steps', 10);
const only = args.list('methods');
const TARGET = 243; // one class id for every image (bench/torch_explain.py uses the same)

const ctx = await createNodeContext({
  dawnOptions: ['enable-dawn-features=allow_unsafe_apis', 'disable-dawn-features=timestamp_quantization'],
  pacedWait: !args.flag('unpaced'),
});
const model = randomModel(ctx, name);
const c = model.config;
console.log(`vitlens explanation benchmark: ${name} (D=${c.embedDim}, depth ${c.depth}, heads ${c.numHeads}, ${c.imgSize.join('x')}), random weights, target class ${TARGET}`);
console.log(`adapter: ${ctx.info.name} (${ctx.info.isSoftware ? 'software' : 'hardware'}), kernels: ${ctx.kernelFamily}, paced wait: ${!args.flag('unpaced')}\n`);

const images = new Map<number, Tensor>();
const imagesFor = (B: number): Tensor => {
  let x = images.get(B);
  if (!x) {
    x = ctx.upload(new Float32Array(B * 3 * c.imgSize[0] * c.imgSize[1]).map(() => Math.random() * 2 - 1), [B, 3, c.imgSize[0], c.imgSize[1]]);
    images.set(B, x);
  }
  return x;
};

interface Bench {
  name: string;
  label: string;
  heavy: boolean;
  /** bench/torch_explain.py mode, where there is a plain-torch equivalent. */
  torch?: string;
  batches: number[];
  run: (x: Tensor) => Promise<unknown>;
  /** Reduced call that compiles the method's pipelines (heavy methods). */
  warm?: (x: Tensor) => Promise<unknown>;
}

const HEAVY = new Set(['tam', 'occlusion', 'ig', 'smoothgrad']);
const NO_TORCH = new Set(['flow']);
const WARM: Record<string, (x: Tensor) => Promise<unknown>> = {
  tam: (x) => tokenAblation(model, x, TARGET, { patches: [0, 1] }),
  occlusion: (x) => occlusion(model, x, TARGET, { patches: [0, 1] }),
  ig: (x) => integratedGradients(model, x, TARGET, { steps: 2 }),
  smoothgrad: (x) => smoothGrad(model, x, TARGET, { samples: 1, abs: true }),
};
const LABEL: Record<string, string> = {
  ig: 'ig (32 steps)',
  smoothgrad: 'smoothgrad (16 samples)',
  tam: `tam (${model.gridFor(c.imgSize[0], c.imgSize[1]).reduce((a, b) => a * b)} patches)`,
  occlusion: `occlusion (${model.gridFor(c.imgSize[0], c.imgSize[1]).reduce((a, b) => a * b)} patches)`,
};

const context: Bench[] = [
  {
    name: 'forward', label: '(context) forward', heavy: false, torch: 'fwd', batches,
    run: async (x) => {
      const r = model.forward(x);
      await r.logits!.read();
      r.release();
    },
  },
  {
    name: 'fwdbwd', label: '(context) fwd + bwd -> pixels', heavy: false, torch: 'fwdbwd', batches,
    run: async (x) => {
      const g = gradients(model, x, [classTarget(TARGET)], { grads: ['input'] });
      await g.grads.get('input')!.read();
      g.release();
    },
  },
];
const registry: Bench[] = METHODS.map((m) => ({
  name: m.name,
  label: LABEL[m.name] ?? m.name,
  heavy: HEAVY.has(m.name),
  torch: NO_TORCH.has(m.name) ? undefined : m.name,
  batches: HEAVY.has(m.name) ? heavyBatches : batches,
  run: (x: Tensor) => m.run({ model, images: x, targets: TARGET }),
  warm: WARM[m.name],
}));
const extras: Bench[] = [
  { name: 'qk', label: `qk maps (block ${c.depth - 1})`, heavy: false, batches, run: (x) => queryKeyMaps(model, x, c.depth - 1) },
  {
    name: 'actmax', label: `actmax (${actmaxSteps} steps, 1 image)`, heavy: false, batches: [1],
    run: () => activationMaximization(model, { kind: 'class', classId: TARGET }, { steps: actmaxSteps }),
  },
];
const benches = [...context, ...registry, ...extras].filter((b) => !only || only.includes(b.name) || b.name === 'forward');

interface Row {
  bench: Bench;
  B: number;
  reps: number;
  ms: number;
  min: number;
  max: number;
  counts: string;
  first?: { ms: number; pipelines: number };
}
const rows: Row[] = [];
const progress = (s: string) => process.stderr.write(`${s}\n`);

// Every bench at the first batch (first call = its own pipelines), then at the others.
const order = [...new Set([batches[0], ...batches, ...heavyBatches])];
for (const B of order) {
  const x = imagesFor(B);
  for (const bench of benches) {
    if (!bench.batches.includes(B)) continue;
    let first: Row['first'];
    const p0 = ctx.pipelineCount;
    const t0 = performance.now();
    if (bench.heavy) await bench.warm!(x);
    else if (B === batches[0] || B === bench.batches[0]) {
      await bench.run(x);
      first = { ms: performance.now() - t0, pipelines: ctx.pipelineCount - p0 };
    } else {
      await bench.run(x); // warm-up (pool buffers of this batch size)
    }
    const d0 = ctx.dispatches;
    const s0 = ctx.submits;
    const n = bench.heavy ? heavyReps : B === 1 ? reps : Math.max(2, Math.ceil(reps / 2));
    const t = await timeMs(() => bench.run(x), n, 0);
    const counts = `${Math.round((ctx.dispatches - d0) / n)} / ${Math.round((ctx.submits - s0) / n)}`;
    rows.push({ bench, B, reps: n, ms: t.median, min: t.min, max: t.max, counts, first });
    progress(`  ${bench.label}, batch ${B}: ${fmtMs(t.median)} (${n} rep${n > 1 ? 's' : ''})`);
  }
}

const ti = args.flag('no-torch') ? null : torchInfo();
let torch: Record<string, number | null> | null = null;
if (ti) {
  const plan: TorchPlanEntry[] = rows
    .filter((r) => r.bench.torch)
    .sort((a, b) => Number(a.bench.heavy) - Number(b.bench.heavy))
    .map((r) => ({ mode: r.bench.torch!, batch: r.B, reps: r.reps, warmup: r.bench.heavy ? 0 : 1 }));
  if (rows.some((r) => r.bench.name === 'grad-rollout' && r.B === 1)) plan.push({ mode: 'grad-rollout-params', batch: 1, reps });
  progress(`  PyTorch: ${plan.length} timings...`);
  torch = torchTimings({ ...torchShape(c), plan }, 'torch_explain.py');
}

const fwdMs = new Map(rows.filter((r) => r.bench.name === 'forward').map((r) => [r.B, r.ms]));
console.log(
  table(
    ['method', 'batch', 'reps', 'vitlens', 'min – max', 'x forward', 'PyTorch (plain-torch equiv.)', 'vitlens / PyTorch', 'dispatches / submits', 'first call (+pipelines)'],
    rows.map((r) => {
      const t = r.bench.torch ? torch?.[`${r.bench.torch}/b${r.B}`] : undefined;
      return [
        r.bench.label, r.B, r.reps, fmtMs(r.ms), r.reps > 1 ? `${fmtMs(r.min)} – ${fmtMs(r.max)}` : '', fmtRatio(r.ms, fwdMs.get(r.B)),
        r.bench.torch ? fmtMs(t) : 'n/a', fmtRatio(r.ms, t), r.counts, r.first ? `${fmtMs(r.first.ms)} (+${r.first.pipelines})` : '',
      ];
    }),
  ),
);
const ig = rows.filter((r) => r.bench.name === 'ig');
const am = rows.find((r) => r.bench.name === 'actmax');
console.log('');
for (const r of ig) console.log(`ig, batch ${r.B}: ${fmtMs(r.ms / 32)} per path step (one fwd + bwd of ${r.B} image(s) per step, batched in chunks)`);
if (am) console.log(`actmax: ${fmtMs(am.ms / actmaxSteps)} per step (fwd + bwd of one image, jitter, blur), plus two scoring forwards`);
if (ti) {
  const p = torch?.['grad-rollout-params/b1'];
  const g = torch?.['grad-rollout/b1'];
  if (p) console.log(`PyTorch grad-rollout with parameters requiring grad (what vit-explain does on a timm model, weight gradients included): ${fmtMs(p)} at batch 1, vs ${fmtMs(g)} frozen`);
  console.log(
    `PyTorch ${ti.version}, ${ti.blas}, 2 threads, OMP_WAIT_POLICY=PASSIVE. Plain-torch equivalents written from the golden README's reference definitions ` +
    '(bench/torch_explain.py, checked against the golden maps with --check), not the reference libraries: hooks = tensors kept in the forward, parameters frozen, ' +
    'input requires grad; per-image post-processing as in vit-explain; token ablation / occlusion batched in 64s, IG / SmoothGrad in 32s. ' +
    'cdam / gradcam: full backward, as the hook-based references do (vitlens stops at the last block; bench/backward.ts times a torch backward stopped there). ' +
    'n/a: no plain-torch equivalent (flow: max-flow, networkx in the reference; qk maps and actmax: not timed in torch).',
  );
} else {
  console.log('PyTorch: not measured (python3-torch not importable, or --no-torch)');
}
console.log('vitlens times cover the whole call: forward / backward, read-back of the maps and the method\'s CPU-side steps (targets are a fixed class id: no ranking forward).');

const json = args.str('json', '');
if (json) {
  writeFileSync(json, JSON.stringify({ model: name, adapter: ctx.info.name, rows: rows.map(({ bench, ...r }) => ({ method: bench.name, ...r })), torch }, null, 2));
  console.log(`\nwrote ${json}`);
}
for (const x of images.values()) x.release();
model.dispose();
ctx.dispose();
process.exit(0);
