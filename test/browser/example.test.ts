/**
 * The browser example (examples/browser/) in a real browser: Debian's Chromium, headless, driven
 * by playwright-core, WebGPU on SwiftShader (Chrome's CPU implementation). The page's logits and
 * maps must equal what vitlens computes in Node on Dawn for the same PNG, decoded there by
 * pngjs and in the page by the browser (<img> -> canvas -> getImageData).
 *
 * Run with `npm run test:browser` (not part of `npm test`). Chromium: /usr/bin/chromium, or
 * the path in CHROMIUM_PATH. SwiftShader is slow (~10x lavapipe), so this sticks to two
 * images and cheap methods.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoState } from '../../examples/browser/main.js';
import { startExampleServer, type ExampleServer } from '../../scripts/serve-browser-example.js';
import { methodByName } from '../../src/explain/registry.js';
import { readImageFile } from '../../src/io/decode-node.js';
import { imageBatch } from '../../src/model/input.js';
import { logitsOf } from '../../src/model/predict.js';
import { loadModelDir } from '../../src/node/load.js';
import { repoRoot } from '../helpers/cli.js';
import { maxAbsDiff, relToMax } from '../helpers/compare.js';
import { gpuContext } from '../helpers/gpu.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const IMAGES = ['0-t-shirt-top', '7-sneaker'];
const METHODS = ['rollout', 'cdam'];

/** What vitlens in Node computes: logits and maps per image and method. */
interface Reference {
  logits: Float32Array;
  maps: Record<string, Float32Array>;
}

let server: ExampleServer;
let browser: BrowserContext;
let profileDir: string;
const reference = new Map<string, Reference>();

async function nodeReference(): Promise<void> {
  const ctx = await gpuContext();
  const model = loadModelDir(ctx, join(repoRoot, 'assets/fmnist-vit'));
  for (const name of IMAGES) {
    const x = imageBatch(model, [await readImageFile(join(repoRoot, `assets/images/${name}.png`))]);
    const [logits] = await logitsOf(model, x);
    const maps: Record<string, Float32Array> = {};
    for (const m of METHODS) maps[m] = (await methodByName(m)!.run({ model, images: x, targets: 'top' })).maps[0][0];
    x.release();
    reference.set(name, { logits, maps });
  }
  model.dispose();
}

async function launch(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: install Debian's (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  profileDir = mkdtempSync(join(tmpdir(), 'vitlens-chromium-'));
  // The launch that runs WebGPU headless on SwiftShader here (../shared/PLATFORM.md, "Browsers").
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu'],
  });
}

/** Opens the example; page errors and console errors fail the run that follows. */
async function openPage(query = ''): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  await page.goto(server.url + query);
  return { page, problems };
}

const demoState = (page: Page) => page.evaluate(() => (window as unknown as { vitlensDemo: DemoState }).vitlensDemo);

/** Waits until the page has finished a run for `image` and `method` (or failed). */
async function finishedRun(page: Page, image: string, method: string, problems: string[]): Promise<DemoState> {
  await page.waitForFunction(
    ([i, m]) => {
      const d = (window as unknown as { vitlensDemo?: DemoState }).vitlensDemo;
      return d && (d.state === 'error' || (d.state === 'ready' && d.image === i && d.method === m));
    },
    [image, method],
    { timeout: 90_000 },
  );
  const d = await demoState(page);
  expect(problems).toEqual([]);
  expect(d.error).toBeUndefined();
  return d;
}

/** Selects `image` and `method` in the page's select boxes and waits for the run. */
async function select(page: Page, image: string, method: string, problems: string[]): Promise<DemoState> {
  if ((await page.inputValue('#image')) !== image) await page.selectOption('#image', image);
  if ((await page.inputValue('#method')) !== method) await page.selectOption('#method', method);
  return finishedRun(page, image, method, problems);
}

/** Largest differences to Node seen so far (printed at the end, for the record). */
const worst = { logitsAbs: 0, mapRel: {} as Record<string, number> };

