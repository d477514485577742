/**
 * The explainer: one image, one timm ViT, every method of the registry, in a page element.
 *
 * What the page shows is the result of one declarative request (`Want`: model, image, method,
 * class, extras). Every control edits the request and calls `request()`; one loop (`pump`) brings
 * the page up to date with the newest request and drops results that a newer request made stale,
 * so rapid changes coalesce (only the last runs) and a result is never drawn under a newer
 * caption. While the loop works the old result stays, dimmed, under a caption that says what is
 * being computed. Model work goes through an explanation session per (model, image) pair
 * (explain/session.ts): a method or class switch derives its map from kept taps and gradients.
 *
 * Pictures follow render/picture.ts: the model's input enlarged nearest-neighbour, one flat block
 * per patch, constant-opacity colour over a grey copy, `colormapFor` colours, empty maps labelled.
 */
import { VitlensError } from '../errors.js';
import type { RawAttention } from '../explain/attention.js';
import type { ExplanationMaps } from '../explain/maps.js';
import { METHODS, methodByName, type MethodInfo } from '../explain/registry.js';
import { explainSession, type ExplanationSession } from '../explain/session.js';
import { GpuContext, type KernelFamily } from '../gpu/context.js';
import type { Tensor } from '../gpu/tensor.js';
import { flattenAlpha, type RawImage } from '../io/image.js';
import { describePreprocessing, normalizeToTensor, resizeAndCrop, type PreprocessSummary } from '../io/preprocess.js';
import { classNames } from '../model/class-names.js';
import { loadModelFromBytesAsync } from '../model/load.js';
import { inputTensor } from '../model/input.js';
import { softmax } from '../model/predict.js';
import type { VisionTransformer } from '../model/vit.js';
import { formatValue } from '../render/map-status.js';
import { toImageData } from '../render/picture.js';
import { TimeSlice } from '../time-slice.js';
import { decodeImage, isImageFile } from './decode-image.js';
import { downloadCanvas, h, paint } from './dom.js';
import { buildLayout, type Layout } from './layout.js';
import { fileBytes, urlBytes, urlJson } from './load-bytes.js';
import { droppedFiles, isModelFile, pickModelFiles } from './model-files.js';
import { colorbarParts, comparisonFigure, drawModelInput, drawOriginal, explanationPicture, HeadsGrid, paintComparisonTile, patchAt, type DisplayMode } from './pictures.js';
import { EXPLAINER_CSS } from './styles.js';

export interface ExplainerOptions {
  /** Your own WebGPU device; without one the explainer asks the browser for one. */
  device?: GPUDevice;
  /** URL of the folder holding fmnist-vit/ (the bundled model) and images/ (the samples); default 'assets/'. */
  assetsBase?: string;
  /** Sample image names under images/ (without .png); default the ten Fashion-MNIST samples. */
  samples?: readonly string[];
  /** Overrides vitlens' choice of kernel family (to compare them). */
  kernelFamily?: KernelFamily;
  /** Where dropped files are accepted: the whole page, or only the element (default). */
  dropTarget?: 'page' | 'element';
  /** Accept images pasted from the clipboard anywhere on the page (default true). */
  paste?: boolean;
  /** The method shown first (default 'rollout'). */
  method?: string;
}

/** The last result drawn, with its raw map: for tests and for whoever embeds the explainer. */
export interface ExplainerResult {
  model: string;
  image: string;
  method: string;
  /** The explained class (class-specific methods), else null. */
  classId: number | null;
  grid: [number, number];
  signed: boolean;
  map: number[];
  logits: number[];
}

/** What happened, for tests and debugging: busy periods with their captions, and the maps computed. */
export interface ExplainerLog {
  busy: { captions: string[]; start: number; end?: number }[];
  /** "method|class" per map computed (a cached map is not listed again). */
  computed: string[];
  /** Milliseconds per computed map, keyed like `computed` (the last run of each). */
  ms: Record<string, number>;
}

const DEFAULT_SAMPLES = ['0-t-shirt-top', '1-trouser', '2-pullover', '3-dress', '4-coat', '5-sandal', '6-shirt', '7-sneaker', '8-bag', '9-ankle-boot'];
const TOP_K = 5;

type ModelSource = { kind: 'bundled' } | { kind: 'files'; files: File[] };
type ImageSource = { kind: 'sample'; name: string } | { kind: 'file'; blob: Blob; name: string };

/** The request: what the page should show. */
interface Want {
  model: ModelSource;
  image: ImageSource;
  method: string;
  /** null: the top prediction. */
  classId: number | null;
  compare: boolean;
  heads: boolean;
}

