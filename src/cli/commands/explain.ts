/** `vitlens explain`: explanation maps for images as PNGs and one self-contained HTML report. */
import { mkdirSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { conceptCdam, conceptVector } from '../../explain/cdam.js';
import { METHODS, type MethodInfo } from '../../explain/registry.js';
import { explainSession } from '../../explain/session.js';
import { resolveClasses } from '../../explain/class-specs.js';
import type { Tensor } from '../../gpu/tensor.js';
import { COLORMAPS, DIVERGING_COLORMAPS, colormapFor, describeColormaps, type ColormapName } from '../../render/colormap.js';
import type { RawImage } from '../../io/image.js';
import type { PictureOptions } from '../../render/picture.js';
import { resizeAndCrop } from '../../io/preprocess.js';
import { imageBatch } from '../../model/input.js';
import { classNamesSource } from '../../model/class-names.js';
import { predictionsFrom } from '../../model/predict.js';
import type { VisionTransformer } from '../../model/vit.js';
import { createNodeContext } from '../../node/device.js';
import { conceptName, ExplainOutput, type MethodRun } from '../explain-output.js';
import { intOption, listOption, parseArgs, stringOption } from '../args.js';
import { checkOutDir, nonEmptyList, openImages, openModel, parseClassArgs, parseMethods, resolveClassArgs, type NamedImage } from '../common.js';
import { CliError } from '../errors.js';
import { InputError } from '../../errors.js';
import { briefList } from '../../list-text.js';
import { pipelineNotes, Progress } from '../progress.js';
import { didYouMean } from '../suggest.js';

/** Largest --size: a picture's longer side (a 4096 x 4096 RGBA picture is 64 MiB). */
const MAX_PICTURE_SIZE = 4096;

export const explainHelp = `vitlens explain [IMAGE|DIR ...] [options]

  Explains what a timm ViT looks at: one PNG per image, method and class, and report.html
  (self-contained, opens offline) with every map side by side. Without images, explains the
  bundled Fashion-MNIST test images; without --model, uses the bundled Fashion-MNIST ViT.

  --model DIR        timm hub folder (config.json + model.safetensors)
  --method LIST      comma-separated methods, or "all" (default); --methods is the same. Available:
${METHODS.map((m) => `                       ${m.name.padEnd(13)} ${m.description}`).join('\n')}
  --class LIST       classes to explain: ids, label names (case-insensitive), "top" (the
                     prediction, default) or "topK" (the K best), e.g. --class top3,
                     --class 3,7 or --class Bag
  --concept IMG      example image(s) of a concept (repeatable, files or folders): adds
                     concept CDAM with the mean final CLS feature of the examples
  --out DIR          where to write PNGs and report.html (default ./vitlens-out)
  --size PX          longer side of each picture (default: image size, at least 224)
  --colormap NAME    colour map of unsigned maps: ${COLORMAPS.filter((c) => !DIVERGING_COLORMAPS.includes(c)).map((c) => (c === colormapFor(false) ? `${c} (default)` : c)).join(', ')};
                     signed maps always use the diverging ${DIVERGING_COLORMAPS.join(', ')}, centred on zero
  --top K            predictions listed per image (default 5)
  --batch N          images per GPU batch (default 16)
  --report-limit N   images with a full section in report.html (default 50; the overview
                     at the top lists all, and PNGs are written for all)
  --no-attention     skip the per-layer x per-head attention grids
  --json             print a JSON summary (files, predictions, timings) on stdout`;

/** File-name stems, unique within the run. */
function stems(images: readonly NamedImage[]): string[] {
  const seen = new Map<string, number>();
  return images.map((img) => {
    const stem = basename(img.path, extname(img.path)).replace(/[^\w.-]+/g, '_') || 'image';
    const n = (seen.get(stem) ?? 0) + 1;
    seen.set(stem, n);
    return n === 1 ? stem : `${stem}-${n}`;
  });
}

export async function explain(argv: string[]): Promise<void> {
  const args = parseArgs(argv, {
    model: { value: true },
    method: { value: true, multiple: true, also: ['methods'] },
    class: { value: true, multiple: true },
    concept: { value: true, multiple: true },
    out: { value: true },
    size: { value: true },
    colormap: { value: true },
    top: { value: true },
    batch: { value: true },
    'report-limit': { value: true },
    'no-attention': {},
    json: {},
  });
  const requested = nonEmptyList(args, 'method');
  const classArgs = parseClassArgs(listOption(args, 'class'));
  const colormapName = stringOption(args, 'colormap') as ColormapName | undefined;
  if (colormapName && !COLORMAPS.includes(colormapName)) throw new CliError(`unknown --colormap "${colormapName}"${didYouMean(colormapName, COLORMAPS) || ` (available: ${COLORMAPS.join(', ')})`}`);
  const size = args.options.has('size') ? intOption(args, 'size', 224) : undefined;
  if (size !== undefined && size > MAX_PICTURE_SIZE) throw new CliError(`--size ${size} is larger than ${MAX_PICTURE_SIZE} pixels (a picture's longer side)`);
  const topK = intOption(args, 'top', 5);
  const batchSize = intOption(args, 'batch', 16);
  const reportLimit = intOption(args, 'report-limit', 50, 0);
  const withAttention = !args.flags.has('no-attention');
  const outDir = resolve(stringOption(args, 'out') ?? 'vitlens-out');
  checkOutDir(outDir);
  const json = args.flags.has('json');
  const progress = new Progress();
  const started = performance.now();

  const images = openImages(args.positionals);
  const conceptImages = (args.options.get('concept') ?? []).length ? openImages(args.options.get('concept')!) : [];
  const ctx = await createNodeContext({ pacedWait: true }); // the CLI owns its process: see node/wait.ts
  try {
    const t0 = performance.now();
    const model = openModel(ctx, stringOption(args, 'model'));
    const timings = new Map<string, number>([['load model', performance.now() - t0]]);
    const methods = applicableMethods(parseMethods(requested), model, requested.length > 0 && !requested.includes('all'), progress);
    const hasLogits = model.config.numClasses > 0;
    if (!hasLogits && args.options.has('class')) throw new CliError(`--class: ${model.config.architecture} has no classifier (num_classes 0), so there are no classes to explain; use --concept`);
    const classSpecs = hasLogits ? resolveClassArgs(classArgs, model) : [];
    /** Runs fn, adds its duration to `label`'s timing, and returns its result and duration. */
    const timed = async <T>(label: string, fn: () => Promise<T>): Promise<[T, number]> => {
      const t = performance.now();
      const r = await fn();
      const ms = performance.now() - t;
      timings.set(label, (timings.get(label) ?? 0) + ms);
      return [r, ms];
    };
    const time = async <T>(label: string, fn: () => Promise<T>): Promise<T> => (await timed(label, fn))[0];
    const { detail } = pipelineNotes(ctx);
    try {
      const concept = conceptImages.length ? await time('concept vector', () => withBatch(model, conceptImages.map((c) => c.image), (x) => conceptVector(model, x))) : undefined;
      mkdirSync(outDir, { recursive: true });
      const names = stems(images);
      const pictureOpts: PictureOptions = { size, colormap: colormapName };
      const output = new ExplainOutput({ outDir, model, pictures: pictureOpts, reportLimit });
      const conceptGroup = concept && { label: `Concept “${conceptName(args.options.get('concept')!, conceptImages.map((c) => c.path))}”`, detail: `CDAM towards the mean final CLS feature of ${conceptImages.length} example image${conceptImages.length === 1 ? '' : 's'}` };
      const batches = Math.ceil(images.length / batchSize);
      for (let first = 0; first < images.length; first += batchSize) {
        const chunk = images.slice(first, first + batchSize);
        const tag = batches > 1 ? `[batch ${first / batchSize + 1}/${batches}] ` : '';
        await withBatch(model, chunk.map((c) => c.image), async (x) => {
          // One forward (and one backward for the classes) serves every derivable method, and its
          // logits give the top-k table and rank 'top' classes: no forward of their own.
          using session = explainSession(model, x);
          let logits: Float32Array | undefined;
          if (hasLogits) {
            const [l, ms] = await timed('forward', () => session.logits());
            progress.step(`${tag}forward`, detail(ms));
            logits = l;
          }
          const preds = logits ? predictionsFrom(logits, model, topK) : chunk.map(() => []);
          const ids = hasLogits ? await resolveClasses(model, x, classSpecs, () => session.logits()) : [];
          const targets = ids.map((row) => ({ perImage: row }));
          const runs: MethodRun[] = [];
          for (const [i, m] of methods.entries()) {
            const label = `${tag}${m.name} (${i + 1}/${methods.length})`;
            const [maps, ms] = await timed(m.title, () => session.explain(m.name, targets, { onProgress: (d, n) => progress.update(label, d, n) }));
            progress.step(label, detail(ms));
            runs.push({ method: m, maps });
          }
          if (concept) {
            const maps = await time('Concept CDAM', () => conceptCdam(model, x, concept));
            runs.push({ method: { name: 'cdam-concept', title: 'Concept CDAM', description: `CDAM towards the mean feature of ${conceptImages.length} example image(s)`, classSpecific: false }, maps, group: conceptGroup || undefined });
          }
          const attention = withAttention && model.config.classToken ? await time('attention grid', () => session.clsAttention()) : undefined;
          const t = performance.now();
          chunk.forEach((img, b) => {
            const index = first + b;
            const view = resizeAndCrop(img.image, model.config.pretrained);
            output.addImage(img.path, names[index], view, runs, ids, b, preds[b], attention && { perHead: attention.perHead.map((l) => l.map((h) => h[b])), grid: attention.grid });
          });
          timings.set('pictures', (timings.get('pictures') ?? 0) + performance.now() - t);
        });
      }
      const settings: [string, string][] = [
        ['model', `${model.config.architecture} (${stringOption(args, 'model') ?? 'bundled Fashion-MNIST ViT'})`],
        ['input', `${model.config.pretrained.inputSize.join(' x ')}, ${model.config.pretrained.interpolation} resize, crop_pct ${model.config.pretrained.cropPct}`],
        ['methods', methods.map((m) => m.name).join(', ') + (concept ? ', cdam-concept' : '')],
        ['explained classes', classSpecs.join(', ')],
        ...(classNamesSource(model.config) === 'imagenet-1k' ? [['class names', 'ImageNet-1k’s, assumed: the model has 1,000 classes and its config no label_names'] as [string, string]] : []),
        ['colour maps', describeColormaps(colormapName)],
        ['pictures', 'the input as the model saw it and each map enlarged nearest-neighbour: one flat block per patch'],
        ['images', `${images.length}${images.length > reportLimit ? ` (sections for the first ${reportLimit}; all in the overview)` : ''}`],
      ];
      const colormaps = { unsigned: colormapFor(false, colormapName), signed: colormapFor(true, colormapName) };
      const meta = { model: model.config.architecture, adapter: ctx.info.name, created: new Date().toISOString(), settings, colormaps, timings: [...timings, ['total', performance.now() - started]] as [string, number][] };
      const { reportPath, summary } = output.finish(meta, { timingsMs: Object.fromEntries(timings) });
      const written = output.written;
      if (json) {
        console.log(summary);
      } else {
        const files = written.reduce((n, w) => n + w.files.length, 0);
        console.log(`${files} pictures of ${images.length} image${images.length === 1 ? '' : 's'} in ${outDir}`);
        console.log(`report: ${reportPath}`);
      }
    } finally {
      model.dispose();
    }
  } finally {
    ctx.dispose();
  }
}

/**
 * The methods this model can run. Asked for by name, a method the model cannot run fails with
 * its own error; from the default "all", it is left out with a note (feature models without a
 * classifier have no class-specific maps; models without a class token no CLS-row maps).
 */
function applicableMethods(methods: MethodInfo[], model: VisionTransformer, explicit: boolean, progress: Progress): MethodInfo[] {
  const noLogits = model.config.numClasses === 0;
  if (explicit) {
    const needLogits = methods.filter((m) => m.classSpecific);
    if (noLogits && needLogits.length) {
      throw new InputError('no-logits', `${briefList(needLogits.map((m) => m.name))} need class scores, but ${model.config.architecture} has no classifier (num_classes 0): use the attention-based methods or --concept`);
    }
    return methods;
  }
  const noCls = !model.config.classToken;
  const skipped = methods.filter((m) => (noLogits && m.classSpecific) || (noCls && m.usesClassToken));
  if (skipped.length) {
    const why = [noLogits && 'it has no classifier', noCls && 'it has no class token'].filter(Boolean).join(' and ');
    progress.step(`skipping ${skipped.map((m) => m.name).join(', ')}: ${why}`);
  }
  return methods.filter((m) => !skipped.includes(m));
}

/** Runs `fn` on a batch tensor of `images`, releasing it afterwards. */
async function withBatch<T>(model: VisionTransformer, images: RawImage[], fn: (x: Tensor) => Promise<T>): Promise<T> {
  const x = imageBatch(model, images);
  try {
    return await fn(x);
  } finally {
    x.release();
  }
}
