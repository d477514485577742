/**
 * Backward benchmark (issue 3): a deit_tiny-shaped ViT (random weights) at batch 1 and 8 —
 *   forward alone, forward recording the tape, forward + backward to the input pixels for one
 *   target, for T targets in one backward, and to the last block's norm1 tokens only
 *   (what CDAM / GradCAM ask for);
 * median of repeated runs after warm-up, each including the read-back of the result; the first
 * call of each case (pipeline creation + shader JIT); dispatches and submits per call; PyTorch's
 * time for the same model in the same run (bench/torch_vit.py) when python3-torch is there; and
 * where the backward's GPU time goes, kernel by kernel (GPU timestamps).
 *
 *   npx tsx bench/backward.ts [--model deit_tiny_patch16_224] [--batches 1,8] [--reps 5] [--targets 10]
 *                             [--profile-batch 1] [--profile-targets 1] [--no-profile] [--no-torch]
 *                             [--cold-cache] [--unpaced] [--json out.json]
 *
 * --cold-cache disables Mesa's disk shader cache, so first-call times include the full LLVM compile.
 */
import { writeFileSync } from 'node:fs';
import type { KernelTiming } from '../src/gpu/profiler.js';
import type { Tensor } from '../src/gpu/tensor.js';
import { gradients } from '../src/model/gradients.js';
import { classTarget, targetGradient, type Target } from '../src/model/targets.js';
import { createNodeContext } from '../src/node/device.js';
import { parseArgs } from './lib/args.js';
import { forwardFlops, randomModel } from './lib/models.js';
import { fmtMs, fmtRatio, table, timeMs } from './lib/timing.js';
import { torchInfo, torchShape, torchTimings } from './lib/torch.js';

const args = parseArgs();
const name = args.str('model', 'deit_tiny_patch16_224');
const batches = args.nums('batches', [1, 8]);
const reps = args.num('reps', 5);
const T = args.num('targets', 10);
const profileBatch = args.num('profile-batch', 1);
const profileTargets = args.num('profile-targets', 1);
if (args.flag('cold-cache')) process.env.MESA_SHADER_CACHE_DISABLE = 'true';

const ctx = await createNodeContext({
  dawnOptions: ['enable-dawn-features=allow_unsafe_apis', 'disable-dawn-features=timestamp_quantization'],
  pacedWait: !args.flag('unpaced'),
});
const model = randomModel(ctx, name);
const c = model.config;
const last = `tokens.${c.depth - 1}`;
console.log(`vitlens backward benchmark: ${name} (D=${c.embedDim}, depth ${c.depth}, heads ${c.numHeads}, ${c.imgSize.join('x')}), random weights`);
console.log(`adapter: ${ctx.info.name} (${ctx.info.isSoftware ? 'software' : 'hardware'}), kernels: ${ctx.kernelFamily}, paced wait: ${!args.flag('unpaced')}, Mesa shader cache: ${args.flag('cold-cache') ? 'disabled' : 'default'}\n`);

const allBatches = [...new Set([...batches, profileBatch])];
const inputs = new Map(
  allBatches.map((B) => [B, ctx.upload(new Float32Array(B * 3 * c.imgSize[0] * c.imgSize[1]).map(() => Math.random() * 2 - 1), [B, 3, c.imgSize[0], c.imgSize[1]])]),
);
const targets = (n: number): Target[] => Array.from({ length: n }, (_, t) => classTarget(7 + t));

/** Forward + backward of `n` targets, gradients of `grad` read back. */
const fwdBwd = (B: number, n: number, grad: string) => async () => {
  const g = gradients(model, inputs.get(B)!, targets(n), { grads: [grad] });
  await g.grads.get(grad)!.read();
  g.release();
};

interface Case {
  key: string;
  label: string;
  /** bench/torch_vit.py mode of the same computation. */
  torch: string;
  run: (B: number) => () => Promise<void>;
}

const cases: Case[] = [
  {
    key: 'fwd', label: 'forward', torch: 'fwd',
    run: (B) => async () => {
      const r = model.forward(inputs.get(B)!);
      await r.logits!.read();
      r.release();
    },
  },
  {
    key: 'fwdtape', label: 'forward, recording the tape', torch: 'fwdtape',
    run: (B) => async () => {
      const r = model.forward(inputs.get(B)!, { record: true });
      await r.logits!.read();
      r.release();
    },
  },
  { key: 'fwdbwd', label: 'fwd + bwd -> pixels, 1 target', torch: 'fwdbwd', run: (B) => fwdBwd(B, 1, 'input') },
  { key: `fwdbwd_t${T}`, label: `fwd + bwd -> pixels, ${T} targets`, torch: `fwdbwd_t${T}`, run: (B) => fwdBwd(B, T, 'input') },
  { key: 'fwdbwd_last', label: `fwd + bwd -> ${last} only, 1 target`, torch: 'fwdbwd_last', run: (B) => fwdBwd(B, 1, last) },
];