interface LoadedModel {
  source: ModelSource;
  model: VisionTransformer;
  name: string;
  labels: readonly string[] | null;
}

/** One image prepared for the loaded model, with its session and what was computed for it. */
interface Prepared {
  source: ImageSource;
  model: VisionTransformer;
  name: string;
  /** After flattening transparency: what preprocessing starts from. */
  original: RawImage;
  /** The model's input (resized, cropped, channels converted), 8-bit. */
  view: RawImage;
  summary: PreprocessSummary;
  x: Tensor;
  session: ExplanationSession;
  logits?: Float32Array;
  maps: Map<string, ExplanationMaps>;
  heads?: RawAttention;
}

interface Shown {
  want: Want;
  prepared: Prepared;
  info: MethodInfo;
  classId: number;
  maps: ExplanationMaps;
  compare: { info: MethodInfo; maps: ExplanationMaps }[];
}

let styleInstalled = false;
let uid = 0;

export class Explainer {
  readonly element: HTMLElement;
  lastResult: ExplainerResult | null = null;
  readonly log: ExplainerLog = { busy: [], computed: [], ms: {} };
  /** Settles when the first result is drawn, or with the error that stopped the start. */
  readonly ready: Promise<void>;

  private ctx: GpuContext | null = null;
  private loaded: LoadedModel | null = null;
  private prepared: Prepared | null = null;
  private shown: Shown | null = null;
  private want: Want;
  private generation = 0;
  private busy = false;
  private destroyed = false;
  private readonly ran = new WeakMap<VisionTransformer, Set<string>>();
  private readonly samples: readonly string[];
  private readonly assets: string;
  private readonly cleanup: (() => void)[] = [];
  private display: DisplayMode = 'overlay';
  private alpha = 0.6;
  private readonly id = ++uid;
  private readonly ui: Layout;

  constructor(
    host: HTMLElement,
    private readonly options: ExplainerOptions = {},
  ) {
    if (!styleInstalled) {
      document.head.append(h('style', { 'data-vitlens': '' }, EXPLAINER_CSS));
      styleInstalled = true;
    }
    this.assets = (options.assetsBase ?? 'assets/').replace(/\/?$/, '/');
    this.samples = options.samples ?? DEFAULT_SAMPLES;
    this.want = {
      model: { kind: 'bundled' },
      image: { kind: 'sample', name: this.samples[0] },
      method: methodByName(options.method ?? 'rollout')?.name ?? 'rollout',
      classId: null,
      compare: false,
      heads: false,
    };
    this.ui = buildLayout({ id: this.id, samples: this.samples, assets: this.assets, alpha: this.alpha, display: this.display });
    this.element = this.ui.root;
    host.append(this.element);
    this.wire();
    this.listen();
    this.ready = this.start();
  }

  /** Shows `method` (a registry name or alias). */
  setMethod(method: string): void {
    const info = methodByName(method);
    if (!info) throw new VitlensError('bad-method', `unknown method "${method}" (known: ${METHODS.map((x) => x.name).join(', ')})`);
    this.want = { ...this.want, method: info.name };
    this.request();
  }

  /** Explains class `id` (null: the top prediction). */
  setClass(id: number | null): void {
    this.want = { ...this.want, classId: id };
    this.request();
  }

  /** Explains an image file (PNG, JPEG, WebP: whatever the browser decodes). */
  openImage(blob: Blob, name = (blob as File).name ?? 'pasted image'): void {
    this.want = { ...this.want, image: { kind: 'file', blob, name }, classId: null };
    this.request();
  }

  /** Loads a timm hub model from its files (config.json + a .safetensors). */
  openModel(files: readonly File[]): void {
    this.want = { ...this.want, model: { kind: 'files', files: [...files] }, classId: null };
    this.request();
  }

  /**
   * Milliseconds of a method switch for the image shown, median of `repeats`: through an
   * explanation session that already holds the forward and the class's gradients (what the page
   * does), and through the registry without one (a forward, and a backward for class-specific
   * methods, per switch). Each path runs once before timing, so shaders are compiled. For benchmarks.
   */
  async measureSwitch(methods: readonly string[], repeats = 5): Promise<{ method: string; reuseMs: number; noReuseMs: number }[]> {
    const p = this.prepared;
    if (!p || !p.logits || this.busy) throw new VitlensError('not-ready', 'measureSwitch needs a shown result and no request running');
    const classId = argmax(p.logits);
    const session = explainSession(p.model, p.x);
    const median = (v: number[]) => v.sort((a, b) => a - b)[v.length >> 1];
    const time = async (f: () => Promise<unknown>) => {
      const t0 = performance.now();
      await f();
      return performance.now() - t0;
    };
    try {
      const infos = methods.map((m) => methodByName(m)!);
      const withSession = (i: MethodInfo) => session.explain(i.name, i.classSpecific ? classId : 'top');
      const without = (i: MethodInfo) => i.run({ model: p.model, images: p.x, targets: classId });
      for (const i of infos) await withSession(i).then(() => without(i));
      const out = [];
      for (const i of infos) {
        const reuse: number[] = [];
        const none: number[] = [];
        for (let r = 0; r < repeats; r++) {
          reuse.push(await time(() => withSession(i)));
          none.push(await time(() => without(i)));
        }
        out.push({ method: i.name, reuseMs: median(reuse), noReuseMs: median(none) });
      }
      return out;
    } finally {
      session.dispose();
    }
  }

