/**
 * The explanation kernels (src/kernels/explain) against their CPU twins, on awkward shapes:
 * images whose width is not a multiple of the 64-wide workgroup and not a multiple of the patch,
 * one pixel, one token, 257 tokens, batches and targets > 1. The row-layout kernels (token dots,
 * rollout row sums, mean |x|) run in both kernel families; the others' WGSL does not depend on
 * the family (defined once, no specialisation key), so one family runs them.
 */
import { describe, expect, it } from 'vitest';
import { composePatches } from '../../src/kernels/explain/compose.js';
import { composePatchesCpu } from '../../src/kernels/explain/compose.cpu.js';
import { fgsmStep } from '../../src/kernels/explain/fgsm.js';
import { fgsmStepCpu } from '../../src/kernels/explain/fgsm.cpu.js';
import { fuseHeads, type HeadFusion } from '../../src/kernels/explain/fuse-heads.js';
import { fuseHeadsCpu } from '../../src/kernels/explain/fuse-heads.cpu.js';
import { ascentStep, gaussianBlur, meanAbs, roll, type ImageShape } from '../../src/kernels/explain/image-ops.js';
import { ascentStepCpu, gaussianBlurCpu, meanAbsCpu, rollCpu } from '../../src/kernels/explain/image-ops.cpu.js';
import { occludePatches } from '../../src/kernels/explain/occlude.js';
import { occludePatchesCpu } from '../../src/kernels/explain/occlude.cpu.js';
import type { PatchedImages } from '../../src/kernels/explain/patch-geometry.cpu.js';
import { perturb } from '../../src/kernels/explain/perturb.js';
import { perturbCpu } from '../../src/kernels/explain/perturb.cpu.js';
import { rolloutMatrix } from '../../src/kernels/explain/rollout-matrix.js';
import { rolloutMatrixCpu } from '../../src/kernels/explain/rollout-matrix.cpu.js';
import { selectKth } from '../../src/kernels/explain/select.js';
import { selectKthCpu } from '../../src/kernels/explain/select.cpu.js';
import { tokenDot } from '../../src/kernels/explain/token-dot.js';
import { tokenDotCpu } from '../../src/kernels/explain/token-dot.cpu.js';
import { gpuContext, randomArray, seededRandom } from '../helpers/gpu.js';
import { expectTwin, readU32 } from '../helpers/twins.js';

/** Images of 17 x 70 pixels in 4 x 5 patches: the last row and column of patches are cut off. */
const PATCHED: PatchedImages = { C: 3, H: 17, W: 70, ph: 4, pw: 5, gw: 14, P: 4 * 14 };
const bits = (n: number, rand: () => number) => Float32Array.from({ length: n }, () => (rand() < 0.5 ? 0 : 1));

describe.each(['simd', 'tiled'] as const)('explain row kernels (%s)', (family) => {
  const TOKENS = [
    { Z: 6, B: 3, N: 257, D: 12, first: 1, count: 256 },
    { Z: 1, B: 1, N: 1, D: 70, first: 0, count: 1 },
    { Z: 2, B: 2, N: 17, D: 65, first: 1, count: 16 },
  ];
  it('tokenDot: 2 targets x 3 images of 257 tokens, one token, 17 tokens of 65', async () => {
    const ctx = await gpuContext(family);
    for (const s of TOKENS) {
      const rand = seededRandom(s.N * s.D);
      const x = randomArray(s.B * s.N * s.D, rand);
      const y = randomArray(s.Z * s.N * s.D, rand);
      const [X, Y] = [x, y].map((a) => ctx.upload(a));
      const out = ctx.empty([s.Z * s.count]);
      tokenDot(ctx, X, Y, out, s);
      await expectTwin(out, tokenDotCpu(x, y, s), 1e-6, `tokenDot ${JSON.stringify(s)}`);
      for (const t of [X, Y, out]) t.release();
    }
  });

  const ROLLOUTS = [
    { S: 2, N: 17, discard: true, protectClsEntry: true, normalize: 'vit-explain' as const },
    { S: 1, N: 257, discard: false, protectClsEntry: false, normalize: 'vit-explain' as const },
    { S: 3, N: 5, discard: true, protectClsEntry: false, normalize: 'rows' as const },
    { S: 1, N: 1, discard: false, protectClsEntry: false, normalize: 'rows' as const },
  ];
  it('rolloutMatrix with and without discarding: 17, 257, 5 and 1 tokens', async () => {
    const ctx = await gpuContext(family);
    for (const a of ROLLOUTS) {
      const rand = seededRandom(a.N * a.S);
      const fused = Float32Array.from({ length: a.S * a.N * a.N }, () => rand() / a.N);
      const k = Math.floor(0.6 * a.N * a.N);
      const state = a.discard ? selectKthCpu(fused, a.S, a.N * a.N, k) : undefined;
      const F = ctx.upload(fused);
      const STATE = state ? ctx.upload(state) : undefined;
      const out = ctx.empty([a.S, a.N, a.N]);
      rolloutMatrix(ctx, { fused: F, state: STATE, out, ...a });
      await expectTwin(out, rolloutMatrixCpu(fused, state, a), 1e-6, `rollout ${JSON.stringify(a)}`);
      for (const t of [F, STATE, out]) t?.release();
    }
  });

  it('meanAbs of a 3 x 17 x 70 image and of one pixel', async () => {
    const ctx = await gpuContext(family);
    for (const s of [{ C: 3, H: 17, W: 70 }, { C: 1, H: 1, W: 1 }]) {
      const x = randomArray(s.C * s.H * s.W, seededRandom(s.W));
      const X = ctx.upload(x);
      const out = ctx.empty([1]);
      meanAbs(ctx, X, out, s);
      await expectTwin(out, [meanAbsCpu(x)], 1e-6, 'meanAbs');
      for (const t of [X, out]) t.release();
    }
  });
});