// First calls, in order: each compiles only the pipelines the cases before it did not need.
const first = new Map<string, { ms: number; pipelines: number }>();
for (const cs of cases) {
  const p0 = ctx.pipelineCount;
  const t0 = performance.now();
  await cs.run(batches[0])();
  first.set(cs.key, { ms: performance.now() - t0, pipelines: ctx.pipelineCount - p0 });
}

const ours = new Map<string, { median: number; min: number; max: number }>();
const counts = new Map<string, string>();
const dispatchCount = new Map<string, number>();
for (const B of batches) {
  for (const cs of cases) {
    const d0 = ctx.dispatches;
    const s0 = ctx.submits;
    await cs.run(B)();
    counts.set(`${cs.key}/b${B}`, `${ctx.dispatches - d0} / ${ctx.submits - s0}`);
    dispatchCount.set(`${cs.key}/b${B}`, ctx.dispatches - d0);
    const n = B === 1 ? reps : Math.max(2, Math.ceil(reps / 2));
    ours.set(`${cs.key}/b${B}`, await timeMs(cs.run(B), n, 0));
  }
}

const ti = args.flag('no-torch') ? null : torchInfo();
const torch = ti
  ? torchTimings({
    ...torchShape(c),
    plan: batches.flatMap((B) => cases.map((cs) => ({ mode: cs.torch, batch: B, reps: B === 1 ? reps : Math.max(2, Math.ceil(reps / 2)) }))),
  })
  : null;

const rows = batches.flatMap((B) =>
  cases.map((cs) => {
    const k = `${cs.key}/b${B}`;
    const o = ours.get(k)!;
    const t = torch?.[`${cs.torch}/b${B}`];
    const f = first.get(cs.key)!;
    return [
      cs.label, B, fmtMs(o.median), `${fmtMs(o.min)} – ${fmtMs(o.max)}`, fmtMs(t), fmtRatio(o.median, t), counts.get(k)!,
      B === batches[0] ? `${fmtMs(f.ms)} (+${f.pipelines})` : '',
    ];
  }),
);
console.log(table(['case', 'batch', 'vitlens', 'vitlens min – max', 'PyTorch CPU', 'vitlens / PyTorch', 'dispatches / submits', 'first call (+pipelines)'], rows));
console.log(
  ti
    ? `\nPyTorch ${ti.version}, ${ti.blas}, 2 threads, OMP_WAIT_POLICY=PASSIVE; plain-torch ViT of the same shape (bench/torch_vit.py), parameters frozen, input requires grad; ${T} targets = forward once + ${T} backward passes (retain_graph); "${last} only" = that tensor made a leaf`
    : '\nPyTorch: not measured (python3-torch not importable, or --no-torch)',
);
console.log(`Every vitlens time includes reading the result back (logits, or the gradient: T x B x ${((3 * c.imgSize[0] * c.imgSize[1] * 4) / 1024).toFixed(0)} KiB for the pixels).`);

