/**
 * Every ```sh and ```ts block of README.md runs, against the bundled model (assets/fmnist-vit)
 * and images (assets/images): shell lines through the CLI from source, TypeScript blocks as
 * files run with tsx. A README example that stops working fails here.
 *
 * The README speaks of the user's own model and photos; these substitutions turn its placeholders
 * into the bundled files (applied in this order, to whole tokens):
 *
 *   shell                                  becomes
 *   npx vitlens                            node --import tsx src/cli/main.ts (by absolute paths)
 *   photo.jpg, dog.png, img.png, huge.png  assets/images/8-bag.png
 *   cat.png                                assets/images/9-ankle-boot.png
 *   path/to/deit_tiny_patch16_224, DIR     assets/fmnist-vit
 *   --class 243                            --class 3          (an ImageNet id; 10 classes here)
 *   "tabby cat"                            "ankle boot"       (an ImageNet label name)
 *   examples/stripes/                      the repository's examples/stripes/
 *   --batch 1,8                            --batch 1 --reps 1 --method rollout   (all methods at
 *                                          batch 8 take minutes)
 *   explain without --method               + --method cdam,gradcam --no-attention (every method
 *                                          is run by test/cli/explain.test.ts)
 *   npm run fuzz [-- ...]                  the same from the repository, 3 inputs per family
 *                                          (--count 3) into a temporary --out
 *   Lines that install or run the test suite (`npm install`, `npm test`) are not run, nor
 *   `npm run gpu:pack` (minutes of xz; `npm run gpu:smoke` in .ci/run builds and runs a pack).
 *
 *   TypeScript                             becomes
 *   'vitlens/node', 'vitlens'              src/node/index.ts, src/index.ts
 *   'path/to/timm-hub-folder'              assets/fmnist-vit
 *   'cat.png'                              assets/images/9-ankle-boot.png
 *   a block using `model` and `x` without  gets a prelude loading the bundled model into `model`
 *   making them                            and one image into `x`
 *   a browser block (navigator.gpu)        gets a prelude: navigator.gpu is Dawn, configJson and
 *                                          safetensorsBytes the bundled model's files, canvasCtx a
 *                                          canvas holding one bundled image, ImageData a plain
 *                                          class; a picture at least the image's size must be put back
 *
 * Commands run in a temporary folder (outputs such as out/ and cdam.png land there).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/cli.js';

interface Block {
  lang: 'sh' | 'ts';
  line: number;
  code: string;
}

function readmeBlocks(): Block[] {
  const text = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const blocks: Block[] = [];
  const re = /^```(sh|ts)\n([\s\S]*?)^```$/gm;
  for (let m; (m = re.exec(text)); ) blocks.push({ lang: m[1] as 'sh' | 'ts', line: text.slice(0, m.index).split('\n').length, code: m[2] });
  return blocks;
}

/** tsx's loader by path: the commands run in a temporary folder, where `--import tsx` would not resolve. */
const TSX = pathToFileURL(join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href;
const asset = (p: string) => join(repoRoot, 'assets', p);
const MODEL = asset('fmnist-vit');
const BAG = asset('images/8-bag.png');
const BOOT = asset('images/9-ankle-boot.png');

function shellCommand(line: string): string | undefined {
  const cmd = line.replace(/\s+#.*$/, '').trim();
  if (!cmd || /^npm (install|test|run gpu:pack)\b/.test(cmd)) return undefined;
  if (/^npm run fuzz\b/.test(cmd)) {
    const opts = cmd.replace(/^npm run fuzz( --)?/, '').replace(/--count \d+/, '');
    return `npm --prefix ${repoRoot} run fuzz -- ${opts.trim()} --count 3 --out ${mkdtempSync(join(tmpdir(), 'vitlens-readme-fuzz-'))}`;
  }
  let c = ` ${cmd} `
    .replace(/ npx vitlens /g, ` ${process.execPath} --import ${TSX} ${join(repoRoot, 'src/cli/main.ts')} `)
    .replace(/ (photo\.jpg|dog\.png|img\.png|huge\.png)(?= )/g, ` ${BAG}`)
    .replace(/ cat\.png(?= )/g, ` ${BOOT}`)
    .replace(/ --model (path\/to\/deit_tiny_patch16_224|DIR)(?= )/g, ` --model ${MODEL}`)
    .replace(/ --class 243(?= )/g, ' --class 3')
    .replace(/ "tabby cat"(?= )/g, ' "ankle boot"')
    .replace(/ examples\/stripes\/(?= )/g, ` ${join(repoRoot, 'examples/stripes/')}`)
    .replace(/ --batch 1,8(?= )/g, ' --batch 1 --reps 1 --method rollout');
  if (/ main\.ts explain /.test(c) && !/ --method /.test(c) && !/ --help /.test(c)) c += '--method cdam,gradcam --no-attention ';
  return c.trim();
}

const SRC = (p: string) => JSON.stringify(join(repoRoot, 'src', p));

const MODEL_PRELUDE = `
import * as __vl from ${SRC('node/index.ts')};
const __ctx = await __vl.createNodeContext();
const model = __vl.loadModelDir(__ctx, ${JSON.stringify(MODEL)});
const x = __vl.imageBatch(model, [__vl.readImageFileSync(${JSON.stringify(BAG)})]);
`;
const MODEL_EPILOGUE = `
x.release();
model.dispose();
__ctx.dispose();
`;

const BROWSER_PRELUDE = `
import { create as __create, globals as __globals } from ${JSON.stringify(pathToFileURL(join(repoRoot, 'node_modules/webgpu/index.js')).href)};
import { readFileSync as __read } from 'node:fs';
import { readImageFileSync as __image, toImageData as __toImageData } from ${SRC('node/index.ts')};
Object.assign(globalThis, __globals);
Object.defineProperty(globalThis, 'navigator', { value: { gpu: __create([]) }, configurable: true });
const configJson = JSON.parse(__read(${JSON.stringify(join(MODEL, 'config.json'))}, 'utf8'));
const safetensorsBytes = __read(${JSON.stringify(join(MODEL, 'model.safetensors'))});
const __pixels = __toImageData(__image(${JSON.stringify(BOOT)}));
const w = __pixels.width;
const h = __pixels.height;
let __put: { width: number; height: number } | undefined;
class ImageData { constructor(readonly data: Uint8ClampedArray, readonly width: number, readonly height: number) {} }
const canvasCtx = {
  getImageData: (x0: number, y0: number, ww: number, hh: number) => (ww === w && hh === h ? __pixels : undefined),
  putImageData: (img: ImageData) => { __put = img; },
};
`;
const BROWSER_EPILOGUE = `
if (!__put || !(__put.width >= w && __put.height >= h)) throw new Error('the browser example drew no picture of the image');
`;

/** The block as a runnable file: imports pointed at the sources, placeholders replaced, preludes added. */
function tsProgram(code: string): string {
  let c = code
    .replace(/'vitlens\/node'/g, SRC('node/index.ts'))
    .replace(/'vitlens'/g, SRC('index.ts'))
    .replace(/'path\/to\/timm-hub-folder'/g, JSON.stringify(MODEL))
    .replace(/'cat\.png'/g, JSON.stringify(BOOT));
  if (/navigator\.gpu/.test(c)) c = `${BROWSER_PRELUDE}\n${c}\n${BROWSER_EPILOGUE}`;
  else if (/\bmodel\b/.test(c) && !/\bconst model\b/.test(c)) c = `${MODEL_PRELUDE}\n${c}\n${MODEL_EPILOGUE}`;
  // Dawn's instance can keep the event loop alive after the work is done.
  return `${c}\nprocess.exit(0);\n`;
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, FORCE_COLOR: '0' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

const blocks = readmeBlocks();

describe('README', () => {
  it('has shell and TypeScript blocks to check', () => {
    expect(blocks.filter((b) => b.lang === 'sh').length).toBeGreaterThanOrEqual(2);
    expect(blocks.filter((b) => b.lang === 'ts').length).toBeGreaterThanOrEqual(3);
  });

  it('names no file or folder of the repository that does not exist', () => {
    const text = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const paths = [...text.matchAll(/`((?:assets|examples|docs|scripts|bench|weights-tools|test|src)\/[\w./-]*)`/g)].map((m) => m[1].replace(/\/$/, ''));
    expect(paths.length).toBeGreaterThan(5);
    for (const p of paths) if (!/[<*]/.test(p)) expect(existsSync(join(repoRoot, p)), p).toBe(true);
    expect(existsSync(join(repoRoot, 'examples/stripes'))).toBe(true);
  });
});

// One block at a time: each starts its own process, and with a cold shader cache a dozen processes
// compiling the same pipelines at once on two cores starve each other (and the other test files).
describe('README blocks run against the bundled model', () => {
  const work = mkdtempSync(join(tmpdir(), 'vitlens-readme-'));
  for (const [i, b] of blocks.entries()) {
    if (b.lang === 'sh') {
      for (const line of b.code.split('\n')) {
        const cmd = shellCommand(line);
        if (!cmd) continue;
        it(`README line ${b.line + 1 + b.code.split('\n').indexOf(line)}: ${line.replace(/\s+#.*$/, '').trim()}`, { timeout: 300_000 }, async () => {
          const r = await run('bash', ['-c', cmd], work);
          expect(r.code, `${cmd}\n${r.out}`).toBe(0);
        });
      }
    } else {
      it(`README TypeScript block at line ${b.line}`, { timeout: 300_000 }, async () => {
        const file = join(work, `block-${i}.mts`);
        writeFileSync(file, tsProgram(b.code));
        const r = await run(process.execPath, ['--import', TSX, file], work);
        expect(r.code, r.out).toBe(0);
      });
    }
  }
});
