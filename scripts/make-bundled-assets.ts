/**
 * Builds assets/: the trained Fashion-MNIST ViT (timm hub layout, from ../shared/models) and the
 * first held-out test image of each class as 28x28 grayscale PNGs (from ../shared/data), so the
 * package can explain something with no download. Run once; the output is committed.
 *   npx tsx scripts/make-bundled-assets.ts [SHARED_DIR]
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { parseSafetensors, toIntArray } from '../src/io/safetensors.js';

const shared = resolve(process.argv[2] ?? '../shared');
const out = resolve('assets');
const modelDir = join(out, 'fmnist-vit');
mkdirSync(modelDir, { recursive: true });
for (const f of ['config.json', 'model.safetensors']) copyFileSync(join(shared, 'models/fmnist-vit', f), join(modelDir, f));

const labels: string[] = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')).label_names;
const data = parseSafetensors(new Uint8Array(readFileSync(join(shared, 'data/fmnist-test.safetensors'))));
const images = data.tensors.get('images')!;
const ids = toIntArray(data.tensors.get('labels')!);
const [, h, w] = images.shape;
const imgDir = join(out, 'images');
mkdirSync(imgDir, { recursive: true });
for (let c = 0; c < labels.length; c++) {
  const i = ids.findIndex((v) => v === c);
  const png = new PNG({ width: w, height: h, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  png.data = Buffer.from(images.bytes.subarray(i * h * w, (i + 1) * h * w));
  const name = `${c}-${labels[c].toLowerCase().replace(/[^a-z]+/g, '-')}.png`;
  writeFileSync(join(imgDir, name), PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
  console.log(`${name}: test image ${i}`);
}
