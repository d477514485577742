/**
 * Fused attention against the matmul + softmax path it replaces, side by side in one process
 * (three contexts on the same adapter — fusedAttention 'forward' (the default), 'both', 'none' —
 * interleaved rounds, so a busy machine moves them alike; times are medians and minima):
 *  - attention alone at deit_tiny's shape (197 tokens, 3 heads of 64): forward without and with
 *    the probabilities, and its gradient (from the tape, to qkv);
 *  - the whole forward of a deit_tiny-shaped model (random weights) at batch 1 and 8, plain and
 *    with every `attn.*` tap kept (what rollout asks for), and forward + backward to the input;
 *  - dispatches per call, first-call (compile) times, and the two paths' logits against each other.
 *
 *   npx tsx bench/attention.ts [--model deit_tiny_patch16_224] [--rounds 5] [--batches 1,8] [--cold-cache]
 */
import type { GpuContext } from '../src/gpu/context.js';
import type { Tensor } from '../src/gpu/tensor.js';
import { gradients } from '../src/model/gradients.js';
import { attention } from '../src/model/ops/attention.js';
import { runBackward, Tape } from '../src/model/tape.js';
import { classTarget } from '../src/model/targets.js';
import { createNodeContext } from '../src/node/device.js';
import { parseArgs } from './lib/args.js';
import { randomModel } from './lib/models.js';
import { fmtMs, table } from './lib/timing.js';

const args = parseArgs();
const name = args.str('model', 'deit_tiny_patch16_224');
const rounds = args.num('rounds', 5);
const batches = args.nums('batches', [1, 8]);
if (args.flag('cold-cache')) process.env.MESA_SHADER_CACHE_DISABLE = 'true';

/** The contexts' `fusedAttention` settings: the default, the gradient fused too, neither. */
const variants = ['forward', 'both', 'none'] as const;
type Variant = (typeof variants)[number];
const ctxs = new Map<Variant, GpuContext>();
for (const v of variants) ctxs.set(v, await createNodeContext({ fusedAttention: v, pacedWait: true }));
const models = new Map(variants.map((v) => [v, randomModel(ctxs.get(v)!, name)]));
const c = models.get('none')!.config;
const ctx0 = ctxs.get('none')!;
console.log(`fused attention benchmark: ${name} (D=${c.embedDim}, heads ${c.numHeads}), adapter ${ctx0.info.name}, kernels: ${ctx0.kernelFamily}\n`);

interface Case {
  name: string;
  /** Records the work on a context and waits for it. */
  run: (v: Variant) => Promise<void>;
}

const rand = (n: number) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);
const N = (c.imgSize[0] / c.patchSize[0]) * (c.imgSize[1] / c.patchSize[1]) + 1 + (c.distilled ? 1 : 0);
const s1 = { B: 1, N, H: c.numHeads, D: c.embedDim };
const qkvData = rand(N * 3 * c.embedDim);
const dOData = rand(N * c.embedDim);
const qkvs = new Map(variants.map((v) => [v, ctxs.get(v)!.upload(qkvData, [N, 3 * c.embedDim])]));
const dOs = new Map(variants.map((v) => [v, ctxs.get(v)!.upload(dOData, [N, c.embedDim])]));
const REPEAT = 10;

/** Attention alone, REPEAT times per sync. */
const attentionCase = (keepProbs: boolean): Case => ({
  name: `attention alone, b1 ${keepProbs ? 'with' : 'without'} P (x${REPEAT})`,
  run: async (v) => {
    const ctx = ctxs.get(v)!;
    for (let i = 0; i < REPEAT; i++) {
      const { probs, out } = attention({ ctx, tape: null }, qkvs.get(v)!, s1, 0, keepProbs);
      probs?.release();
      out.release();
    }
    await ctx.sync();
  },
});

const gradCase: Case = {
  name: `attention forward + gradient to qkv, b1 (x${REPEAT})`,
  run: async (v) => {
    const ctx = ctxs.get(v)!;
    for (let i = 0; i < REPEAT; i++) {
      const tape = new Tape(ctx);
      const qkv = qkvs.get(v)!;
      const { probs, out } = attention({ ctx, tape }, qkv, s1, 0, false);
      const dO = ctx.empty(out.shape);
      ctx.copy(dOs.get(v)!, 0, dO, 0, dO.byteSize);
      const r = runBackward(tape, { outputGrads: [{ tensor: out, grad: dO }], T: 1, gradTaps: new Map([[qkv.id, 'qkv']]), namedTaps: new Set() });
      for (const g of r.grads.values()) g.release();
      probs?.release();
      out.release();
    }
    await ctx.sync();
  },
};