describe('explain image kernels', () => {
  it('selectKth: the k-th smallest key and its rank among ties, per segment', async () => {
    const ctx = await gpuContext();
    const rand = seededRandom(7);
    for (const [S, n, k] of [[3, 289, 173], [1, 1, 0], [2, 66049, 59444]]) {
      // Quantised values (ties) of both signs, with zeros.
      const x = Float32Array.from({ length: S * n }, () => Math.round((rand() - 0.4) * 20) / 8);
      const X = ctx.upload(x);
      const state = ctx.empty([4 * S], 'u32');
      selectKth(ctx, X, state, S, n, k);
      const got = await readU32(state);
      const want = selectKthCpu(x, S, n, k);
      for (let s = 0; s < S; s++) expect([got[4 * s], got[4 * s + 1]]).toEqual([want[4 * s], want[4 * s + 1]]);
      for (const t of [X, state]) t.release();
    }
  });

  it('fuseHeads: mean, min and max, with and without gradients and clamps; 257 tokens; one head', async () => {
    const ctx = await gpuContext();
    const cases: { B: number; H: number; N: number; T?: number; fusion: HeadFusion; withGrad: boolean; reluAfter?: boolean; reluEach?: boolean }[] = [
      { B: 2, H: 3, N: 17, fusion: 'mean', withGrad: false },
      { B: 2, H: 3, N: 17, T: 2, fusion: 'mean', withGrad: true, reluEach: true },
      { B: 2, H: 3, N: 17, T: 2, fusion: 'max', withGrad: true, reluAfter: true },
      { B: 1, H: 3, N: 257, fusion: 'min', withGrad: false },
      { B: 3, H: 1, N: 5, fusion: 'max', withGrad: false, reluAfter: true },
    ];
    for (const c of cases) {
      const rand = seededRandom(c.N * c.H);
      const attn = randomArray(c.B * c.H * c.N * c.N, rand);
      const grad = c.withGrad ? randomArray((c.T ?? 1) * c.B * c.H * c.N * c.N, rand) : undefined;
      const A = ctx.upload(attn);
      const G = grad ? ctx.upload(grad) : undefined;
      const out = ctx.empty([(c.T ?? 1) * c.B * c.N * c.N]);
      fuseHeads(ctx, { attn: A, grad: G, out, ...c });
      await expectTwin(out, fuseHeadsCpu(attn, grad, c), 1e-6, `fuseHeads ${JSON.stringify(c)}`);
      for (const t of [A, G, out]) t?.release();
    }
  });

  it('composePatches, occludePatches and an FGSM step on 17 x 70 images in 4 x 5 patches', async () => {
    const ctx = await gpuContext();
    const g = PATCHED;
    const rand = seededRandom(70);
    const B = 2;
    const n = g.C * g.H * g.W;
    const a = randomArray(B * n, rand);
    const base = randomArray(B * n, rand);
    const [A, BASE] = [a, base].map((x) => ctx.upload(x));

    const S = 3;
    const keep = bits(S * g.P, rand);
    const imageOf = Uint32Array.from([1, 0, 1]);
    const [KEEP, IMG] = [ctx.upload(keep), ctx.upload(imageOf)];
    const composed = ctx.empty([S * n]);
    composePatches(ctx, { a: A, base: BASE, keep: KEEP, imageOf: IMG, out: composed, S, ...g });
    await expectTwin(composed, composePatchesCpu(a, base, keep, imageOf, S, g), 0, 'compose');

    const fill = Float32Array.from([0.5, -1, 2]);
    const items = Uint32Array.from([0, g.P - 1, g.P + 13, 2 * g.P - 1, 5]);
    const [FILL, ITEMS] = [ctx.upload(fill), ctx.upload(items)];
    const occluded = ctx.empty([3 * n]);
    occludePatches(ctx, { images: A, fill: FILL, items: ITEMS, out: occluded, first: 1, count: 3, ...g });
    await expectTwin(occluded, occludePatchesCpu(a, fill, items, 1, 3, g), 0, 'occlude');

    const gradient = Float32Array.from(randomArray(B * n, rand), (v, i) => (i % 7 === 0 ? 0 : v));
    const mask = bits(B * g.P, rand);
    const active = Float32Array.from([1, 0]);
    const channel = Float32Array.from([-1, 1, 0.1, -2, 0.5, 0.25, -0.3, 0.3, 0.05]);
    const [GRAD, MASK, ACTIVE, CHANNEL] = [gradient, mask, active, channel].map((x) => ctx.upload(x));
    const X = ctx.upload(a);
    fgsmStep(ctx, { grad: GRAD, mask: MASK, active: ACTIVE, channel: CHANNEL, x: X, B, ...g });
    await expectTwin(X, fgsmStepCpu(gradient, mask, active, channel, a, B, g), 1e-7, 'fgsm');
    for (const t of [A, BASE, KEEP, IMG, composed, FILL, ITEMS, occluded, GRAD, MASK, ACTIVE, CHANNEL, X]) t.release();
  });

  it('perturb: interpolation and seeded noise copies of 2 images', async () => {
    const ctx = await gpuContext();
    const rand = seededRandom(3);
    const B = 2;
    const copies = 3;
    const n = 3 * 17 * 19;
    const x = randomArray(B * n, rand);
    const base = randomArray(B * n, rand);
    const coef = Float32Array.from({ length: copies * B }, () => rand());
    const [X, BASE, COEF] = [x, base, coef].map((v) => ctx.upload(v, [v.length / n, n]));
    COEF.release();
    const C = ctx.upload(coef);
    const out = ctx.empty([copies * B, n]);
    perturb(ctx, { x: X, base: BASE, coef: C, out, copies, mode: 'lerp' });
    await expectTwin(out, perturbCpu(x, base, coef, { B, copies, mode: 'lerp' }), 1e-6, 'lerp');
    perturb(ctx, { x: X, coef: C, out, copies, mode: 'noise', seed: 1234 });
    await expectTwin(out, perturbCpu(x, undefined, coef, { B, copies, mode: 'noise', seed: 1234 }), 1e-5, 'noise');
    for (const t of [X, BASE, C, out]) t.release();
  });

  it('roll, Gaussian blur and the ascent step on a 3 x 17 x 70 image and on one pixel', async () => {
    const ctx = await gpuContext();
    for (const s of [{ C: 3, H: 17, W: 70 }, { C: 1, H: 1, W: 1 }] as ImageShape[]) {
      const rand = seededRandom(s.W);
      const n = s.C * s.H * s.W;
      const x = randomArray(n, rand);
      const g = randomArray(n, rand);
      const weights = Float32Array.from([1, 4, 6, 4, 1], (w) => w / 16);
      const bounds = Float32Array.from({ length: 2 * s.C }, (_, i) => (i % 2 ? 0.6 : -0.7));
      const [X, G, WEIGHTS, BOUNDS] = [x, g, weights, bounds].map((v) => ctx.upload(v));
      const out = ctx.empty([n]);
      roll(ctx, X, out, s, 5, -3);
      await expectTwin(out, rollCpu(x, s, 5, -3), 0, 'roll');
      const blurred = ctx.upload(x);
      gaussianBlur(ctx, blurred, out, WEIGHTS, s);
      await expectTwin(blurred, gaussianBlurCpu(x, weights, s), 1e-6, 'blur');
      const norm = ctx.upload(Float32Array.from([0.37]));
      ascentStep(ctx, G, norm, BOUNDS, X, s, 0.05, 0.1);
      await expectTwin(X, ascentStepCpu(g, Math.fround(0.37), bounds, x, s, 0.05, 0.1), 1e-6, 'ascent');
      for (const t of [X, G, WEIGHTS, BOUNDS, out, blurred, norm]) t.release();
    }
  });
});
