/**
 * The built vitlens app (`npm run build:app`, examples/browser/ on `vitlens/app`) in a real browser:
 * Debian's Chromium, headless, driven by playwright-core as a person would use it, WebGPU on
 * SwiftShader (Chrome's CPU implementation). Every map the page draws must equal what vitlens
 * computes in Node on Dawn for the same file (max error ≤ 1e-4 of the map's largest value): the
 * page decodes images with the browser, Node with pngjs.
 *
 * The test makes its own pictures (a non-square colour "photo" and a cut-out with transparency),
 * drops them on the page, loads timm hub folders through the file input (the golden micro model
 * for a loop over methods, DeiT-tiny once), clicks the top-k table, the methods, the opacity
 * slider and the download button, and checks the busy state. Full-page screenshots go to
 * test-artifacts/browser/ (git-ignored). Long tasks (PerformanceObserver 'longtask', the longest
 * per phase of the app, also in test-artifacts/browser/long-tasks.json) and method switch times
 * with and without session reuse are printed, not asserted (the machine is shared).
 *
 * Run with `npm run test:browser` (not part of `npm test`). Chromium: /usr/bin/chromium, or the
 * path in CHROMIUM_PATH; skipped when there is none.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Explainer, ExplainerResult } from '../../src/app/index.js';
import { buildApp } from '../../scripts/build-app.js';
import { startStaticServer, type ExampleServer } from '../../scripts/serve-browser-example.js';
import { methodByName } from '../../src/explain/registry.js';
import { readImageFile } from '../../src/io/decode-node.js';
import { encodePng } from '../../src/io/encode-node.js';
import { flattenAlpha, type RawImage } from '../../src/io/image.js';
import { describePreprocessing } from '../../src/io/preprocess.js';
import { parseSafetensors, serializeSafetensors, toFloat32, type TensorToWrite } from '../../src/io/safetensors.js';
import { imageBatch } from '../../src/model/input.js';
import { logitsOf } from '../../src/model/predict.js';
import type { VisionTransformer } from '../../src/model/vit.js';
import { loadModelDir } from '../../src/node/load.js';
import { mulberry32 } from '../../src/random.js';
import { goldenDir } from '../helpers/golden.js';
import { repoRoot } from '../helpers/cli.js';
import { maxAbsDiff, relToMax } from '../helpers/compare.js';
import { gpuContext } from '../helpers/gpu.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(repoRoot, 'test-artifacts/browser');
const MICRO = join(goldenDir(), 'micro');
const DEIT = join(goldenDir(), 'deit_tiny');
/** The micro loop: class-independent and class-specific, derived and one that runs its own forwards. */
const MICRO_METHODS = ['rollout', 'grad-rollout', 'relevance', 'cdam', 'gradcam', 'saliency', 'grad-x-input', 'occlusion'];
const have = existsSync(CHROMIUM);

type AppWindow = { vitlensApp: Explainer; __longTasks: { start: number; duration: number }[]; __phases: { t: number; phase: string }[] };

let server: ExampleServer;
let browser: BrowserContext;
let work: string;
const files = { photo: '', cutout: '' };

/** A non-square colour picture with smooth shading, edges and noise (photo-like enough for preprocessing). */
function photo(w: number, h: number): RawImage {
  const rand = mulberry32(7);
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sky = y < h * 0.55;
      const inSun = (x - w * 0.7) ** 2 + (y - h * 0.3) ** 2 < (h * 0.15) ** 2;
      const inBox = x > w * 0.15 && x < w * 0.45 && y > h * 0.4 && y < h * 0.85;
      let c = sky ? [90 + (80 * y) / h, 140 + (60 * y) / h, 230] : [60 + (40 * x) / w, 130, 50];
      if (inSun) c = [250, 220, 80];
      if (inBox) c = [170, 40 + (60 * y) / h, 40];
      for (let k = 0; k < 3; k++) data[(y * w + x) * 3 + k] = Math.max(0, Math.min(255, Math.round(c[k] + (rand() - 0.5) * 24)));
    }
  }
  return { data, width: w, height: h, channels: 3 };
}

/** A cut-out: an opaque shape on a fully transparent background whose stored colour is garbage. */
function cutout(w: number, h: number): RawImage {
  const rand = mulberry32(11);
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 4;
      const inside = ((x - w / 2) / (w * 0.35)) ** 2 + ((y - h / 2) / (h * 0.4)) ** 2 < 1;
      // Alpha is 0 or 255 only: a canvas stores premultiplied alpha, which loses the colour of partly transparent pixels.
      data.set(inside ? [200 - (100 * y) / h, 60 + (120 * x) / w, 90, 255] : [Math.floor(rand() * 256), 0, Math.floor(rand() * 256), 0], o);
    }
  }
  return { data, width: w, height: h, channels: 4 };
}