  /** Releases the model, the session and the listeners (not a device you passed in). */
  destroy(): void {
    this.destroyed = true;
    this.generation++;
    for (const f of this.cleanup) f();
    this.dropPrepared();
    this.loaded?.model.dispose();
    this.loaded = null;
    this.element.remove();
  }

  /** Every control edits the request (or, for the view controls, only redraws). */
  private wire(): void {
    const ui = this.ui;
    ui.sampleButtons.forEach((b, i) =>
      b.addEventListener('click', () => {
        this.want = { ...this.want, image: { kind: 'sample', name: this.samples[i] }, classId: null };
        this.request();
      }),
    );
    for (const radio of ui.methodRadios) radio.addEventListener('change', () => radio.checked && this.setMethod(radio.value));
    for (const r of ui.modeRadios) {
      r.addEventListener('change', () => {
        if (!r.checked) return;
        this.display = r.value as DisplayMode;
        this.redraw();
      });
    }
    const { bundled, modelFiles, modelFolder, imageFile, cancel, search, opacity, download, compare, headsToggle, main, readout } = ui;
    bundled.addEventListener('click', () => {
      this.want = { ...this.want, model: { kind: 'bundled' }, classId: null };
      this.request();
    });
    for (const inp of [modelFiles, modelFolder]) {
      inp.addEventListener('change', () => {
        if (inp.files?.length) this.openModel(Array.from(inp.files));
        inp.value = '';
      });
    }
    imageFile.addEventListener('change', () => {
      if (imageFile.files?.[0]) this.openImage(imageFile.files[0]);
      imageFile.value = '';
    });
    cancel.addEventListener('click', () => this.cancel());
    search.addEventListener('change', () => this.searchClass(search.value));
    opacity.addEventListener('input', () => {
      this.alpha = Number(opacity.value);
      this.redrawSoon();
    });
    download.addEventListener('click', () => {
      const s = this.shown;
      const what = s ? `${s.info.name}${s.info.classSpecific ? `-class${s.classId}` : ''}-${this.display}` : 'empty';
      void downloadCanvas(main, `vitlens-${what}.png`);
    });
    compare.addEventListener('change', () => {
      this.want = { ...this.want, compare: compare.checked };
      this.request();
    });
    headsToggle.addEventListener('change', () => {
      this.want = { ...this.want, heads: headsToggle.checked };
      this.request();
    });
    main.addEventListener('mousemove', (e) => this.hover(e));
    main.addEventListener('mouseleave', () => (readout.textContent = ''));
  }

  private listen(): void {
    const target: HTMLElement | Document = this.options.dropTarget === 'page' ? document : this.element;
    const highlight = (on: boolean) => this.element.classList.toggle('vl-dropping', on);
    const over = (e: Event) => {
      e.preventDefault();
      highlight(true);
    };
    const leave = () => highlight(false);
    const drop = (e: Event) => {
      e.preventDefault();
      highlight(false);
      const dt = (e as DragEvent).dataTransfer;
      if (dt) void droppedFiles(dt).then((files) => this.openFiles(files), (err) => this.showStatusError(err));
    };
    target.addEventListener('dragover', over);
    target.addEventListener('dragleave', leave);
    target.addEventListener('drop', drop);
    this.cleanup.push(() => {
      target.removeEventListener('dragover', over);
      target.removeEventListener('dragleave', leave);
      target.removeEventListener('drop', drop);
    });
    if (this.options.paste !== false) {
      const paste = (e: ClipboardEvent) => {
        const file = Array.from(e.clipboardData?.files ?? []).find(isImageFile);
        if (file) {
          e.preventDefault();
          this.openImage(file, file.name || 'pasted image');
        }
      };
      document.addEventListener('paste', paste);
      this.cleanup.push(() => document.removeEventListener('paste', paste));
    }
  }

