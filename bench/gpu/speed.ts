/**
 * Speed on the GPU, with random weights (no checkpoint needed): forward, forward + backward to
 * the pixels and every registry method for ViT shapes at several batch sizes; matmul GFLOP/s on
 * ViT shapes (the family the context runs, plus a short sweep of the simd family's tiles where
 * the adapter has subgroups); dispatch and submit overhead; first-call (compile) time; per-kernel
 * GPU time from timestamps where the adapter has them.
 *
 * Every measurement asks the phase's budget first and predicts its own cost from what ran before
 * (a method at batch 8 costs about 8x its batch-1 time), so the phase ends on time and says what
 * it skipped.
 */
import { METHODS } from '../../src/explain/registry.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { matmul, type MatmulOptions } from '../../src/kernels/matmul.js';
import { simdTileMatmul } from '../lib/simd-tile.js';
import { recordedMs } from '../lib/timing.js';
import { gradients } from '../../src/model/gradients.js';
import { classTarget } from '../../src/model/targets.js';
import { forwardFlops, randomModel } from '../lib/models.js';
import type { Budget } from './budget.js';

export interface ModelTiming {
  model: string;
  batch: number;
  /** forward, forward+backward (to the pixels), or a registry method's name. */
  what: string;
  /** Median wall time of the repeated calls (read-back of the result included), ms. */
  ms: number | null;
  /** First call (its pipeline compiles included), ms; on the first batch of each item only. */
  firstMs?: number;
  reps: number;
  /** Forward GFLOP/s (matmuls only) where `what` is forward. */
  gflops?: number;
  skipped?: string;
}

export interface MatmulTiming {
  shape: string;
  M: number;
  K: number;
  N: number;
  kernel: string;
  gflops: number | null;
  skipped?: string;
}

export interface OverheadTiming {
  /** Wall µs per dispatch of a tiny matmul, 1000 recorded into one submit. */
  dispatchUs: number;
  /** Wall ms of one submit + read-back of 4 bytes (a round trip). */
  roundTripMs: number;
}

export interface KernelTime {
  kernel: string;
  calls: number;
  ms: number;
}

export interface SpeedReport {
  family: string;
  models: ModelTiming[];
  matmul: MatmulTiming[];
  overhead: OverheadTiming | null;
  /** GPU time per kernel of one forward + backward, from timestamps (null: no timestamp-query). */
  kernels: { model: string; batch: number; totalMs: number; top: KernelTime[] } | null;
}

export interface SpeedPlan {
  models: string[];
  batches: number[];
  /** Image size override for small smoke runs (e.g. 64 on lavapipe); default the model's own. */
  imgSize?: number;
  /** Depth override for small smoke runs. */
  depth?: number;
  matmulShapes: [string, number, number, number][];
  reps: number;
  /** Longest a single measured item may take (predicted), seconds. */
  itemCapS: number;
}

/** ViT linear-layer shapes: tokens x in x out. */
export function vitMatmulShapes(batches: number[]): [string, number, number, number][] {
  const dims: [string, number][] = [['deit_tiny', 192], ['vit_s', 384], ['vit_b', 768]];
  const out: [string, number, number, number][] = [];
  for (const [name, D] of dims) {
    for (const B of batches) {
      const M = 197 * B;
      out.push([`${name} qkv b${B}`, M, D, 3 * D], [`${name} fc1 b${B}`, M, D, 4 * D], [`${name} fc2 b${B}`, M, 4 * D, D]);
    }
  }
  return out;
}

async function timed(run: () => Promise<void>, reps: number, budget: Budget, capS: number): Promise<{ first: number; median: number | null; reps: number }> {
  const t0 = performance.now();
  await run();
  const first = performance.now() - t0;
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    // Each repeat costs about what the last one did.
    const last = samples.length ? samples[samples.length - 1] : first;
    if (!budget.fits(last / 1000) || (first + samples.reduce((a, b) => a + b, 0) + last) / 1000 > capS) break;
    const t = performance.now();
    await run();
    samples.push(performance.now() - t);
  }
  const s = samples.sort((a, b) => a - b);
  return { first, median: s.length ? s[Math.floor(s.length / 2)] : null, reps: s.length };
}

