/**
 * The fused attention kernels (forward, grad_q + grad_kv) against their float64 CPU twins, in
 * both kernel families, on awkward shapes: 17, 50, 197 and 257 tokens (none a multiple of the
 * 8-row, 16-key or 64-row blocks), 1 token and exactly 16, 1, 3, 6 and 12 heads, head sizes 64, 48 and 32 (vec4 loads; at 48 the
 * lanes' second slices run past the head), 16 (lanes without an output slice), 7 and 5
 * (scalar loads, masked tails); two
 * images, two targets per image, accumulation into an existing dqkv, the optional P / dP.
 *
 * Tolerances (float32 against float64, inputs in [-1, 1]): P 2e-6 absolute (probabilities);
 * O, dP, dS and dqkv 1e-5 of the reference's largest magnitude (sums over up to 257 terms).
 */
import { describe, expect, it } from 'vitest';
import { fusedAttention, fusedAttentionGrad } from '../../src/kernels/attention.js';
import { attentionCpu, attentionGradCpu } from '../../src/kernels/attention.cpu.js';
import { maxAbsDiff, relToMax } from '../helpers/compare.js';
import { gpuContext, randomArray, seededRandom } from '../helpers/gpu.js';

interface Case {
  B: number;
  N: number;
  H: number;
  hd: number;
  /** Targets of the gradient. */
  T: number;
  /** Write P and dP (the taps), or leave them out. */
  matrices: boolean;
  accumulate: boolean;
}

const CASES: Case[] = [
  { B: 2, N: 17, H: 1, hd: 64, T: 1, matrices: true, accumulate: false },
  { B: 1, N: 197, H: 3, hd: 64, T: 1, matrices: true, accumulate: true },
  { B: 2, N: 50, H: 6, hd: 32, T: 2, matrices: false, accumulate: false },
  { B: 1, N: 257, H: 12, hd: 16, T: 1, matrices: true, accumulate: false },
  { B: 1, N: 257, H: 3, hd: 64, T: 1, matrices: false, accumulate: true },
  { B: 2, N: 17, H: 12, hd: 7, T: 2, matrices: true, accumulate: true },
  { B: 1, N: 50, H: 3, hd: 5, T: 1, matrices: false, accumulate: false },
  { B: 1, N: 17, H: 4, hd: 48, T: 1, matrices: true, accumulate: false },
  // One token; exactly one 16-key block.
  { B: 3, N: 1, H: 2, hd: 64, T: 2, matrices: true, accumulate: false },
  { B: 1, N: 16, H: 3, hd: 32, T: 1, matrices: true, accumulate: true },
];

describe.each(['simd', 'tiled'] as const)('fused attention (%s)', (family) => {
  for (const c of CASES) {
    const { B, N, H, hd, T } = c;
    const D = H * hd;
    it(`B=${B} N=${N} H=${H} hd=${hd} T=${T}${c.matrices ? ' +P/dP' : ''}${c.accumulate ? ' accumulate' : ''}`, async () => {
      const ctx = await gpuContext(family);
      const rand = seededRandom(N * 1000 + H * 10 + hd);
      const qkv = randomArray(B * N * 3 * D, rand);
      const ref = attentionCpu(qkv, { B, N, H, D });
      const qkvT = ctx.upload(qkv, [B * N, 3 * D]);
      const out = ctx.empty([B * N, D]);
      const probs = ctx.empty([B, H, N, N]);
      fusedAttention(ctx, { B, N, H, D }, { qkv: qkvT, out, probs });
      expect(maxAbsDiff(await probs.read(), ref.probs).max).toBeLessThan(2e-6);
      const gotOut = await out.read();
      expect(relToMax(gotOut, ref.out)).toBeLessThan(1e-5);
      if (!c.matrices) {
        // Without P the output is the same computation.
        const out2 = ctx.empty([B * N, D]);
        fusedAttention(ctx, { B, N, H, D }, { qkv: qkvT, out: out2 });
        expect(maxAbsDiff(await out2.read(), gotOut).max).toBe(0);
        out2.release();
      }

      const dO = randomArray(T * B * N * D, rand);
      const prior = randomArray(T * B * N * 3 * D, rand);
      const g = attentionGradCpu(qkv, ref.probs, dO, { B, N, H, D, T });
      const dOT = ctx.upload(dO, [T * B * N, D]);
      const dqkv = c.accumulate ? ctx.upload(prior, [T * B * N, 3 * D]) : ctx.empty([T * B * N, 3 * D]);
      const dS = ctx.empty([T, B, H, N, N]);
      const dP = c.matrices ? ctx.empty([T, B, H, N, N]) : undefined;
      fusedAttentionGrad(ctx, { B, N, H, D, T }, { qkv: qkvT, probs, out, dOut: dOT, dqkv, accumulate: c.accumulate, dScores: dS, dProbs: dP });
      expect(relToMax(await dS.read(), g.dS)).toBeLessThan(1e-5);
      if (dP) expect(relToMax(await dP.read(), g.dP)).toBeLessThan(1e-5);
      const want = c.accumulate ? g.dqkv.map((v, i) => v + prior[i]) : g.dqkv;
      expect(relToMax(await dqkv.read(), want)).toBeLessThan(1e-5);
      for (const t of [qkvT, out, probs, dOT, dqkv, dS, dP]) t?.release();
    });
  }
});