  /** Dropped files: a model when they include a .safetensors or config.json, else the first image. */
  private openFiles(files: File[]): void {
    if (files.some((f) => /\.safetensors$/i.test(f.name))) return this.openModel(files.filter(isModelFile));
    const img = files.find(isImageFile);
    if (img) return this.openImage(img);
    this.showStatusError(new VitlensError('bad-drop', `nothing to open in ${files.map((f) => f.name).join(', ') || 'the drop'}: drop an image (PNG, JPEG, WebP) or a timm model (config.json + model.safetensors)`));
  }

  // ---- the request loop ----

  private request(): void {
    if (this.destroyed) return;
    this.generation++;
    if (this.ui.status.classList.contains('vl-error') && this.statusText) {
      this.ui.status.className = 'vl-status';
      this.ui.status.textContent = this.statusText;
    }
    this.syncControls();
    if (!this.busy) void this.pump();
  }

  /** Back to what is shown: a newer request's result is dropped (GPU work already submitted finishes first). */
  private cancel(): void {
    if (!this.shown || !this.busy) return;
    this.want = { ...this.shown.want };
    this.request();
  }

  private async start(): Promise<void> {
    try {
      this.ctx = await this.context();
      this.ui.status.textContent = `WebGPU: ${this.ctx.info.name} (${this.ctx.kernelFamily} kernels)`;
    } catch (e) {
      this.setState('error');
      this.showStatusError(e);
      throw e;
    }
    await new Promise<void>((ok, fail) => {
      this.firstDone = (e) => (e ? fail(e) : ok());
      this.request();
    });
  }

  private firstDone: ((e?: unknown) => void) | null = null;
  /** The status line without an error: adapter and model. */
  private statusText = '';

  private async context(): Promise<GpuContext> {
    let device = this.options.device;
    if (!device) {
      if (!('gpu' in navigator)) throw new VitlensError('no-webgpu', 'this browser has no WebGPU (navigator.gpu is missing): use a recent Chrome, Edge or Safari, over https or localhost');
      const adapter = await navigator.gpu.requestAdapter();
      if (!adapter) throw new VitlensError('no-adapter', 'WebGPU found no adapter (the GPU may be blocklisted or disabled in this browser)');
      // 'subgroups' where the adapter has it: on CPU implementations (SwiftShader) vitlens then
      // picks its subgroup kernels, much faster there than the shared-memory ones.
      const requiredFeatures: GPUFeatureName[] = adapter.features.has('subgroups') ? ['subgroups'] : [];
      device = await adapter.requestDevice({ requiredFeatures });
      void device.lost.then((info) => {
        if (!this.destroyed) this.showStatusError(new VitlensError('device-lost', `the GPU device was lost (${info.message || info.reason}); reload the page`));
      });
    }
    return new GpuContext({ device, kernelFamily: this.options.kernelFamily });
  }

  private async pump(): Promise<void> {
    this.busy = true;
    this.setState('busy'); // dimmed at once, before any caption
    this.ui.cancel.hidden = !this.shown;
    let ok = false;
    try {
      for (;;) {
        const gen = this.generation;
        const want = this.want;
        ok = false;
        try {
          await this.ensureModel(want, gen);
          if (gen !== this.generation) continue;
          await this.ensureImage(want, gen);
          if (gen !== this.generation) continue;
          const shown = await this.compute(want, gen);
          if (gen !== this.generation || !shown) continue;
          this.show(shown);
          ok = true;
          this.firstDone?.();
          this.firstDone = null;
        } catch (e) {
          if (gen !== this.generation) continue;
          this.failed(want, e);
        }
        if (gen === this.generation) break;
      }
    } finally {
      this.busy = false;
      const last = this.log.busy.at(-1);
      if (last && last.end === undefined) last.end = performance.now();
      this.ui.cancel.hidden = true;
      this.ui.caption.classList.remove('vl-busy');
      this.setState(ok || this.shown ? 'ready' : 'error');
      if (this.shown) this.ui.caption.textContent = this.captionOf(this.shown);
      this.syncControls();
    }
  }

  private busyCaption(text: string): void {
    this.ui.caption.textContent = text;
    this.ui.caption.classList.add('vl-busy');
    this.ui.cancel.hidden = !this.shown;
    this.setState('busy');
    let last = this.log.busy.at(-1);
    if (!last || last.end !== undefined) this.log.busy.push((last = { captions: [], start: performance.now() }));
    // A progress update replaces the caption it updates (same text up to its first number).
    const stem = (t: string | undefined) => t?.split(/\d/)[0];
    if (stem(last.captions.at(-1)) === stem(text)) last.captions[last.captions.length - 1] = text;
    else last.captions.push(text);
  }