async function modelTimings(ctx: GpuContext, plan: SpeedPlan, budget: Budget, out: ModelTiming[]): Promise<void> {
  const overrides: Record<string, unknown> = {};
  if (plan.imgSize) overrides.img_size = plan.imgSize;
  if (plan.depth) overrides.depth = plan.depth;
  for (const name of plan.models) {
    const model = randomModel(ctx, name, overrides);
    const c = model.config;
    const label = name.replace(/_patch16_224$/, '');
    /** Last measured ms per `what` at the previous batch, to predict the next one. */
    const previous = new Map<string, { B: number; ms: number }>();
    for (const B of plan.batches) {
      const [H, W] = c.imgSize;
      const x = ctx.upload(new Float32Array(B * c.inChans * H * W).map(() => Math.random() * 2 - 1), [B, c.inChans, H, W]);
      const items: { what: string; run: () => Promise<void> }[] = [
        {
          what: 'forward',
          run: async () => {
            const r = model.forward(x);
            await r.logits!.read();
            r.release();
          },
        },
        {
          what: 'forward+backward',
          run: async () => {
            const g = gradients(model, x, [classTarget(7)], { grads: ['input'] });
            await g.grads.get('input')!.read();
            g.release();
          },
        },
        ...METHODS.map((m) => ({ what: m.name, run: async () => void (await m.run({ model, images: x, targets: 7 })) })),
      ];
      for (const item of items) {
        const row: ModelTiming = { model: label, batch: B, what: item.what, ms: null, reps: 0 };
        out.push(row);
        const prev = previous.get(item.what);
        const predictedS = prev ? (prev.ms * B) / prev.B / 1000 : 0;
        if (prev && predictedS > plan.itemCapS) {
          row.skipped = `predicted ${predictedS.toFixed(1)} s > ${plan.itemCapS} s per item`;
          continue;
        }
        if (!budget.fits(predictedS * 2)) {
          row.skipped = 'phase budget spent';
          continue;
        }
        try {
          const t = await timed(item.run, plan.reps, budget, plan.itemCapS);
          row.ms = t.median ?? t.first;
          row.reps = t.reps;
          // The first call of an item on a model compiles its pipelines.
          if (!prev) row.firstMs = t.first;
          if (item.what === 'forward' && row.ms) row.gflops = forwardFlops(c, B) / row.ms / 1e6;
          previous.set(item.what, { B, ms: row.ms });
        } catch (e) {
          row.skipped = `threw: ${(e as Error).message.split('\n')[0]}`;
        }
      }
      x.release();
    }
    model.dispose();
  }
}

function matmulOperands(ctx: GpuContext, M: number, K: number, N: number) {
  const a = ctx.upload(new Float32Array(M * K).map(() => Math.random() - 0.5), [M, K]);
  const w = ctx.upload(new Float32Array(N * K).map(() => Math.random() - 0.5), [N, K]);
  const c = ctx.empty([M, N]);
  const opts: MatmulOptions = { M, N, K, a: { t: a, rowStride: K }, b: { t: w, rowStride: 1, colStride: K }, c: { t: c, rowStride: N } };
  return { a, w, c, opts, release: () => [a, w, c].forEach((t) => t.release()) };
}

/** Simd tiles to sweep: rows per workgroup a multiple of the subgroup size, 1..4 column groups. */
function sweepTiles(lanes: number): [number, number][] {
  return [[lanes, 1], [lanes, 2], [lanes, 4], [2 * lanes, 1], [2 * lanes, 2]];
}