// Derived: backward alone, and what extra targets cost.
const med = (k: string) => ours.get(k)?.median;
const tm = (k: string) => torch?.[k] ?? undefined;
console.log('');
for (const B of batches) {
  const bwd = med(`fwdbwd/b${B}`)! - med(`fwdtape/b${B}`)!;
  const bwdT = med(`fwdbwd_t${T}/b${B}`)! - med(`fwdtape/b${B}`)!;
  const tb = tm(`fwdbwd/b${B}`) && tm(`fwdtape/b${B}`) ? tm(`fwdbwd/b${B}`)! - tm(`fwdtape/b${B}`)! : undefined;
  const tbT = tm(`fwdbwd_t${T}/b${B}`) && tm(`fwdtape/b${B}`) ? tm(`fwdbwd_t${T}/b${B}`)! - tm(`fwdtape/b${B}`)! : undefined;
  console.log(
    `batch ${B}: backward alone (fwd+bwd minus fwd with tape) ${fmtMs(bwd)} = ${(bwd / med(`fwd/b${B}`)!).toFixed(2)}x the forward` +
    (tb ? ` (PyTorch ${fmtMs(tb)} = ${(tb / tm(`fwd/b${B}`)!).toFixed(2)}x)` : '') +
    `; ${T} targets: whole call ${fmtRatio(med(`fwdbwd_t${T}/b${B}`), med(`fwdbwd/b${B}`))} of 1 target, backward ${fmtRatio(bwdT, bwd)}` +
    (tbT && tb ? ` (PyTorch ${fmtRatio(tm(`fwdbwd_t${T}/b${B}`), tm(`fwdbwd/b${B}`))}, backward ${fmtRatio(tbT, tb)})` : '') +
    `; ${(forwardFlops(c, B) / med(`fwd/b${B}`)! / 1e6).toFixed(1)} GFLOP/s forward`,
  );
  const d = (k: string) => dispatchCount.get(`${k}/b${B}`)!;
  console.log(
    `batch ${B}: dispatches per forward ${d('fwd')}, recording the tape ${d('fwdtape')}; per backward (fwd+bwd minus fwd with tape) ` +
    `${d('fwdbwd') - d('fwdtape')} to the pixels, ${d('fwdbwd_last') - d('fwdtape')} to ${last} only`,
  );
}

let profile: { forward: KernelTiming[]; backward: KernelTiming[] } | null = null;
if (ctx.info.timestamps && !args.flag('no-profile')) {
  // Warm run, then one profiled forward (with tape) and, separately, its backward.
  const x: Tensor = inputs.get(profileBatch)!;
  await fwdBwd(profileBatch, profileTargets, 'input')();
  ctx.startProfiling();
  const fwd = model.forward(x, { record: true });
  const start = targetGradient(model, fwd, targets(profileTargets));
  const forward = await ctx.stopProfiling();
  ctx.startProfiling();
  const t0 = performance.now();
  const bw = model.backward(fwd, start, ['input']);
  await bw.grads.get('input')!.read();
  const wall = performance.now() - t0;
  const backward = await ctx.stopProfiling();
  for (const g of bw.grads.values()) g.release();
  fwd.release();
  profile = { forward, backward };
  const sum = (p: KernelTiming[]) => p.reduce((a, k) => a + k.ms, 0);
  const total = sum(backward);
  console.log(
    `\nGPU time of the backward by kernel, batch ${profileBatch}, ${profileTargets} target(s), to the pixels (one pass per dispatch): ` +
    `${fmtMs(total)} on the GPU in ${backward.reduce((a, k) => a + k.calls, 0)} dispatches, ${fmtMs(wall)} wall while profiled; forward with tape ${fmtMs(sum(forward))}`,
  );
  console.log(table(['kernel', 'calls', 'ms', 'share'], backward.slice(0, 20).map((k) => [k.kernel, k.calls, k.ms.toFixed(2), `${((100 * k.ms) / total).toFixed(1)}%`])));
  // The same grouped by kernel (matmul shapes merged).
  const families = new Map<string, { calls: number; ms: number }>();
  for (const k of backward) {
    const f = k.kernel.split(' ')[0];
    const e = families.get(f) ?? { calls: 0, ms: 0 };
    e.calls += k.calls;
    e.ms += k.ms;
    families.set(f, e);
  }
  const ftotal = sum(forward);
  console.log(`\nThe forward (recording the tape) of the same profiled run, for comparison: ${fmtMs(ftotal)} on the GPU`);
  console.log(table(['kernel', 'calls', 'ms', 'share'], forward.slice(0, 10).map((k) => [k.kernel, k.calls, k.ms.toFixed(2), `${((100 * k.ms) / ftotal).toFixed(1)}%`])));
  console.log('\nBackward by kernel family:');
  console.log(table(['kernel', 'calls', 'ms', 'share'], [...families].sort((a, b) => b[1].ms - a[1].ms).map(([f, e]) => [f, e.calls, e.ms.toFixed(2), `${((100 * e.ms) / total).toFixed(1)}%`])));
}

const json = args.str('json', '');
if (json) {
  writeFileSync(json, JSON.stringify({ model: name, adapter: ctx.info.name, T, vitlens: Object.fromEntries(ours), first: Object.fromEntries(first), torch, profile }, null, 2));
  console.log(`\nwrote ${json}`);
}
for (const x of inputs.values()) x.release();
model.dispose();
ctx.dispose();
process.exit(0);