  private setState(s: 'starting' | 'busy' | 'ready' | 'error'): void {
    this.element.dataset.state = s;
  }

  /** A request that failed: say why, and go back to the model and image last shown. */
  private failed(want: Want, e: unknown): void {
    const loadedModel = this.loaded?.source;
    const preparedImage = this.prepared?.source;
    let back: Want | null = null;
    if (loadedModel && want.model !== loadedModel) back = { ...this.want, model: loadedModel };
    else if (preparedImage && want.image !== preparedImage) back = { ...this.want, image: preparedImage };
    else if (this.shown && this.shown.want !== want) back = { ...this.shown.want };
    this.showStatusError(e);
    if (back) {
      // What is wanted changed back: the loop shows it again (from the session's cache).
      this.want = back;
      this.generation++;
    } else {
      this.setState('error');
      this.ui.caption.textContent = '';
      this.firstDone?.(e);
      this.firstDone = null;
    }
  }

  private showStatusError(e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    this.ui.status.className = 'vl-status vl-error';
    this.ui.status.textContent = `Error: ${message}`; // one line, in the page, not only in the console
    this.ui.status.title = message;
  }

  private async ensureModel(want: Want, gen: number): Promise<void> {
    if (this.loaded?.source === want.model) return;
    const src = want.model;
    const ctx = this.ctx!;
    const { progress } = this.ui;
    let label = 'the bundled Fashion-MNIST ViT';
    const onProgress = (loaded: number, total: number | null) => {
      progress.hidden = false;
      if (total) progress.value = loaded / total;
      else progress.removeAttribute('value');
      this.busyCaption(`Loading ${label}: ${(loaded / 2 ** 20).toFixed(1)}${total ? ` of ${(total / 2 ** 20).toFixed(1)}` : ''} MB…`);
    };
    let config: unknown;
    let bytes: Uint8Array;
    let name: string;
    try {
      if (src.kind === 'bundled') {
        name = 'fmnist-vit (bundled)';
        config = await urlJson(`${this.assets}fmnist-vit/config.json`);
        bytes = await urlBytes(`${this.assets}fmnist-vit/model.safetensors`, onProgress);
      } else {
        const files = pickModelFiles(src.files);
        name = label = files.name;
        const text = await files.config.text();
        try {
          config = JSON.parse(text);
        } catch (e) {
          throw new VitlensError('bad-config', `${files.config.name} is not JSON (${(e as Error).message})`);
        }
        bytes = await fileBytes(files.weights, onProgress);
      }
    } finally {
      progress.hidden = true;
    }
    if (gen !== this.generation && this.want.model !== src) return; // superseded while reading
    this.busyCaption(`Preparing ${label} on the GPU…`);
    await yieldToPage(); // the caption paints before the weights are decoded
    const model = await loadModelFromBytesAsync(ctx, config, bytes, { source: name });
    await yieldToPage(); // the upload above was a task of its own; so is the page's update below
    const c = model.config;
    if (name.endsWith('.safetensors')) name = c.architecture; // files picked without their folder
    const labels = classNames(c) ?? null;
    this.dropPrepared();
    this.shown = null;
    this.loaded?.model.dispose();
    this.loaded = { source: src, model, name, labels };
    this.ui.status.className = 'vl-status';
    this.ui.status.title = '';
    this.ui.status.textContent = this.statusText = `WebGPU: ${ctx.info.name} (${ctx.kernelFamily} kernels) · ${name === c.architecture ? name : `${name}: ${c.architecture}`}, ${c.numClasses} classes, input ${c.pretrained.inputSize.join('×')}`;
    // Suggestions for the class search (a list of up to 5,000; the search itself takes any id or name).
    this.ui.classes.replaceChildren(...Array.from({ length: Math.min(c.numClasses, 5000) }, (_, i) => h('option', { value: `${i}: ${this.label(i)}` })));
    const why = (info: MethodInfo) =>
      info.usesClassToken && !c.classToken ? 'needs a class token, which this model does not have' : info.classSpecific && c.numClasses === 0 ? 'explains a class, and this model has no classifier' : '';
    for (const input of this.ui.methodRadios) {
      const reason = why(methodByName(input.value)!);
      input.disabled = reason !== '';
      input.closest('label')!.classList.toggle('vl-disabled', reason !== '');
      input.closest('label')!.title = reason;
    }
    if (why(methodByName(this.want.method)!)) {
      // The method shown cannot run on this model: the first one that can.
      const first = METHODS.find((m) => !why(m));
      if (first) {
        this.want = { ...this.want, method: first.name };
        this.generation++;
      }
    }
  }

