/**
 * Where a simd matmul's time goes: the default nk4 kernel timed as it is, with A's loads
 * replaced by values computed from the loop counter, with B's replaced, and with both (the
 * broadcasts, FMAs and register traffic alone: the most this kernel shape can reach on this
 * adapter however cheap loads became). Variants interleaved per round, medians. The variants
 * compute garbage on purpose; only their time is read.
 *
 *   npx tsx bench/matmul-anatomy.ts [--rounds 5] [--tile 32,2]
 */
import { createNodeContext } from '../src/node/device.js';
import { buildSimdMatmul } from '../src/kernels/matmul-simd.js';
import { parseArgs } from './lib/args.js';
import { simdTileMatmul, type KernelRewrite } from './lib/simd-tile.js';
import { recordedMs, table } from './lib/timing.js';

const SHAPES: [string, number, number, number][] = [
  ['deit qkv b1', 197, 192, 576],
  ['deit fc1 b8', 1576, 192, 768],
  ['deit fc2 b1', 197, 768, 192],
];

const args = parseArgs();
const rounds = args.num('rounds', 5);
const [TM, TN] = args.nums('tile', [32, 2]);

// The nk4 kernel's k-loop loads (matmul-simd.ts with vecA): `let at{q} = A[ar{q} + k4];`, `let b{j} = B[bc{j} + k4];`.
const noA = (code: string) => code.replace(/let at(\d+) = A\[ar\d+ \+ k4\];/g, 'let at$1 = vec4f(f32(k4 + lane + $1u));');
const noB = (code: string) => code.replace(/let b(\d+) = B\[bc\d+ \+ k4\];/g, 'let b$1 = vec4f(f32(k4 + lane + $1u));');
const VARIANTS: [string, KernelRewrite | undefined][] = [
  ['as shipped', undefined],
  ['no A loads', { tag: 'noA', code: noA }],
  ['no B loads', { tag: 'noB', code: noB }],
  ['no loads', { tag: 'noAB', code: (c) => noB(noA(c)) }],
];

const ctx = await createNodeContext({ pacedWait: true });
const lanes = ctx.info.subgroupMaxSize || 8;
console.log(`simd nk4 ${TM}x${TN} on ${ctx.info.name} (${lanes} lanes), ${rounds} rounds; GFLOP/s (median)\n`);
const rows: (string | number)[][] = [];
for (const [name, M, K, N] of SHAPES) {
  const a = ctx.upload(new Float32Array(M * K).map(() => Math.random() - 0.5));
  const w = ctx.upload(new Float32Array(N * K).map(() => Math.random() - 0.5));
  const c = ctx.empty([M, N]);
  const runs = VARIANTS.map(([, rewrite]) => simdTileMatmul(ctx, lanes, [TM, TN], a, w, c, M, K, N, rewrite));
  // A rewrite that matched nothing would time the shipped kernel twice.
  for (const [v, rewrite] of VARIANTS) if (rewrite && !/vec4f\(f32\(k4/.test(rewrite.code(buildSimdMatmul('nk4', lanes, TM, TN, true).kernel.code))) throw new Error(`${v}: the kernel's loads were not found`);
  const times: number[][] = VARIANTS.map(() => []);
  for (const run of runs) await recordedMs(ctx, run, 1); // compile
  for (let r = 0; r < rounds; r++) for (const [i, run] of runs.entries()) times[i].push(await recordedMs(ctx, run, 3));
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const ms = times.map(median);
  const flop = 2 * M * N * K;
  rows.push([name, `${M}x${K}x${N}`, ...ms.map((t) => (flop / t / 1e6).toFixed(1)), `${(100 * (1 - ms[3] / ms[0])).toFixed(0)} %`]);
  for (const t of [a, w, c]) t.release();
}
console.log(table(['shape', 'M x K x N', ...VARIANTS.map(([v]) => v), 'time in loads'], rows));
ctx.dispose();
