/**
 * Matmul kernel benchmark on ViT shapes: GFLOP/s of the kernel vitlens picks, and, with
 * --sweep, of other simd tile shapes (TM rows x TN column groups per workgroup) to tune the
 * table in src/kernels/matmul-simd.ts. Shapes: deit_tiny b1 (197 tokens) and b8, ViT-S, the
 * bundled Fashion-MNIST model (K = 64).
 *
 *   npx tsx bench/matmul.ts [--sweep | --tiles 32x2,32x4]
 */
import { matmul, type MatmulOptions } from '../src/kernels/matmul.js';
import { simdTileMatmul } from './lib/simd-tile.js';
import { createNodeContext } from '../src/node/device.js';
import { recordedMs, table } from './lib/timing.js';

const SHAPES: [string, number, number, number][] = [
  ['deit qkv b1', 197, 192, 576],
  ['deit fc1 b1', 197, 192, 768],
  ['deit fc2 b1', 197, 768, 192],
  ['deit fc1 b8', 1576, 192, 768],
  ['vit_s qkv b8', 1576, 384, 1152],
  ['vit_b fc1 b1', 197, 768, 3072],
  ['fmnist fc1 b1000', 50000, 64, 256],
];

const ctx = await createNodeContext({ pacedWait: true });
console.log(`adapter: ${ctx.info.name}, family ${ctx.kernelFamily}\n`);
const sweep = process.argv.includes('--sweep');
const tilesArg = process.argv.includes('--tiles') ? process.argv[process.argv.indexOf('--tiles') + 1] ?? '' : '';
const configs: [number, number][] = tilesArg
  ? tilesArg.split(',').map((t) => t.split('x').map(Number) as [number, number])
  : sweep ? [[16, 2], [16, 4], [24, 2], [32, 1], [32, 2], [32, 3], [32, 4], [40, 2], [48, 1], [48, 3], [64, 4]] : [];
const rows: (string | number)[][] = [];
for (const [name, M, K, N] of SHAPES) {
  const a = ctx.upload(new Float32Array(M * K).map(() => Math.random() - 0.5));
  const w = ctx.upload(new Float32Array(N * K).map(() => Math.random() - 0.5));
  const c = ctx.empty([M, N]);
  const opts: MatmulOptions = { M, N, K, a: { t: a, rowStride: K }, b: { t: w, rowStride: 1, colStride: K }, c: { t: c, rowStride: N } };
  const flop = 2 * M * N * K;
  const row: (string | number)[] = [name, `${M}x${K}x${N}`, (flop / (await recordedMs(ctx, () => matmul(ctx, opts), 5)) / 1e6).toFixed(1)];
  for (const tile of configs) {
    const ms = await recordedMs(ctx, simdTileMatmul(ctx, ctx.info.subgroupMaxSize || 8, tile, a, w, c, M, K, N), 5);
    row.push((flop / ms / 1e6).toFixed(1));
  }
  rows.push(row);
  for (const t of [a, w, c]) t.release();
}
console.log(table(['shape', 'M x K x N', 'GFLOP/s (default)', ...configs.map(([m, n]) => `nk4 ${m}x${n}`)], rows));
ctx.dispose();
process.exit(0);