  private async ensureImage(want: Want, gen: number): Promise<void> {
    const loaded = this.loaded!;
    if (this.prepared?.source === want.image && this.prepared.model === loaded.model) return;
    const src = want.image;
    const name = src.name;
    this.busyCaption(`Preparing ${name.replace(/^\d+-/, '')}…`);
    const blob = src.kind === 'file' ? src.blob : await fetch(`${this.assets}images/${src.name}.png`).then((r) => {
      if (!r.ok) throw new VitlensError('http', `sample ${src.name}: HTTP ${r.status}`);
      return r.blob();
    });
    const decoded = await decodeImage(blob, name);
    if (gen !== this.generation && this.want.image !== src) return;
    const { model } = loaded;
    const cfg = model.config.pretrained;
    // CPU steps with a yield between them: no single task holds the page for long.
    const { image: original } = flattenAlpha(decoded, 255);
    const summary = describePreprocessing(decoded, cfg, { flattenedOnto: 255 });
    await yieldToPage();
    const view = resizeAndCrop(original, cfg);
    await yieldToPage();
    // = imageBatch(model, [original]), without resizing a second time
    const [c, hh, ww] = cfg.inputSize;
    const x = inputTensor(model, normalizeToTensor(view, cfg.mean, cfg.std), [1, c, hh, ww]);
    this.dropPrepared();
    this.prepared = { source: src, model, name, original, view, summary, x, session: explainSession(model, x), maps: new Map() };
  }

  private dropPrepared(): void {
    const p = this.prepared;
    if (!p) return;
    this.prepared = null;
    p.session.dispose();
    p.x.release();
  }

  private label(id: number): string {
    return this.loaded?.labels?.[id] ?? `class ${id}`;
  }

  /** "Ankle boot (9)" with names, "class 9" without. */
  private className(id: number): string {
    return this.loaded?.labels?.[id] !== undefined ? `${this.loaded.labels[id]} (${id})` : `class ${id}`;
  }

  private methodCaption(info: MethodInfo, classId: number | null): string {
    return `${info.title}${info.classSpecific ? ` for ${classId === null ? 'the top class' : this.className(classId)}` : ''}`;
  }

  private captionOf(s: Shown): string {
    return this.methodCaption(s.info, s.classId);
  }

  /** One map through the session, or from the per-image cache. */
  private async mapOf(p: Prepared, info: MethodInfo, classId: number, announce: boolean): Promise<ExplanationMaps> {
    const key = `${info.name}|${info.classSpecific ? classId : ''}`;
    const cached = p.maps.get(key);
    if (cached) return cached;
    let ran = this.ran.get(p.model);
    if (!ran) this.ran.set(p.model, (ran = new Set()));
    const first = !ran.has(info.name);
    const base = `${this.methodCaption(info, classId)}…${first ? ' (first run: compiling shaders)' : ''}`;
    if (announce) this.busyCaption(base);
    const t0 = performance.now();
    const maps = await p.session.explain(info.name, info.classSpecific ? classId : 'top', {
      onProgress: announce ? (done, total) => this.busyCaption(`${base} ${Math.round((100 * done) / total)} %`) : undefined,
    });
    this.log.ms[key] = performance.now() - t0;
    this.log.computed.push(key);
    ran.add(info.name);
    p.maps.set(key, maps);
    return maps;
  }

  private async compute(want: Want, gen: number): Promise<Shown | null> {
    const p = this.prepared!;
    const { model } = p;
    const info = methodByName(want.method)!;
    const hasHead = model.config.numClasses > 0;
    if (info.classSpecific && !hasHead) {
      throw new VitlensError('no-logits', `${model.config.architecture} has no classifier (num_classes 0): ${info.title} explains a class; pick a class-independent method`);
    }
    if (hasHead && !p.logits) {
      this.busyCaption(`Classifying ${p.name.replace(/^\d+-/, '')}…`);
      p.logits = await p.session.logits();
    }
    // -1: no classifier (only class-independent methods run then)
    const classId = !p.logits ? -1 : want.classId ?? argmax(p.logits);
    if (hasHead && (classId < 0 || classId >= model.config.numClasses)) throw new VitlensError('bad-class', `class ${classId} is out of range: the model has classes 0..${model.config.numClasses - 1}`);
    const maps = await this.mapOf(p, info, classId, true);
    if (gen !== this.generation) return null;
    const compare: Shown['compare'] = [];
    if (want.compare) {
      for (const m of this.compareMethods(model).filter((x) => hasHead || !x.classSpecific)) {
        this.busyCaption(`Comparing methods for ${this.className(classId)}: ${m.title}…`);
        compare.push({ info: m, maps: await this.mapOf(p, m, classId, false) });
        if (gen !== this.generation) return null;
      }
    }
    if (want.heads && !p.heads && model.config.classToken) {
      this.busyCaption('Attention of every block and head…');
      p.heads = await p.session.clsAttention();
    }
    return { want, prepared: p, info, classId, maps, compare };
  }