const pixels = new Map(batches.map((B) => [B, rand(B * 3 * c.imgSize[0] * c.imgSize[1])]));
const inputs = new Map(variants.map((v) => [v, new Map(batches.map((B) => [B, ctxs.get(v)!.upload(pixels.get(B)!, [B, 3, ...c.imgSize])]))]));
const forwardCase = (B: number, taps: boolean): Case => ({
  name: `model forward b${B}${taps ? ' keeping attn.*' : ''}`,
  run: async (v) => {
    const r = models.get(v)!.forward(inputs.get(v)!.get(B)!, taps ? { taps: ['attn.*'] } : {});
    await r.logits!.read();
    r.release();
  },
});
const backwardCase = (B: number): Case => ({
  name: `model forward + backward to the input b${B}`,
  run: async (v) => {
    const g = gradients(models.get(v)!, inputs.get(v)!.get(B)!, [classTarget(3)], { grads: ['input'] });
    await g.grads.get('input')!.read();
    g.release();
  },
});

const cases: Case[] = [attentionCase(false), attentionCase(true), gradCase, ...batches.flatMap((B) => [forwardCase(B, false), forwardCase(B, true)]), backwardCase(1)];

// Parity of the two paths (same seeded weights, same input).
for (const B of batches) {
  const logits: Float32Array[] = [];
  for (const v of variants) {
    const r = models.get(v)!.forward(inputs.get(v)!.get(B)!);
    logits.push(await r.logits!.read());
    r.release();
  }
  const diff = logits[0].reduce((m, x, i) => Math.max(m, Math.abs(x - logits[2][i])), 0);
  console.log(`b${B}: logits of the fused and matmul paths differ by at most ${diff.toExponential(2)}`);
}
console.log();

const first = new Map<string, number>();
const dispatches = new Map<string, number>();
for (const k of cases) {
  for (const v of variants) {
    const ctx = ctxs.get(v)!;
    const d0 = ctx.dispatches;
    const t = performance.now();
    await k.run(v);
    first.set(`${k.name}/${v}`, performance.now() - t);
    dispatches.set(`${k.name}/${v}`, ctx.dispatches - d0);
  }
}
const times = new Map<string, number[]>();
for (let r = 0; r < rounds; r++) {
  for (const k of cases) {
    for (const v of r % 2 === 0 ? variants : [...variants].reverse()) {
      const t = performance.now();
      await k.run(v);
      const key = `${k.name}/${v}`;
      times.set(key, [...(times.get(key) ?? []), performance.now() - t]);
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cell = (k: Case, v: Variant) => {
  const ts = times.get(`${k.name}/${v}`)!;
  return `${fmtMs(median(ts))} (min ${fmtMs(Math.min(...ts))})`;
};
const ratio = (k: Case, v: Variant, f: (xs: number[]) => number) => (f(times.get(`${k.name}/${v}`)!) / f(times.get(`${k.name}/none`)!)).toFixed(2);
const best = (xs: number[]) => Math.min(...xs);
console.log(
  table(
    ['case', ...variants.map((v) => `fused ${v}`), 'forward / none (median, min)', 'both / none (median, min)', 'dispatches (forward / both / none)', 'first call (forward / both / none)'],
    cases.map((k) => [
      k.name,
      ...variants.map((v) => cell(k, v)),
      `${ratio(k, 'forward', median)}x, ${ratio(k, 'forward', best)}x`,
      `${ratio(k, 'both', median)}x, ${ratio(k, 'both', best)}x`,
      variants.map((v) => dispatches.get(`${k.name}/${v}`)).join(' / '),
      variants.map((v) => fmtMs(first.get(`${k.name}/${v}`))).join(' / '),
    ]),
  ),
);
console.log(`\n${rounds} interleaved rounds; pipelines ${variants.map((v) => ctxs.get(v)!.pipelineCount).join(' / ')}`);
for (const t of [...qkvs.values(), ...dOs.values()]) t.release();
for (const m of inputs.values()) for (const t of m.values()) (t as Tensor).release();
for (const m of models.values()) m.dispose();
for (const ctx of ctxs.values()) ctx.dispose();
process.exit(0);