function expectMatchesNode(d: DemoState): void {
  const ref = reference.get(d.image!)!;
  expect(d.logits).toHaveLength(ref.logits.length);
  const logitsAbs = maxAbsDiff(d.logits!, ref.logits).max;
  expect(logitsAbs).toBeLessThanOrEqual(1e-4);
  expect(d.map).toHaveLength(ref.maps[d.method!].length);
  const mapRel = relToMax(d.map!, ref.maps[d.method!]);
  expect(mapRel).toBeLessThanOrEqual(1e-4);
  worst.logitsAbs = Math.max(worst.logitsAbs, logitsAbs);
  worst.mapRel[d.method!] = Math.max(worst.mapRel[d.method!] ?? 0, mapRel);
}

beforeAll(async () => {
  // Chromium starts while Node computes the reference (both are mostly waiting on shader compiles).
  [server] = await Promise.all([startExampleServer(), launch(), nodeReference()]);
});

afterAll(async () => {
  console.log('largest differences to Node/Dawn:', JSON.stringify(worst, (_, v) => (typeof v === 'number' ? Number(v.toPrecision(2)) : v)));
  await browser?.close();
  await server?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

describe('browser example on Chromium (SwiftShader)', () => {
  it('finds an adapter, and its logits, rollout and CDAM maps equal Node/Dawn for two images', async () => {
    const { page, problems } = await openPage();
    const timings: Record<string, Record<string, number>> = {};
    // The page starts with the first image and rollout.
    let d = await finishedRun(page, IMAGES[0], METHODS[0], problems);
    expect(d.adapter).toBeTruthy();
    expect(d.adapter).not.toBe('unknown adapter');
    expect(await page.textContent('#status')).toContain(d.adapter!);
    expectMatchesNode(d);
    timings[`${d.image} ${d.method} (cold)`] = { ...d.timings };
    for (const image of IMAGES) {
      for (const method of METHODS) {
        if (image === IMAGES[0] && method === METHODS[0]) continue; // checked above
        d = await select(page, image, method, problems);
        expectMatchesNode(d);
        timings[`${image} ${method}`] = { logits: d.timings.logits, [method]: d.timings[method] };
      }
    }
    // The overlay canvas got painted: many distinct colours, not a blank canvas.
    const colours = await page.evaluate(() => {
      const c = document.getElementById('overlay') as HTMLCanvasElement;
      const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const seen = new Set<number>();
      for (let i = 0; i < px.length; i += 4) seen.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
      return { width: c.width, height: c.height, distinct: seen.size };
    });
    expect(colours).toMatchObject({ width: 224, height: 224 });
    expect(colours.distinct).toBeGreaterThan(100);
    console.log(`adapter ${d.adapter}, ${d.kernelFamily} kernels; page timings (ms):`, JSON.stringify(timings, (_, v) => (typeof v === 'number' ? Math.round(v) : v)));
    await page.close();
  });

  it('the GPU kernel family (tiled, what real GPUs run) gives the same numbers', async () => {
    const { page, problems } = await openPage('?kernels=tiled');
    const d = await finishedRun(page, IMAGES[0], METHODS[0], problems);
    expect(d.kernelFamily).toBe('tiled');
    expectMatchesNode(d);
    const c = await select(page, IMAGES[0], 'cdam', problems);
    expectMatchesNode(c);
    console.log('tiled kernels; page timings (ms):', JSON.stringify(c.timings, (_, v) => (typeof v === 'number' ? Math.round(v) : v)));
    await page.close();
  });

  it('says in one line on the page when the browser has no WebGPU', async () => {
    const page = await browser.newPage();
    await page.addInitScript(() => delete (Navigator.prototype as { gpu?: unknown }).gpu);
    await page.goto(server.url);
    await page.waitForFunction(() => (window as unknown as { vitlensDemo?: DemoState }).vitlensDemo?.state === 'error');
    const status = page.locator('#status');
    expect(await status.getAttribute('class')).toBe('error');
    expect(await status.textContent()).toMatch(/^Error: this browser has no WebGPU \(navigator\.gpu is missing\)/);
    await page.close();
  });
});