  /** The methods of the side-by-side grid: those a session derives (one forward and backward serve them all). */
  private compareMethods(model: VisionTransformer): MethodInfo[] {
    return METHODS.filter((m) => m.derive && (!m.usesClassToken || model.config.classToken));
  }

  // ---- drawing ----

  private show(s: Shown): void {
    this.shown = s;
    const p = s.prepared;
    const map = s.maps.maps[0][0];
    this.lastResult = {
      model: this.loaded!.name,
      image: p.name,
      method: s.info.name,
      classId: s.info.classSpecific ? s.classId : null,
      grid: [...s.maps.grid],
      signed: s.maps.signed,
      map: Array.from(map),
      logits: p.logits ? Array.from(p.logits) : [],
    };
    this.drawInputs(p);
    this.drawTopK(p, s.classId);
    this.redraw();
    void this.drawCompare(s);
    void this.drawHeads(s);
    this.ui.caption.textContent = this.captionOf(s);
  }

  private drawInputs(p: Prepared): void {
    const { original, originalCaption, input, inputCaption, notes } = this.ui;
    drawOriginal(original, p.original, p.summary);
    originalCaption.textContent = p.summary.cropped || p.summary.padded ? 'your image; the dashed box is what the model sees' : 'your image (the model sees all of it)';
    drawModelInput(input, p.view);
    inputCaption.textContent = `the model’s input: ${p.view.width}×${p.view.height}${p.view.channels === 1 ? ', grey' : ''}, enlarged (one block per pixel)`;
    notes.replaceChildren(...p.summary.notes.map((n) => h('li', {}, n)));
  }

  private drawTopK(p: Prepared, classId: number): void {
    if (!p.logits) {
      this.ui.topk.replaceChildren(h('tr', {}, h('td', {}, 'no classifier (num_classes 0): class-independent methods only')));
      return;
    }
    const probs = softmax(p.logits);
    const order = Array.from(probs.keys()).sort((a, b) => probs[b] - probs[a]);
    const rows = order.slice(0, TOP_K);
    if (!rows.includes(classId)) rows.push(classId);
    this.ui.topk.replaceChildren(...rows.map((id) => {
      const tr = h('tr', { class: id === classId ? 'vl-on' : undefined, 'data-class': String(id), tabindex: '0', role: 'button' },
        h('td', {}, this.label(id)), h('td', {}, `#${id}`), h('td', { class: 'vl-prob' }, `${(100 * probs[id]).toFixed(1)} %`));
      const pick = () => this.setClass(id);
      tr.addEventListener('click', pick);
      tr.addEventListener('keydown', (e) => (e.key === 'Enter' || e.key === ' ') && pick());
      return tr;
    }));
  }

  /** Redraws every picture with the new opacity, once per frame however fast the slider moves. */
  private redrawSoon(): void {
    if (this.redrawPending) return;
    this.redrawPending = true;
    requestAnimationFrame(() => {
      this.redrawPending = false;
      if (!this.shown) return;
      this.redraw();
      void this.drawCompare(this.shown);
      void this.drawHeads(this.shown);
    });
  }

  private redrawPending = false;

  /** The explanation picture in the current display mode, its colour bar and caption. */
  private redraw(): void {
    const s = this.shown;
    if (!s) return;
    const { main, mainCaption, ramp, ticks, legend } = this.ui;
    const { image, overlay } = explanationPicture(s.prepared.view, s.maps, this.display, this.alpha);
    paint(main, toImageData(image));
    mainCaption.textContent = `${this.captionOf(s)}, ${s.maps.grid[0]}×${s.maps.grid[1]} patches`;
    const bar = colorbarParts(overlay, s.maps.signed, s.info.classSpecific ? this.className(s.classId) : null);
    ramp.style.background = bar.background;
    ticks.replaceChildren(...bar.ticks.map((t) => h('span', {}, t)));
    legend.textContent = bar.legend;
  }

