/**
 * `vitlens bench`: how fast this machine runs a model — forward, forward + backward to the
 * pixels, and every explanation method — with medians over repeated runs. The bench/ scripts of
 * the repository go further (PyTorch in the same run, kernel breakdowns); this one works from an
 * installed package on any model folder.
 */
import type { Tensor } from '../../gpu/tensor.js';
import { gradients } from '../../model/gradients.js';
import { classTarget } from '../../model/targets.js';
import type { VisionTransformer } from '../../model/vit.js';
import { createNodeContext } from '../../node/device.js';
import { intOption, listOption, parseArgs, stringOption } from '../args.js';
import { nonEmptyList, openModel, parseMethods } from '../common.js';
import { CliError } from '../errors.js';
import { Progress } from '../progress.js';
import { timeMs } from '../timing.js';

export const benchHelp = `vitlens bench [--model DIR] [--batch LIST] [--method LIST] [--reps N] [--json]

  Times a model on this machine's WebGPU adapter: forward, forward + backward to the input
  pixels, and explanation methods (median of N runs after one warm-up run, which also compiles
  the pipelines). Inputs are random; without --model, the bundled Fashion-MNIST ViT.

  --model DIR     timm hub folder (config.json + model.safetensors)
  --batch LIST    batch sizes (default 1,8)
  --method LIST   methods to time, "all" or "none" (default all); --methods is the same
  --reps N        timed runs per measurement (default 5)
  --json          machine-readable output`;

function randomInput(model: VisionTransformer, B: number): Tensor {
  const [C, H, W] = model.config.pretrained.inputSize;
  let s = 12345;
  const data = Float32Array.from({ length: B * C * H * W }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
  return model.ctx.upload(data, [B, C, H, W]);
}

export async function bench(argv: string[]): Promise<void> {
  const args = parseArgs(argv, { model: { value: true }, batch: { value: true }, method: { value: true, multiple: true, also: ['methods'] }, reps: { value: true }, json: {} }, { max: 0 });
  const batches = (listOption(args, 'batch').length ? listOption(args, 'batch') : ['1', '8']).map((b) => {
    const n = Number(b);
    if (!Number.isInteger(n) || n < 1) throw new CliError(`--batch "${b}": expected positive integers`);
    return n;
  });
  const names = nonEmptyList(args, 'method');
  const methods = names.includes('none') ? [] : parseMethods(names);
  const reps = intOption(args, 'reps', 5);
  const progress = new Progress(!args.flags.has('json'));
  const ctx = await createNodeContext({ pacedWait: true }); // the CLI owns its process: see node/wait.ts
  try {
    const model = openModel(ctx, stringOption(args, 'model'));
    const rows: { what: string; batch: number; ms: number }[] = [];
    try {
      for (const B of batches) {
        const x = randomInput(model, B);
        try {
          const measure = async (what: string, fn: () => Promise<unknown>) => {
            const ms = (await timeMs(fn, reps)).median;
            rows.push({ what, batch: B, ms });
            progress.step(`b${B} ${what}`, `${ms.toFixed(1)} ms`);
          };
          await measure('forward', async () => {
            const r = model.forward(x);
            await r.latent.read();
            r.release();
          });
          if (model.config.numClasses > 0) {
            await measure('forward + backward to pixels', async () => {
              const g = gradients(model, x, [classTarget(0)], { grads: ['input'] });
              await g.grads.get('input')!.read();
              g.release();
            });
          }
          for (const m of methods) await measure(m.name, () => m.run({ model, images: x, targets: 0 }));
        } finally {
          x.release();
        }
      }
    } finally {
      model.dispose();
    }
    if (args.flags.has('json')) {
      console.log(JSON.stringify({ model: model.config.architecture, adapter: ctx.info.name, reps, results: rows }, null, 2));
      return;
    }
    console.log(`\n${model.config.architecture} on ${ctx.info.name} (median of ${reps})\n`);
    const what = [...new Set(rows.map((r) => r.what))];
    const w = Math.max(...what.map((s) => s.length));
    console.log(`${''.padEnd(w)}  ${batches.map((b) => `batch ${b}`.padStart(12)).join('')}`);
    for (const name of what) {
      console.log(`${name.padEnd(w)}  ${batches.map((b) => `${rows.find((r) => r.what === name && r.batch === b)!.ms.toFixed(1)} ms`.padStart(12)).join('')}`);
    }
  } finally {
    ctx.dispose();
  }
}
