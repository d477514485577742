/**
 * Regenerates the pictures in README.md from the bundled model and images:
 *   docs/pictures/methods.png  rows = bundled images, columns = input and six methods;
 *   docs/pictures/report.png   a screenshot of the report `vitlens explain` writes (needs
 *                              Debian's chromium; skipped with a note when it is missing).
 *
 *   npx tsx scripts/readme-pictures.ts
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { methodByName } from '../src/explain/registry.js';
import { readImageFileSync } from '../src/io/decode-node.js';
import { writePng } from '../src/io/encode-node.js';
import { overlayMap, scaleImage, tileImages } from '../src/render/picture.js';
import { resizeAndCrop } from '../src/io/preprocess.js';
import { imageBatch } from '../src/model/input.js';
import { createNodeContext } from '../src/node/device.js';
import { loadModelDir } from '../src/node/load.js';

const out = 'docs/pictures';
const names = ['0-t-shirt-top', '1-trouser', '5-sandal', '8-bag', '9-ankle-boot'];
const methods = ['rollout', 'grad-rollout', 'relevance', 'cdam', 'gradcam', 'tam'];
const size = 112;

const ctx = await createNodeContext({ pacedWait: true });
const model = loadModelDir(ctx, 'assets/fmnist-vit');
const raws = names.map((n) => readImageFileSync(`assets/images/${n}.png`));
const views = raws.map((r) => resizeAndCrop(r, model.config.pretrained));
const x = imageBatch(model, raws);
const rows = views.map((v) => [scaleImage(v, size, size)]);
for (const name of methods) {
  const m = await methodByName(name)!.run({ model, images: x, targets: 'top' });
  m.maps[0].forEach((map, b) => rows[b].push(overlayMap(views[b], map, m.grid, m.signed, { size }).image));
}
writePng(join(out, 'methods.png'), tileImages(rows, 4));
x.release();
model.dispose();
ctx.dispose();
console.log(`${out}/methods.png: rows ${names.join(', ')}; columns input, ${methods.join(', ')}`);

const chromium = '/usr/bin/chromium';
if (!existsSync(chromium)) {
  console.log(`${chromium} not found (apt-get install chromium): ${out}/report.png not regenerated`);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'vitlens-readme-'));
  execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'explain', 'assets/images/9-ankle-boot.png', '--size', '128', '--out', dir], { stdio: 'ignore' });
  execFileSync(chromium, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${join(dir, 'chromium')}`, '--hide-scrollbars', '--window-size=1000,860', `--screenshot=${join(out, 'report.png')}`, `file://${join(dir, 'report.html')}`], { stdio: 'ignore' });
  console.log(`${out}/report.png: screenshot of ${dir}/report.html`);
}