async function launch(): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'vitlens-chromium-'));
  // The launch that runs WebGPU headless on SwiftShader here (../shared/PLATFORM.md, "Browsers").
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
    args: ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu'],
  });
}

/** Opens the app with long tasks recorded; page errors and console errors are collected. */
async function openApp(query = ''): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  await page.addInitScript(() => {
    const w = window as unknown as AppWindow;
    w.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
    // What the page says it is doing, with the time it changed: the caption while busy (numbers
    // dropped, so progress is one phase), "shown: …" once a result is on screen (drawing, redraws).
    w.__phases = [];
    const note = () => {
      const root = document.querySelector<HTMLElement>('.vitlens-explainer');
      const caption = document.querySelector('.vl-caption')?.textContent ?? '';
      const state = root?.dataset.state ?? 'starting';
      const phase = state === 'busy' || state === 'starting' ? caption.replace(/\d+(\.\d+)?/g, '#').replace(/ # %$/, '') || state : `${state}: ${caption.replace(/\d+/g, '#')}`;
      if (w.__phases.at(-1)?.phase !== phase) w.__phases.push({ t: performance.now(), phase });
    };
    new MutationObserver(note).observe(document, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['data-state'] });
  });
  await page.goto(server.url + query);
  return { page, problems };
}

/** Waits until the app is idle and shows `want` (or failed); returns the result drawn. */
async function settled(page: Page, want: Partial<ExplainerResult>, timeout = 120_000): Promise<ExplainerResult> {
  await page.waitForFunction(
    (w) => {
      const app = (window as unknown as AppWindow).vitlensApp;
      const state = app?.element.dataset.state;
      if (state === 'error') return true;
      const r = app?.lastResult as Record<string, unknown> | null;
      return state === 'ready' && !!r && Object.entries(w).every(([k, v]) => r[k] === v);
    },
    want,
    { timeout, polling: 100 },
  );
  const state = await page.evaluate(() => (window as unknown as AppWindow).vitlensApp.element.dataset.state);
  if (state === 'error') throw new Error(`the app shows an error: ${await page.textContent('.vl-status')}`);
  return page.evaluate(() => (window as unknown as AppWindow).vitlensApp.lastResult!);
}

/** Drops a file on the page body, as dragging it from the desktop does. */
async function dropFile(page: Page, path: string, name: string): Promise<void> {
  const b64 = readFileSync(path).toString('base64');
  await page.evaluate(({ b64, name }) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], name, { type: 'image/png' }));
    for (const type of ['dragenter', 'dragover', 'drop']) document.body.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, { b64, name });
}

/** Pastes a file, as Ctrl+V with an image on the clipboard does. */
async function pasteFile(page: Page, path: string, name: string): Promise<void> {
  const b64 = readFileSync(path).toString('base64');
  await page.evaluate(({ b64, name }) => {
    const dt = new DataTransfer();
    dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name, { type: 'image/png' }));
    document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }, { b64, name });
}

const busyLog = (page: Page) => page.evaluate(() => (window as unknown as AppWindow).vitlensApp.log.busy.map((b) => ({ ...b, captions: [...b.captions] })));
const computed = (page: Page) => page.evaluate(() => [...(window as unknown as AppWindow).vitlensApp.log.computed]);

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Per test, the longest long task of each phase (written to test-artifacts/browser/long-tasks.json). */
const longTaskReport: Record<string, { count: number; maxMs: number; over100: string[]; byPhase: Record<string, number> }> = {};

/**
 * Long tasks since `since` (page time): how many, the longest, and the longest per phase (what the
 * page said it was doing when the task began, → what it said during the task). Printed and saved,
 * not asserted: the machine is shared.
 */