async function matmulTimings(ctx: GpuContext, plan: SpeedPlan, budget: Budget, out: MatmulTiming[]): Promise<void> {
  const lanes = ctx.info.subgroupMaxSize || 0;
  const sweep = ctx.info.subgroups && lanes > 0 ? sweepTiles(lanes) : [];
  for (const [shape, M, K, N] of plan.matmulShapes) {
    const flop = 2 * M * N * K;
    const ops = matmulOperands(ctx, M, K, N);
    // Enough repeats for ~50 ms of work at 10 TFLOP/s, at least 3.
    const reps = Math.max(3, Math.min(200, Math.round(5e11 / flop)));
    const kernels: { kernel: string; run: () => void }[] = [{ kernel: `default (${ctx.kernelFamily})`, run: () => matmul(ctx, ops.opts) }];
    for (const [TM, TN] of sweep) {
      kernels.push({ kernel: `simd nk4 ${TM}x${TN}`, run: simdTileMatmul(ctx, lanes, [TM, TN], ops.a, ops.w, ops.c, M, K, N) });
    }
    for (const k of kernels) {
      const row: MatmulTiming = { shape, M, K, N, kernel: k.kernel, gflops: null };
      out.push(row);
      if (!budget.fits(1)) {
        row.skipped = 'phase budget spent';
        continue;
      }
      try {
        row.gflops = flop / (await recordedMs(ctx, k.run, reps)) / 1e6;
      } catch (e) {
        row.skipped = `threw: ${(e as Error).message.split('\n')[0]}`;
      }
    }
    ops.release();
  }
}

export function emptySpeedReport(ctx: GpuContext): SpeedReport {
  return { family: ctx.kernelFamily, models: [], matmul: [], overhead: null, kernels: null };
}

async function overhead(ctx: GpuContext): Promise<OverheadTiming> {
  const ops = matmulOperands(ctx, 16, 16, 16);
  const n = 1000;
  const dispatchMs = await recordedMs(ctx, () => {
    for (let i = 0; i < n; i++) matmul(ctx, ops.opts);
  }, 3);
  const reads: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    matmul(ctx, ops.opts);
    await ops.c.read();
    reads.push(performance.now() - t);
  }
  ops.release();
  reads.sort((a, b) => a - b);
  return { dispatchUs: (dispatchMs / n) * 1000, roundTripMs: reads[Math.floor(reads.length / 2)] };
}

async function kernelProfile(ctx: GpuContext, plan: SpeedPlan): Promise<SpeedReport['kernels']> {
  if (!ctx.info.timestamps) return null;
  const name = plan.models[plan.models.length - 1];
  const B = plan.batches[Math.min(1, plan.batches.length - 1)];
  const overrides: Record<string, unknown> = {};
  if (plan.imgSize) overrides.img_size = plan.imgSize;
  if (plan.depth) overrides.depth = plan.depth;
  const model = randomModel(ctx, name, overrides);
  const c = model.config;
  const x = ctx.upload(new Float32Array(B * c.inChans * c.imgSize[0] * c.imgSize[1]).map(() => Math.random() - 0.5), [B, c.inChans, ...c.imgSize]);
  const step = async () => {
    const g = gradients(model, x, [classTarget(7)], { grads: ['input'] });
    await g.grads.get('input')!.read();
    g.release();
  };
  await step();
  ctx.startProfiling();
  await step();
  const timings = await ctx.stopProfiling();
  x.release();
  model.dispose();
  // Shapes are part of matmul labels: group by kernel name and shape as the profiler reports them.
  const top = [...timings].sort((a, b) => b.ms - a.ms).slice(0, 15).map((t) => ({ kernel: t.kernel, calls: t.calls, ms: t.ms }));
  return { model: name.replace(/_patch16_224$/, ''), batch: B, totalMs: timings.reduce((a, t) => a + t.ms, 0), top };
}

/** Runs the speed phase, filling `report` as it goes (a watchdog can write what finished). */
export async function speed(ctx: GpuContext, plan: SpeedPlan, budget: Budget, report: SpeedReport = emptySpeedReport(ctx)): Promise<SpeedReport> {
  report.overhead = await overhead(ctx);
  await matmulTimings(ctx, plan, budget.part('matmul', 0.2), report.matmul);
  try {
    report.kernels = await kernelProfile(ctx, plan);
  } catch (e) {
    console.error(`[gpu-check] kernel profile failed: ${(e as Error).message.split('\n')[0]}`);
  }
  await modelTimings(ctx, plan, budget, report.models);
  return report;
}