  /**
   * The side-by-side tiles, a few per task (TimeSlice): a dozen tiles drawn in one go held the page
   * for 150 ms on SwiftShader's machine. A newer draw (opacity, a new result) stops an older one;
   * the figures stay in place while only the opacity changes. data-drawing is set until done.
   */
  private async drawCompare(s: Shown): Promise<void> {
    const ticket = ++this.compareTicket;
    const { tiles } = this.ui;
    tiles.hidden = s.compare.length === 0;
    if (this.compareOf !== s) {
      this.compareOf = s;
      tiles.replaceChildren(
        h('div', { class: 'vl-subhead' }, s.classId < 0 ? 'Every class-independent method' : `Every method a session derives, for ${this.className(s.classId)} (class-independent ones ignore the class)`),
        ...s.compare.map(({ info, maps }) => comparisonFigure(s.prepared.view, info.name, info.title, maps.signed)),
      );
    }
    const canvases = tiles.querySelectorAll('canvas');
    tiles.dataset.drawing = 'true';
    const slice = new TimeSlice(DRAW_BUDGET_MS);
    for (const [i, { maps }] of s.compare.entries()) {
      await slice.pause();
      if (ticket !== this.compareTicket) return;
      paintComparisonTile(canvases[i], s.prepared.view, maps, this.alpha);
    }
    delete tiles.dataset.drawing;
  }

  private compareTicket = 0;
  private compareOf: Shown | null = null;

  /** The per-block × per-head grid, a few blocks per task (as drawCompare). */
  private async drawHeads(s: Shown): Promise<void> {
    const ticket = ++this.headsTicket;
    const fig = this.ui.heads;
    const heads = s.want.heads ? s.prepared.heads : undefined;
    fig.hidden = !heads;
    delete fig.dataset.drawing;
    if (!heads) return;
    const grid = new HeadsGrid(s.prepared.view, heads);
    const canvas = fig.querySelector('canvas')!;
    const g = canvas.getContext('2d')!;
    if (canvas.width !== grid.width || canvas.height !== grid.height) {
      canvas.width = grid.width;
      canvas.height = grid.height;
      g.fillStyle = '#fff';
      g.fillRect(0, 0, grid.width, grid.height);
    }
    fig.querySelector('figcaption')!.textContent = grid.caption;
    fig.dataset.drawing = 'true';
    const slice = new TimeSlice(DRAW_BUDGET_MS);
    for (let block = 0; block < grid.blocks; block++) {
      await slice.pause();
      if (ticket !== this.headsTicket) return;
      grid.paintBlock(g, block, this.alpha);
    }
    delete fig.dataset.drawing;
  }

  private headsTicket = 0;

  /** The patch under the pointer and its value. */
  private hover(e: MouseEvent): void {
    const s = this.shown;
    if (!s) return;
    const c = this.ui.main;
    const r = c.getBoundingClientRect();
    const at = patchAt(Math.floor(((e.clientX - r.left) * c.width) / r.width), Math.floor(((e.clientY - r.top) * c.height) / r.height), c.width, c.height, s.prepared.view, s.maps.grid);
    if (!at) return;
    const [row, col] = at;
    this.ui.readout.textContent = `patch row ${row}, column ${col}: ${formatValue(s.maps.maps[0][0][row * s.maps.grid[1] + col])}`;
  }

  private searchClass(text: string): void {
    const n = this.loaded?.model.config.numClasses ?? 0;
    const t = text.trim();
    const m = /^(\d+)\b/.exec(t);
    let id = m ? Number(m[1]) : -1;
    if (!m && t) {
      const lower = t.toLowerCase();
      const labels = Array.from({ length: n }, (_, i) => this.label(i).toLowerCase());
      id = labels.indexOf(lower);
      if (id < 0) id = labels.findIndex((l) => l.includes(lower));
    }
    if (!(id >= 0 && id < n)) {
      this.ui.searchNote.textContent = t ? `no class “${t}” (ids 0–${n - 1})` : '';
      return;
    }
    this.ui.searchNote.textContent = '';
    this.ui.search.value = '';
    this.setClass(id);
  }

  /** The controls show the request (a cancelled or refused request puts them back). */
  private syncControls(): void {
    for (const r of Array.from(this.element.querySelectorAll<HTMLInputElement>('input[data-method]'))) r.checked = r.value === this.want.method;
    for (const b of Array.from(this.element.querySelectorAll<HTMLButtonElement>('[data-sample]'))) b.classList.toggle('vl-on', this.want.image.kind === 'sample' && this.want.image.name === b.dataset.sample);
  }
}

/** Main-thread work per task while pictures are drawn piecewise (the page aims at no task over ~100 ms). */
const DRAW_BUDGET_MS = 30;

/** Lets the page paint and handle input before the next CPU step. */
const yieldToPage = () => new Promise<void>((ok) => setTimeout(ok, 0));

function argmax(v: Float32Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

/** Builds the explainer inside `element` and starts it (see ExplainerOptions). */
export function mountExplainer(element: HTMLElement, options: ExplainerOptions = {}): Explainer {
  return new Explainer(element, options);
}