async function longTasks(page: Page, name: string, since = 0): Promise<void> {
  const { tasks, phases } = await page.evaluate(() => ({ tasks: (window as unknown as AppWindow).__longTasks, phases: (window as unknown as AppWindow).__phases }));
  const byPhase: Record<string, number> = {};
  const over100: string[] = [];
  let count = 0;
  let maxMs = 0;
  for (const t of tasks.filter((x) => x.start >= since)) {
    // The phase when the task began, and those it moved on to (a caption set inside the task).
    const end = t.start + t.duration;
    const atStart = phases.filter((p) => p.t <= t.start).at(-1)?.phase ?? '(before the app)';
    const phase = [atStart, ...phases.filter((p) => p.t > t.start && p.t <= end).map((p) => p.phase)].join(' → ');
    const ms = Math.round(t.duration);
    byPhase[phase] = Math.max(byPhase[phase] ?? 0, ms);
    if (ms > 100) over100.push(`${ms} ms: ${phase}`);
    count++;
    maxMs = Math.max(maxMs, ms);
  }
  longTaskReport[name] = { count, maxMs, over100, byPhase };
  console.log(`${name}, long tasks:`, JSON.stringify(longTaskReport[name], null, 1));
}

/** Node's model, image and maps for comparison. */
class NodeSide {
  private models = new Map<string, VisionTransformer>();

  async model(dir: string): Promise<VisionTransformer> {
    let m = this.models.get(dir);
    if (!m) this.models.set(dir, (m = loadModelDir(await gpuContext(), dir)));
    return m;
  }

  /** Logits and the map of `method` for `image` (a file), as the app computes them: transparency flattened onto white. */
  async explain(dir: string, image: string, method: string, classId: number | null): Promise<{ logits: Float32Array; map: Float32Array }> {
    const model = await this.model(dir);
    const img = flattenAlpha(await readImageFile(image), 255).image;
    const x = imageBatch(model, [img]);
    try {
      const [logits] = await logitsOf(model, x);
      const m = await methodByName(method)!.run({ model, images: x, targets: classId ?? 'top' });
      return { logits, map: m.maps[0][0] };
    } finally {
      x.release();
    }
  }

  dispose(): void {
    for (const m of this.models.values()) m.dispose();
  }
}

const node = new NodeSide();
/** Largest differences to Node seen, per model and method (printed at the end). */
const worst: Record<string, number> = {};

async function expectMatchesNode(r: ExplainerResult, dir: string, image: string): Promise<void> {
  const ref = await node.explain(dir, image, r.method, r.classId);
  expect(r.logits).toHaveLength(ref.logits.length);
  expect(maxAbsDiff(r.logits, ref.logits).max).toBeLessThanOrEqual(1e-4 * Math.max(1, ...Array.from(ref.logits, Math.abs)));
  expect(r.map).toHaveLength(ref.map.length);
  const rel = relToMax(r.map, ref.map);
  expect(rel, `${r.model} ${r.method} class ${r.classId}`).toBeLessThanOrEqual(1e-4);
  const key = `${r.model.split(' ')[0]} ${r.method}`;
  worst[key] = Math.max(worst[key] ?? 0, Number(rel.toPrecision(2)));
}

async function pickMethod(page: Page, method: string): Promise<void> {
  await page.click(`input[data-method="${method}"]`);
}

