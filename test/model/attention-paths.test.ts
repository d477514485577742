/**
 * The attention op's three settings (GpuContextOptions.fusedAttention: 'forward' = the default,
 * 'both', 'none') give the same output, probabilities, qkv gradient and gradient taps (`attn.0`
 * = dP, `scores.0` = dS) for two targets, and the fused forward leaves P out when nothing needs
 * it. The kernels themselves are checked against their CPU twins in
 * test/kernels/attention.test.ts; this checks the op's wiring (saved tensors, taps, T).
 * Tolerance: 1e-5 of the largest magnitude (float32, different summation orders).
 */
import { describe, expect, it } from 'vitest';
import type { FusedAttention, GpuContext } from '../../src/gpu/context.js';
import { attention } from '../../src/model/ops/attention.js';
import { runBackward, Tape } from '../../src/model/tape.js';
import { createNodeContext } from '../../src/node/device.js';
import { relToMax } from '../helpers/compare.js';
import { gpuContext, randomArray, seededRandom } from '../helpers/gpu.js';

const s = { B: 2, N: 19, H: 3, D: 48 };
const T = 2;

async function run(ctx: GpuContext, qkvData: Float32Array, dOData: Float32Array) {
  const qkv = ctx.upload(qkvData, [s.B * s.N, 3 * s.D]);
  const plain = attention({ ctx, tape: null }, qkv, s, 0, false);
  const probsWithoutNeed = plain.probs;
  plain.out.release();
  const tape = new Tape(ctx);
  const { probs, out } = attention({ ctx, tape }, qkv, s, 0, true);
  const r = runBackward(tape, {
    outputGrads: [{ tensor: out, grad: ctx.upload(dOData, [T, s.B * s.N, s.D]) }],
    T,
    gradTaps: new Map([[qkv.id, 'qkv']]),
    namedTaps: new Set(['attn.0', 'scores.0']),
  });
  const read = async (name: string) => {
    const g = r.grads.get(name);
    expect(g, name).toBeDefined();
    const v = await g!.read();
    g!.release();
    return v;
  };
  const res = { out: await out.read(), probs: await probs!.read(), dqkv: await read('qkv'), dP: await read('attn.0'), dS: await read('scores.0'), probsWithoutNeed };
  for (const t of [qkv, out, probs!]) t.release();
  probsWithoutNeed?.release();
  return res;
}

describe('attention op: fused and matmul paths agree', () => {
  it("'forward' (default), 'both' and 'none'", async () => {
    const rand = seededRandom(5);
    const qkvData = randomArray(s.B * s.N * 3 * s.D, rand, 1.5);
    const dOData = randomArray(T * s.B * s.N * s.D, rand);
    const ctxs: [FusedAttention, GpuContext][] = [['forward', await gpuContext()]];
    for (const v of ['both', 'none'] as const) ctxs.push([v, await createNodeContext({ fusedAttention: v, pacedWait: true })]);
    const results = [];
    for (const [v, ctx] of ctxs) {
      expect(ctx.fusedAttention).toBe(v);
      results.push(await run(ctx, qkvData, dOData));
    }
    const ref = results[2];
    for (const r of results.slice(0, 2)) {
      for (const k of ['out', 'probs', 'dqkv', 'dP', 'dS'] as const) expect(relToMax(r[k], ref[k]), k).toBeLessThan(1e-5);
    }
    // A plain fused forward (no tape, no attn tap) computes no probabilities.
    expect(results[0].probsWithoutNeed).toBeNull();
    expect(results[1].probsWithoutNeed).toBeNull();
    for (const [v, ctx] of ctxs) if (v !== 'forward') ctx.dispose();
  });
});
