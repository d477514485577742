/**
 * Forward-pass benchmark: a deit_tiny-shaped ViT (random weights) at batch 1 and 8 — median of
 * repeated runs after warm-up, GFLOP/s of the matmuls, pipeline compile time, the per-kernel GPU
 * time split, and PyTorch's time for the same model in the same run when python3-torch is there.
 *
 *   npx tsx bench/forward.ts [--model deit_tiny_patch16_224] [--reps 10] [--unpaced]
 */
import { createNodeContext } from '../src/node/device.js';
import { fmtMs, medianMs, table } from './lib/timing.js';
import { forwardFlops, randomModel } from './lib/models.js';
import { torchInfo, torchTimings } from './lib/torch.js';

const argv = process.argv.slice(2);
const opt = (k: string, d: string) => (argv.includes(`--${k}`) ? argv[argv.indexOf(`--${k}`) + 1] : d);
const name = opt('model', 'deit_tiny_patch16_224');
const reps = Number(opt('reps', '10'));
const batches = [1, 8];

const ctx = await createNodeContext({
  dawnOptions: ['enable-dawn-features=allow_unsafe_apis', 'disable-dawn-features=timestamp_quantization'],
  pacedWait: !argv.includes('--unpaced'),
});
const model = randomModel(ctx, name);
const c = model.config;
console.log(`vitlens forward benchmark: ${name} (D=${c.embedDim}, depth ${c.depth}, heads ${c.numHeads}, ${c.imgSize.join('x')})`);
console.log(`adapter: ${ctx.info.name} (${ctx.info.isSoftware ? 'software' : 'hardware'}), kernels: ${ctx.kernelFamily}, paced wait: ${!argv.includes('--unpaced')}\n`);

const inputs = new Map(batches.map((B) => [B, ctx.upload(new Float32Array(B * 3 * c.imgSize[0] * c.imgSize[1]).map(() => Math.random() * 2 - 1), [B, 3, c.imgSize[0], c.imgSize[1]])]));
const run = (B: number) => async () => {
  const r = model.forward(inputs.get(B)!);
  await r.logits!.read();
  r.release();
};

const t0 = performance.now();
await run(1)();
const first = performance.now() - t0;
const warm = await medianMs(run(1), 3, 0);
console.log(`first forward (pipeline creation + shader JIT): ${fmtMs(first)}; ${ctx.pipelineCount} pipelines; compile overhead ≈ ${fmtMs(first - warm)}`);
// Dispatches of one forward (per-dispatch cost on lavapipe: PLATFORM.md), plain and recording the tape.
const dispatchesOf = async (record: boolean) => {
  const d0 = ctx.dispatches;
  const r = model.forward(inputs.get(1)!, { record });
  await r.logits!.read();
  r.release();
  return ctx.dispatches - d0;
};
console.log(`dispatches per forward: ${await dispatchesOf(false)}; recording the tape: ${await dispatchesOf(true)}\n`);

const ours = new Map<number, number>();
for (const B of batches) ours.set(B, await medianMs(run(B), B === 1 ? reps : Math.max(3, Math.ceil(reps / 2))));

const ti = torchInfo();
const torch = ti
  ? torchTimings({ dim: c.embedDim, depth: c.depth, heads: c.numHeads, patch: c.patchSize[0], img: c.imgSize[0], classes: c.numClasses, batches, reps: 5, modes: ['fwd'] })
  : null;

console.log(
  table(
    ['batch', 'vitlens', 'GFLOP/s', 'PyTorch CPU', 'vitlens / PyTorch'],
    batches.map((B) => {
      const ms = ours.get(B)!;
      const t = torch?.[`fwd/b${B}`];
      return [B, fmtMs(ms), (forwardFlops(c, B) / ms / 1e6).toFixed(1), fmtMs(t), t ? `${(ms / t).toFixed(2)}x` : '—'];
    }),
  ),
);
console.log(ti ? `\nPyTorch ${ti.version}, ${ti.blas}, 2 threads, OMP_WAIT_POLICY=PASSIVE` : '\nPyTorch: python3-torch not importable, no reference timing');

if (ctx.info.timestamps) {
  ctx.startProfiling();
  await run(1)();
  await run(1)();
  const prof = await ctx.stopProfiling();
  const total = prof.reduce((a, p) => a + p.ms, 0);
  console.log(`\nGPU time by kernel, batch 1 (one pass per dispatch; ${fmtMs(total / 2)} per forward):`);
  console.log(table(['kernel', 'calls', 'ms / forward', 'share'], prof.slice(0, 12).map((p) => [p.kernel, p.calls / 2, (p.ms / 2).toFixed(2), `${((100 * p.ms) / total).toFixed(0)}%`])));
}
for (const x of inputs.values()) x.release();
model.dispose();
ctx.dispose();
process.exit(0);
