/** `vitlens predict`: top-k classes for images. */
import { basename } from 'node:path';
import { imageBatch } from '../../model/input.js';
import { classify } from '../../model/predict.js';
import { createNodeContext } from '../../node/device.js';
import { intOption, parseArgs, stringOption } from '../args.js';
import { openImages, openModel } from '../common.js';

export const predictHelp = `vitlens predict [IMAGE|DIR ...] [--model DIR] [--top K] [--json]

  Classifies images with a timm ViT and prints the top-K classes.
  Without images, uses the bundled Fashion-MNIST test images; without --model, the bundled
  Fashion-MNIST ViT.

  --model DIR   timm hub folder (config.json + model.safetensors)
  --top K       classes per image (default 5)
  --json        machine-readable output`;

export async function predict(argv: string[]): Promise<void> {
  const args = parseArgs(argv, { model: { value: true }, top: { value: true }, json: {} });
  const k = intOption(args, 'top', 5);
  const images = openImages(args.positionals);
  const ctx = await createNodeContext({ pacedWait: true }); // the CLI owns its process: see node/wait.ts
  try {
    const model = openModel(ctx, stringOption(args, 'model'));
    const x = imageBatch(model, images.map((i) => i.image));
    const preds = await classify(model, x, k);
    x.release();
    model.dispose();
    if (args.flags.has('json')) {
      console.log(JSON.stringify(images.map((img, i) => ({ image: img.path, predictions: preds[i] })), null, 2));
      return;
    }
    console.log(`model ${model.config.architecture} on ${ctx.info.name}`);
    images.forEach((img, i) => {
      console.log(`\n${basename(img.path)}`);
      for (const p of preds[i]) console.log(`  ${(100 * p.prob).toFixed(1).padStart(5)}%  ${p.label} (class ${p.classId})`);
    });
  } finally {
    ctx.dispose();
  }
}
