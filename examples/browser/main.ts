/**
 * vitlens in the browser: classify a bundled Fashion-MNIST image with the bundled ViT on the
 * page's own WebGPU device, explain the prediction and draw the map over the image.
 *
 * Built and served by scripts/serve-browser-example.ts (`npm run example:browser`), which
 * resolves `vitlens` to the browser entry (src/index.ts). The last run's numbers are also kept
 * in `window.vitlensDemo`, for the browser test (test/browser/) and for poking at in the console.
 */
import { createContext, explain, fromImageData, imageBatch, logitsOf, loadModelFromBytes, overlayMap, resizeAndCrop, toImageData, topK, type RawImage, type VisionTransformer } from 'vitlens';

const IMAGES = ['0-t-shirt-top', '1-trouser', '2-pullover', '3-dress', '4-coat', '5-sandal', '6-shirt', '7-sneaker', '8-bag', '9-ankle-boot'];
const METHODS = ['rollout', 'grad-rollout', 'cdam', 'gradcam'];

/** What the page did last; `state` is 'error' with `error` set when anything failed. */
export interface DemoState {
  state: 'loading' | 'running' | 'ready' | 'error';
  error?: string;
  adapter?: string;
  kernelFamily?: string;
  image?: string;
  method?: string;
  logits?: number[];
  map?: number[];
  /** Milliseconds; the first run of each method includes compiling its shaders. */
  timings: Record<string, number>;
}

const demo: DemoState = { state: 'loading', timings: {} };
(window as unknown as { vitlensDemo: DemoState }).vitlensDemo = demo;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $<HTMLDivElement>('status');
const imageSelect = $<HTMLSelectElement>('image');
const methodSelect = $<HTMLSelectElement>('method');
const inputCanvas = $<HTMLCanvasElement>('input');
const overlayCanvas = $<HTMLCanvasElement>('overlay');

function showError(e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  demo.state = 'error';
  demo.error = message;
  status.className = 'error';
  status.textContent = `Error: ${message}`; // one line, on the page, not only in the console
}

/** Replaces a table body's rows (text only: label names come from a downloaded config). */
function fillTable(id: string, rows: string[][]): void {
  $(id).replaceChildren(...rows.map((cells) => {
    const tr = document.createElement('tr');
    for (const c of cells) tr.insertCell().textContent = c;
    return tr;
  }));
}

/** Milliseconds `f` took, recorded under `name`. */
async function timed<T>(name: string, f: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const r = await f();
  demo.timings[name] = performance.now() - t0;
  return r;
}

/** A bundled PNG, decoded by the browser: <img> -> the input canvas -> getImageData. */
async function loadImage(name: string): Promise<ImageData> {
  const img = new Image();
  img.src = `assets/images/${name}.png`;
  await img.decode();
  inputCanvas.width = img.naturalWidth;
  inputCanvas.height = img.naturalHeight;
  const g = inputCanvas.getContext('2d', { willReadFrequently: true })!;
  g.drawImage(img, 0, 0);
  return g.getImageData(0, 0, img.naturalWidth, img.naturalHeight);
}

/** Puts a picture's pixels on a canvas of its own size. */
function draw(canvas: HTMLCanvasElement, img: RawImage): void {
  const pic = toImageData(img);
  canvas.width = pic.width;
  canvas.height = pic.height;
  canvas.getContext('2d')!.putImageData(new ImageData(pic.data, pic.width, pic.height), 0, 0);
}

async function start(): Promise<VisionTransformer> {
  if (!('gpu' in navigator)) throw new Error('this browser has no WebGPU (navigator.gpu is missing): use a recent Chrome, Edge or Safari, over https or localhost');
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('WebGPU found no adapter (the GPU may be blocklisted or disabled in this browser)');
  // Ask for 'subgroups' where the adapter has it: on CPU implementations of WebGPU (Chrome's
  // SwiftShader) vitlens then picks its subgroup kernels, here ~10x faster than the shared-memory
  // ones it uses on GPUs. Default limits are plenty for this small model.
  const requiredFeatures: GPUFeatureName[] = adapter.features.has('subgroups') ? ['subgroups'] : [];
  const device = await adapter.requestDevice({ requiredFeatures });
  // ?kernels=tiled or ?kernels=simd overrides vitlens' choice of kernel family, to compare them.
  const forced = new URLSearchParams(location.search).get('kernels');
  const ctx = createContext(device, { kernelFamily: forced === 'simd' || forced === 'tiled' ? forced : undefined });
  demo.adapter = ctx.info.name;
  demo.kernelFamily = ctx.kernelFamily;

  const model = await timed('load model', async () => {
    const [config, weights] = await Promise.all([
      fetch('assets/fmnist-vit/config.json').then((r) => (r.ok ? r.json() : Promise.reject(new Error(`config.json: HTTP ${r.status}`)))),
      fetch('assets/fmnist-vit/model.safetensors').then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(`model.safetensors: HTTP ${r.status}`)))),
    ]);
    return loadModelFromBytes(ctx, config, new Uint8Array(weights));
  });
  return model;
}

/** Classifies the selected image, runs the selected method and draws its map. */
async function run(model: VisionTransformer): Promise<void> {
  demo.state = 'running';
  delete demo.error;
  const name = imageSelect.value;
  const method = explain.methodByName(methodSelect.value)!;
  const image = fromImageData(await loadImage(name));
  const x = imageBatch(model, [image]); // the model's own timm preprocessing, on the CPU
  try {
    const [logits] = await timed('logits', () => logitsOf(model, x));
    const m = await timed(method.name, () => method.run({ model, images: x, targets: 'top' }));
    const map = m.maps[0][0];

    // vitlens' one resampling rule: the input as the model saw it (after timm's resize and crop)
    // and the map as one flat block per patch, both enlarged nearest-neighbour. The input canvas
    // holds the model's pixels and the page enlarges it with `image-rendering: pixelated`; the
    // overlay is drawn at 224 px by vitlens with the same rule.
    const view = resizeAndCrop(image, model.config.pretrained);
    draw(inputCanvas, view);
    draw(overlayCanvas, overlayMap(view, map, m.grid, m.signed, { size: 224 }).image);

    const labels = model.config.labelNames;
    const top = topK(logits, 3, labels);
    $('overlay-caption').textContent = `${method.title}${m.classes ? ` for “${labels?.[m.classes[0][0]] ?? m.classes[0][0]}”` : ''}`;
    fillTable('prediction', top.map((p) => [p.label, `${(100 * p.prob).toFixed(1)} %`]));
    fillTable('timings', Object.entries(demo.timings).map(([k, v]) => [k, `${v.toFixed(1)} ms`]));

    status.className = '';
    status.textContent = `WebGPU adapter: ${demo.adapter} (${demo.kernelFamily} kernels)`;
    Object.assign(demo, { image: name, method: method.name, logits: Array.from(logits), map: Array.from(map), state: 'ready' });
  } finally {
    x.release(); // vitlens tensors are reference-counted, not garbage-collected
  }
}

async function main(): Promise<void> {
  for (const n of IMAGES) imageSelect.add(new Option(n.replace(/^\d-/, ''), n));
  for (const n of METHODS) methodSelect.add(new Option(explain.methodByName(n)!.title, n));
  const model = await start();
  // One run at a time: a change while a run is going waits for it.
  let queue = Promise.resolve();
  const rerun = () => {
    queue = queue.then(() => run(model)).catch(showError);
  };
  imageSelect.addEventListener('change', rerun);
  methodSelect.addEventListener('change', rerun);
  rerun();
}

main().catch(showError);