describe.skipIf(!have)('the built app on Chromium (SwiftShader)', () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    work = mkdtempSync(join(tmpdir(), 'vitlens-app-'));
    files.photo = join(work, 'street-photo.png');
    files.cutout = join(work, 'cutout.png');
    writeFileSync(files.photo, encodePng(photo(160, 96)));
    writeFileSync(files.cutout, encodePng(cutout(72, 110)));
    const app = await buildApp(join(work, 'app'));
    [server, browser] = await Promise.all([startStaticServer(app.dir), launch()]);
  });

  afterAll(async () => {
    console.log('largest map differences to Node/Dawn (relative to the map maximum):', JSON.stringify(worst));
    if (Object.keys(longTaskReport).length > 0) writeFileSync(join(ARTIFACTS, 'long-tasks.json'), JSON.stringify(longTaskReport, null, 2));
    await browser?.close();
    await server?.close();
    node.dispose();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('bundled model: samples, top-k click, method switch, opacity, download, paste, busy state; maps equal Node', async () => {
    const { page, problems } = await openApp();
    let r = await settled(page, { method: 'rollout', image: '0-t-shirt-top' });
    const sample = join(repoRoot, 'assets/images/0-t-shirt-top.png');
    expect(await page.textContent('.vl-status')).toMatch(/WebGPU: .+ kernels\) · fmnist-vit/);
    await expectMatchesNode(r, join(repoRoot, 'assets/fmnist-vit'), sample);

    // A class-specific method, then the second row of the top-k table.
    await pickMethod(page, 'grad-rollout');
    r = await settled(page, { method: 'grad-rollout' });
    await expectMatchesNode(r, join(repoRoot, 'assets/fmnist-vit'), sample);
    const second = Number(await page.getAttribute('.vl-topk tr:nth-child(2)', 'data-class'));
    await page.click('.vl-topk tr:nth-child(2)');
    r = await settled(page, { method: 'grad-rollout', classId: second });
    await expectMatchesNode(r, join(repoRoot, 'assets/fmnist-vit'), sample);
    expect(await page.getAttribute('.vl-topk tr.vl-on', 'data-class')).toBe(String(second));

    // The busy state appeared with what was being computed, and ended.
    const busy = await busyLog(page);
    expect(busy.some((b) => b.captions.some((c) => /^Gradient rollout for .+ \(\d+\)…/.test(c)))).toBe(true);
    expect(busy.some((b) => b.captions.some((c) => /^Gradient rollout for .+… \(first run: compiling shaders\)$/.test(c)))).toBe(true);
    expect(busy.every((b) => b.end !== undefined)).toBe(true);
    expect(await page.getAttribute('.vitlens-explainer', 'data-state')).toBe('ready');
    expect(await page.textContent('.vl-caption')).toMatch(/^Gradient rollout for .+ \(\d+\)$/);

    // Opacity: the overlay changes, the map itself does not.
    const pixels = () => page.evaluate(() => Array.from((document.querySelector('canvas[data-role=explanation]') as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 224, 224).data.slice(0, 224 * 4 * 120)));
    const before = await pixels();
    await page.evaluate(() => {
      const s = document.querySelector('input[data-role=opacity]') as HTMLInputElement;
      s.value = '0.9';
      s.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.waitForFunction(() => new Promise((ok) => requestAnimationFrame(() => ok(true)))); // redrawn on the next frame
    expect(await pixels()).not.toEqual(before);
    await page.click('input[data-mode=map]');
    await screenshot(page, '1-bundled-map-only');
    await page.click('input[data-mode=overlay]');

    // Download the picture.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('button[data-role=download]')]);
    const saved = join(ARTIFACTS, download.suggestedFilename());
    await download.saveAs(saved);
    expect(download.suggestedFilename()).toBe(`vitlens-grad-rollout-class${second}-overlay.png`);
    expect([...readFileSync(saved).subarray(1, 4)]).toEqual([0x50, 0x4e, 0x47]); // "PNG"

    // Compare methods and the attention grid.
    await page.check('input[data-role=compare-toggle]');
    await page.check('input[data-role=heads-toggle]');
    // The tiles are drawn a few per task: data-drawing is gone once the last one is on its canvas.
    await page.waitForFunction(() => document.querySelectorAll('[data-role=compare] canvas').length > 4 && !(document.querySelector('[data-role=heads]') as HTMLElement).hidden && (window as unknown as AppWindow).vitlensApp.element.dataset.state === 'ready' && !document.querySelector('[data-drawing]'), undefined, { timeout: 120_000 });
    // Every tile and the head grid were painted (a canvas never drawn on is transparent).
    expect(await page.$$eval('[data-role=compare] canvas, [data-role=heads] canvas', (cs) => (cs as HTMLCanvasElement[]).every((c) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < d.length; i += 4) if (d[i] !== 255) return false;
      return true;
    }))).toBe(true);
    await screenshot(page, '2-bundled-compare-heads');

    // Paste a colour photo: the one-channel model sees it in grey, and the page says so.
    await pasteFile(page, files.photo, 'pasted-photo.png');
    r = await settled(page, { image: 'pasted-photo.png' });
    expect(await page.textContent('[data-role=preprocessing]')).toContain('converted to grey: the model takes one channel');
    await expectMatchesNode(r, join(repoRoot, 'assets/fmnist-vit'), files.photo);

    // Steady-state method switch, with and without session reuse (printed for the README).
    const switches = await page.evaluate(() => (window as unknown as AppWindow).vitlensApp.measureSwitch(['rollout', 'grad-rollout', 'relevance', 'cdam', 'gradcam', 'saliency'], 5));
    console.log('bundled model, method switch on SwiftShader (median ms):', JSON.stringify(switches.map((s) => ({ ...s, reuseMs: Math.round(s.reuseMs), noReuseMs: Math.round(s.noReuseMs) }))));
    await longTasks(page, 'bundled model');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('timm hub folder (micro) through the folder input, dropped photo and cut-out, ≥ 5 methods; maps equal Node', async () => {
    const { page, problems } = await openApp();
    await settled(page, { method: 'rollout' });
    await dropFile(page, files.photo, 'street-photo.png');
    await settled(page, { image: 'street-photo.png' });
    // The whole hub folder through the folder picker (it also holds the golden files: only
    // config.json and model.safetensors are read).
    await page.setInputFiles('input[data-role=model-folder]', MICRO);
    let r = await settled(page, { model: 'micro', image: 'street-photo.png' });
    expect(await page.textContent('.vl-status')).toContain('micro: vit_micro_patch8_32, 10 classes');
    const t0 = await page.evaluate(() => performance.now());
    // The page says what preprocessing did, as describePreprocessing says it in Node: here it crops.
    const notes = await page.$$eval('[data-role=preprocessing] li', (li) => li.map((x) => x.textContent));
    const microModel = await node.model(MICRO);
    expect(notes).toEqual(describePreprocessing(await readImageFile(files.photo), microModel.config.pretrained, { flattenedOnto: 255 }).notes);
    expect(notes.some((n) => n!.startsWith('cropped:'))).toBe(true);
    await expectMatchesNode(r, MICRO, files.photo);

    // The third row of the top-k table, then the methods.
    const third = Number(await page.getAttribute('.vl-topk tr:nth-child(3)', 'data-class'));
    await pickMethod(page, 'grad-rollout');
    await settled(page, { method: 'grad-rollout' });
    await page.click('.vl-topk tr:nth-child(3)');
    for (const m of MICRO_METHODS) {
      await pickMethod(page, m);
      r = await settled(page, { method: m, classId: methodByName(m)!.classSpecific ? third : null });
      await expectMatchesNode(r, MICRO, files.photo);
    }
    await screenshot(page, '3-micro-photo');

    // Rapid changes coalesce: three clicks in one go, only the last is computed.
    const before = (await computed(page)).length;
    await page.evaluate(() => {
      for (const m of ['rollout-max', 'rollout-abnar', 'attention']) (document.querySelector(`input[data-method="${m}"]`) as HTMLInputElement).click();
    });
    await settled(page, { method: 'attention' });
    expect((await computed(page)).slice(before)).toEqual(['attention|']);

    // Cancel: the page goes back to what it showed, controls included, and stays usable.
    await page.evaluate(() => {
      (document.querySelector('input[data-method="smoothgrad"]') as HTMLInputElement).click();
      const cancel = document.querySelector('button[data-role=cancel]') as HTMLButtonElement;
      if (cancel.hidden) throw new Error('no Cancel button while busy');
      cancel.click();
    });
    r = await settled(page, { method: 'attention' });
    expect(await page.isChecked('input[data-method="attention"]')).toBe(true);
    expect(await page.textContent('.vl-caption')).toBe('Last-block attention');

    // A class by search: name or id.
    await page.fill('input[data-role=class-search]', '7');
    await page.dispatchEvent('input[data-role=class-search]', 'change');
    await pickMethod(page, 'cdam');
    r = await settled(page, { method: 'cdam', classId: 7 });
    await expectMatchesNode(r, MICRO, files.photo);

    // The cut-out: transparency flattened onto white, and said so.
    await dropFile(page, files.cutout, 'cutout.png');
    r = await settled(page, { image: 'cutout.png', method: 'cdam' });
    expect(await page.textContent('[data-role=preprocessing]')).toContain('transparent areas flattened onto white');
    await expectMatchesNode(r, MICRO, files.cutout);
    await screenshot(page, '4-micro-cutout');
    await longTasks(page, 'micro, after its model loaded', t0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('DeiT-tiny (22 MB) through the file input, with progress; rollout equals Node', async () => {
    const { page, problems } = await openApp();
    await settled(page, { method: 'rollout' });
    await dropFile(page, files.photo, 'street-photo.png');
    await settled(page, { image: 'street-photo.png' });
    const t0 = await page.evaluate(() => performance.now());
    await page.setInputFiles('input[data-role=model-files]', [join(DEIT, 'config.json'), join(DEIT, 'model.safetensors')]);
    const r = await settled(page, { model: 'deit_tiny_patch16_224', method: 'rollout' }, 300_000);
    const busy = await busyLog(page);
    expect(busy.some((b) => b.captions.some((c) => /^Loading model\.safetensors: 21\.8 of 21\.8 MB…$/.test(c)))).toBe(true);
    await expectMatchesNode(r, DEIT, files.photo);
    // 1,000 classes and no label_names: ImageNet's names.
    expect(await page.textContent('.vl-topk')).not.toMatch(/class \d+/);
    await screenshot(page, '5-deit-photo');
    await longTasks(page, 'DeiT-tiny load and first rollout', t0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the GPU kernel family (tiled, what real GPUs run) gives the same numbers', async () => {
    const { page, problems } = await openApp('?kernels=tiled');
    const r = await settled(page, { method: 'rollout' });
    expect(await page.textContent('.vl-status')).toContain('(tiled kernels)');
    await expectMatchesNode(r, join(repoRoot, 'assets/fmnist-vit'), join(repoRoot, 'assets/images/0-t-shirt-top.png'));
    expect(problems).toEqual([]);
    await page.close();
  });

  it('as a <vitlens-explainer> element on the page\'s own GPUDevice', async () => {
    const { page, problems } = await openApp('?element');
    const r = await settled(page, { method: 'rollout' });
    expect(await page.evaluate(() => document.querySelector('vitlens-explainer')?.querySelector('.vitlens-explainer') !== null)).toBe(true);
    await expectMatchesNode(r, join(repoRoot, 'assets/fmnist-vit'), join(repoRoot, 'assets/images/0-t-shirt-top.png'));
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a model without classifier (num_classes 0, as DINO): class-independent methods, class-specific ones disabled', async () => {
    // micro without its head: the weights a backbone-only hub model ships.
    const dir = join(work, 'micro-backbone');
    mkdirSync(dir, { recursive: true });
    const weights = parseSafetensors(readFileSync(join(MICRO, 'model.safetensors')));
    const kept: Record<string, TensorToWrite> = {};
    for (const [k, t] of weights.tensors) if (!k.startsWith('head.')) kept[k] = { dtype: 'F32', shape: [...t.shape], data: toFloat32(t) };
    writeFileSync(join(dir, 'model.safetensors'), serializeSafetensors(kept));
    const config = JSON.parse(readFileSync(join(MICRO, 'config.json'), 'utf8'));
    config.num_classes = config.model_args.num_classes = 0;
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));

    const { page, problems } = await openApp();
    await settled(page, { method: 'rollout' });
    await pickMethod(page, 'cdam');
    await settled(page, { method: 'cdam' });
    await page.setInputFiles('input[data-role=model-files]', [join(dir, 'config.json'), join(dir, 'model.safetensors')]);
    const r = await settled(page, { model: 'vit_micro_patch8_32', method: 'attention' }); // the first method it can run
    expect(r.logits).toEqual([]);
    expect(await page.isDisabled('input[data-method="cdam"]')).toBe(true);
    expect(await page.textContent('.vl-topk')).toContain('no classifier');
    await pickMethod(page, 'rollout');
    const ro = await settled(page, { method: 'rollout' });
    const ref = await node.model(dir);
    const x = imageBatch(ref, [await readImageFile(join(repoRoot, 'assets/images/0-t-shirt-top.png'))]);
    const m = await methodByName('rollout')!.run({ model: ref, images: x, targets: 'top' });
    x.release();
    expect(relToMax(ro.map, m.maps[0][0])).toBeLessThanOrEqual(1e-4);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a refused model shows the typed error in one line and the page keeps working', async () => {
    const { page } = await openApp();
    await settled(page, { method: 'rollout' });
    const bad = join(work, 'bad');
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, 'config.json'), readFileSync(join(MICRO, 'config.json')));
    writeFileSync(join(bad, 'model.safetensors'), readFileSync(join(MICRO, 'model.safetensors')).subarray(0, 5000));
    await page.setInputFiles('input[data-role=model-files]', [join(bad, 'config.json'), join(bad, 'model.safetensors')]);
    await page.waitForFunction(() => document.querySelector('.vl-status')!.classList.contains('vl-error'), undefined, { timeout: 60_000 });
    expect(await page.textContent('.vl-status')).toMatch(/^Error: .*model\.safetensors/);
    await settled(page, { model: 'fmnist-vit (bundled)' });
    await pickMethod(page, 'cdam');
    await settled(page, { method: 'cdam' });
    await page.close();
  });

  it('says in one line on the page when the browser has no WebGPU', async () => {
    const page = await browser.newPage();
    await page.addInitScript(() => delete (Navigator.prototype as { gpu?: unknown }).gpu);
    await page.goto(server.url);
    await page.waitForFunction(() => (window as unknown as AppWindow).vitlensApp?.element.dataset.state === 'error');
    expect(await page.textContent('.vl-status')).toMatch(/^Error: this browser has no WebGPU \(navigator\.gpu is missing\)/);
    await page.close();
  });
});
