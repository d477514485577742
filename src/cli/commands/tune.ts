/**
 * `vitlens tune`: measures which matmul tile is fastest on this adapter for each shape class a
 * model runs (kernels/matmul-tune.ts), and stores the table in the cache folder, where every
 * later vitlens run in Node on this adapter and version picks it up (node/tile-cache.ts).
 */
import { writeFileSync } from 'node:fs';
import { classKey, serializeTileTable } from '../../gpu/tile-table.js';
import { recordMatmulShapes, tuneTiles, type ClassResult } from '../../kernels/matmul-tune.js';
import { gradients } from '../../model/gradients.js';
import { classTarget } from '../../model/targets.js';
import { createNodeContext } from '../../node/device.js';
import { asFileError } from '../../node/files.js';
import { tileTablePath, writeCachedTileTable } from '../../node/tile-cache.js';
import { mulberry32 } from '../../random.js';
import { VERSION } from '../../version.js';
import { intOption, listOption, parseArgs, stringOption } from '../args.js';
import { openModel } from '../common.js';
import { CliError } from '../errors.js';
import { Progress } from '../progress.js';

export const tuneHelp = `vitlens tune [--model DIR] [--batch LIST] [--quick] [--reps N] [--out FILE] [--json]

  Measures the matmul tiles of this machine's WebGPU adapter on the shapes a model runs
  (forward and backward to the pixels at each batch size), checks every candidate's output
  against the default tile's, and saves the fastest per shape class in the cache folder
  ($VITLENS_CACHE_DIR, else $XDG_CACHE_HOME/vitlens, else ~/.cache/vitlens). Later runs on
  this adapter with this vitlens version use it; delete the file to go back to the defaults.
  Applies to CPU adapters (lavapipe), whose 'simd' kernels have tunable tiles.

  --model DIR    timm hub folder (default: the bundled Fashion-MNIST ViT)
  --batch LIST   batch sizes whose shapes to tune (default 1,8)
  --quick        forward only, batch 1 unless --batch, two candidates per layout, 2 samples
  --reps N       timed samples per candidate (default 5)
  --out FILE     write the table to FILE instead of the cache (for createContext({ tileTable }))
  --json         machine-readable output`;

export async function tune(argv: string[]): Promise<void> {
  const args = parseArgs(argv, { model: { value: true }, batch: { value: true }, quick: {}, reps: { value: true }, out: { value: true }, json: {} }, { max: 0 });
  const quick = args.flags.has('quick');
  const json = args.flags.has('json');
  const given = listOption(args, 'batch');
  const batches = (given.length ? given : quick ? ['1'] : ['1', '8']).map((b) => {
    const n = Number(b);
    if (!Number.isInteger(n) || n < 1 || n > 256) throw new CliError(`--batch "${b}": expected integers 1..256`);
    return n;
  });
  const reps = intOption(args, 'reps', quick ? 2 : 5);
  const out = stringOption(args, 'out');
  const progress = new Progress(!json);
  // Measure against the built-in tiles, whatever the cache holds.
  const ctx = await createNodeContext({ pacedWait: true, tiles: 'default' }); // the CLI owns its process: see node/wait.ts
  try {
    if (ctx.kernelFamily !== 'simd') {
      const msg = `nothing to tune on ${ctx.info.name}: it runs the '${ctx.kernelFamily}' kernel family, whose tile is fixed (tuning applies to CPU adapters such as lavapipe)`;
      console.log(json ? JSON.stringify({ adapter: ctx.adapter, tuned: false, reason: msg }) : msg);
      return;
    }
    const model = openModel(ctx, stringOption(args, 'model'));
    let shapes;
    try {
      shapes = await recordMatmulShapes(ctx, async () => {
        const [C, H, W] = model.config.pretrained.inputSize;
        for (const B of batches) {
          const rand = mulberry32(B);
          const x = ctx.upload(Float32Array.from({ length: B * C * H * W }, () => rand() * 2 - 1), [B, C, H, W]);
          try {
            const f = model.forward(x);
            await f.latent.read();
            f.release();
            if (!quick && model.config.numClasses > 0) {
              const g = gradients(model, x, [classTarget(0)], { grads: ['input'] });
              await g.grads.get('input')!.read();
              g.release();
            }
          } finally {
            x.release();
          }
        }
      });
    } finally {
      model.dispose();
    }
    let done = 0;
    const classCount = new Set(shapes.map((s) => classKey(s.layout, s.M, s.N, s.K))).size;
    const { table, classes } = await tuneTiles(ctx, shapes, {
      quick,
      reps,
      onClass: (r) => progress.step(`${r.key}`, `${describeChoice(r)}  [${++done}/${classCount}]`),
    });
    let where: string;
    try {
      if (out) writeFileSync(out, serializeTileTable(table));
      where = out ?? writeCachedTileTable(table);
    } catch (e) {
      throw asFileError(e, out ?? tileTablePath(table.adapter)) ?? e;
    }
    progress.done();
    if (json) {
      console.log(JSON.stringify({ adapter: ctx.adapter, version: VERSION, path: where, table, classes: classes.map(summary) }, null, 2));
      return;
    }
    console.log(`\nmatmul tiles for ${ctx.info.name} (vitlens ${VERSION}), ${table.entries.length} of ${classes.length} shape classes changed from the default`);
    console.log(`saved to ${where}${out ? ' (pass it as createContext(device, { tileTable: parseTileTable(text) }))' : ''}`);
  } finally {
    ctx.dispose();
  }
}

function describeChoice(r: ClassResult): string {
  const failed = r.candidates.filter((c) => c.ms === null).length;
  const base = r.candidates[0];
  const head = r.chosen ? `${r.chosen.join('x')} ${r.speedup.toFixed(2)}x faster than ${base.tile.join('x')}` : `default ${base.tile.join('x')} kept`;
  return `${head} (${base.ms!.toFixed(2)} ms${failed ? `; ${failed} candidate(s) disagreed with the default and were dropped` : ''})`;
}

function summary(r: ClassResult) {
  return {
    class: r.key,
    shapes: r.shapes.map((s) => ({ batch: s.batch, M: s.M, N: s.N, K: s.K, vecA: s.vecA, count: s.count })),
    candidates: r.candidates.map((c) => ({ tile: c.tile, ms: c.ms, maxRelDiff: c.maxRelDiff })),
    chosen: r.chosen,
    speedup: r.speedup,
  };
}
