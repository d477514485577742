/** `vitlens eval`: scores explanation methods on a set of images (src/explain/evaluate). */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, ImageError } from '../../errors.js';
import { EVAL_METHOD_NAMES, Evaluation, METRICS, REFERENCES, type Metric, type Reference } from '../../explain/evaluate/run.js';
import { formatReport } from '../../explain/evaluate/tables.js';
import { parseSafetensors } from '../../io/safetensors.js';
import type { GpuContext } from '../../gpu/context.js';
import { imageBatch } from '../../model/input.js';
import { VisionTransformer } from '../../model/vit.js';
import { checkWeights, type WeightMap } from '../../model/weights.js';
import { openImageSource } from '../../node/dataset.js';
import { readWeightsFile } from '../../node/convert.js';
import { createNodeContext } from '../../node/device.js';
import { readHubConfig } from '../../node/load.js';
import { evaluationPage } from '../../report/evaluation-page.js';
import { intOption, listOption, parseArgs, stringOption, type ParsedArgs } from '../args.js';
import { checkOutDir, modelDir, unknownName } from '../common.js';
import { METHODS } from '../../explain/registry.js';
import { CliError } from '../errors.js';
import { bundledImagesDir } from '../paths.js';
import { Progress } from '../progress.js';

export const evalHelp = `vitlens eval [--model DIR] [--images DIR|FILE] [--methods LIST] [--metrics LIST] [options]

  Evaluates explanation methods on a set of images and prints tables; writes the full report
  as JSON and as a self-contained HTML page with plots. The explained class is the predicted one.

  --model DIR         timm hub folder (default: the bundled Fashion-MNIST ViT)
  --images PATH       a folder of PNG/JPEG images, one image, or a safetensors data file with
                      "images" (U8 [N, H, W] or [N, H, W, C]) and optional "labels" (default:
                      the bundled images); read in batches
  --methods LIST      comma-separated, or "all" (default); --method is the same:
                      ${EVAL_METHOD_NAMES.join(', ')}
  --metrics LIST      comma-separated, or "all" (default): ${METRICS.join(', ')}
  --limit N           evaluate the first N images only
  --spread            visit the images in an order whose every prefix spreads evenly over the
                      set (a --limit subset, and the first images of the bounded experiments,
                      then cover every class of a file sorted by class)
  --batch B           images per batch (default 50)
  --out DIR           where evaluation.json and evaluation.html go (default vitlens-out)
  --json              print the JSON report instead of tables
  --markdown          print the tables as Markdown (what docs/evaluation.md embeds)
  --quiet             no progress bar

  Experiment settings:
  --references LIST   agreement references: occlusion (also called blank-out), tam (default both)
  --deletion-images N images for deletion/insertion (default 500; "all")
  --deletion-steps N  points per curve minus one (default min(patches, 20))
  --baseline KIND     deletion baseline: black (default) or blur
  --fgsm-images N     images for the FGSM experiment (default 200; "all")
  --fgsm-q Q          share of patches in the attacked region (default 0.1)
  --fgsm-eps E        step in pixel levels of 1/255 (default 2)
  --fgsm-steps N      step budget (default 40)
  --sanity-images N   images for the randomisation checks (default 100; "all")
  --seed S            seed of the random control and the re-initialised weights (default 0)`;

const SPEC = {
  model: { value: true }, images: { value: true }, methods: { value: true, multiple: true, also: ['method'] }, metrics: { value: true, multiple: true, also: ['metric'] },
  limit: { value: true }, spread: {}, batch: { value: true }, out: { value: true }, json: {}, markdown: {}, quiet: {},
  references: { value: true, multiple: true, also: ['reference'] }, 'deletion-images': { value: true }, 'deletion-steps': { value: true }, baseline: { value: true },
  'fgsm-images': { value: true }, 'fgsm-q': { value: true }, 'fgsm-eps': { value: true }, 'fgsm-steps': { value: true },
  'sanity-images': { value: true }, seed: { value: true },
};

/** A --methods / --metrics / --references list: "all" or known names (aliases resolved), each once. */
function choose<T extends string>(args: ParsedArgs, key: string, known: readonly T[], dflt: readonly T[], aliases: Record<string, T> = {}): T[] {
  const list = listOption(args, key).map((v) => aliases[v.toLowerCase()] ?? v.toLowerCase());
  if (list.length === 0 || (list.length === 1 && list[0] === 'all')) return [...dflt];
  for (const v of list) if (!known.includes(v as T)) throw unknownName(key.replace(/s$/, ''), v, known, [...known, ...Object.keys(aliases)]);
  if (new Set(list).size !== list.length) throw new CliError(`--${key} lists a value twice`);
  return list as T[];
}

function countOption(args: ParsedArgs, key: string, dflt: number): number {
  return stringOption(args, key) === 'all' ? Infinity : intOption(args, key, dflt, 0);
}

function numberOption(args: ParsedArgs, key: string, dflt: number, ok: (v: number) => boolean, what: string): number {
  const v = stringOption(args, key);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || !ok(n)) throw new CliError(`--${key} must be ${what}, got "${v}"`);
  return n;
}

/** The model and its CPU weights (the sanity checks re-initialise copies of them). */
function loadModel(ctx: GpuContext, spec: string | undefined): { model: VisionTransformer; weights: WeightMap; layerScaleInit?: number } {
  const dir = modelDir(spec);
  const cfg = readHubConfig(dir);
  const path = join(dir, 'model.safetensors');
  if (!existsSync(path)) throw new ConfigError('no-weights', `${dir} has no model.safetensors`);
  const weights = checkWeights(cfg, parseSafetensors(readWeightsFile(path), path), path);
  const raw = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  const init = raw?.model_args?.init_values;
  return { model: VisionTransformer.fromWeights(ctx, cfg, weights), weights, layerScaleInit: typeof init === 'number' ? init : undefined };
}

export async function evaluate(argv: string[]): Promise<void> {
  const args = parseArgs(argv, SPEC);
  if (args.positionals.length) throw new CliError(`unexpected argument "${args.positionals[0]}" (images go after --images)`);
  const methodAliases = Object.fromEntries(METHODS.flatMap((m) => (m.aliases ?? []).map((a) => [a, m.name])));
  const methods = choose(args, 'methods', EVAL_METHOD_NAMES, EVAL_METHOD_NAMES, methodAliases);
  const metrics = choose<Metric>(args, 'metrics', METRICS, METRICS);
  // The occlusion reference is called 'blank-out' inside the evaluation; 'occlusion' is its name everywhere else.
  const references = choose<Reference>(args, 'references', REFERENCES, REFERENCES, { occlusion: 'blank-out', blankout: 'blank-out' });
  const limit = countOption(args, 'limit', Infinity);
  if (limit === 0) throw new CliError('--limit must be at least 1');
  const batch = intOption(args, 'batch', 50);
  const baseline = stringOption(args, 'baseline') ?? 'black';
  if (baseline !== 'black' && baseline !== 'blur') throw new CliError(`--baseline must be black or blur, got "${baseline}"`);
  const fgsm = {
    q: numberOption(args, 'fgsm-q', 0.1, (v) => v > 0 && v < 1, 'in (0, 1)'),
    eps: numberOption(args, 'fgsm-eps', 2, (v) => v > 0, 'a positive number of 1/255 levels') / 255,
    maxSteps: intOption(args, 'fgsm-steps', 40, 0),
  };
  const deletionSteps = stringOption(args, 'deletion-steps') === undefined ? undefined : intOption(args, 'deletion-steps', 20, 1);
  const seed = intOption(args, 'seed', 0, 0);
  const json = args.flags.has('json');
  const markdown = args.flags.has('markdown');
  if (json && markdown) throw new CliError('--json and --markdown exclude each other');
  const out = resolve(stringOption(args, 'out') ?? 'vitlens-out');
  checkOutDir(out);
  const imagesPath = stringOption(args, 'images') ?? bundledImagesDir();
  if (!existsSync(imagesPath)) throw new ImageError('no-file', `--images ${imagesPath}: no such file or folder`);
  const source = openImageSource(imagesPath, { limit, spread: args.flags.has('spread') });
  const progress = new Progress(!args.flags.has('quiet'));

  const ctx = await createNodeContext({ pacedWait: true }); // the CLI owns its process: see node/wait.ts
  try {
    const { model, weights, layerScaleInit } = loadModel(ctx, stringOption(args, 'model'));
    try {
      let done = 0;
      let stage = '';
      const ev = new Evaluation(model, {
        methods, metrics, references, weights, layerScaleInit, seed, fgsm, deletionSteps,
        deletionBaseline: baseline,
        deletionImages: countOption(args, 'deletion-images', 500),
        fgsmImages: countOption(args, 'fgsm-images', 200),
        sanityImages: countOption(args, 'sanity-images', 100),
        onProgress: (s, d, t) => {
          stage = s;
          if (s.startsWith('sanity')) progress.update('sanity checks', d, t, s.replace(/^sanity: /, ''));
          else progress.update('images', done, source.count, s);
        },
      });
      try {
        for (const b of source.batches(batch)) {
          const x = imageBatch(model, b.images);
          try {
            await ev.add({ images: x, labels: b.labels });
          } finally {
            x.release();
          }
          done += b.images.length;
          progress.update('images', done, source.count, stage);
        }
      } catch (e) {
        ev.dispose();
        throw e;
      }
      const report = await ev.finish();
      progress.done();
      const command = `vitlens eval ${argv.join(' ')}`.trim();
      mkdirSync(out, { recursive: true });
      const full = { command, source: { path: source.path, kind: source.kind, available: source.available }, ...report };
      writeFileSync(join(out, 'evaluation.json'), `${JSON.stringify(full, null, 1)}\n`);
      writeFileSync(join(out, 'evaluation.html'), evaluationPage(report, { command, available: source.available }));
      if (json) console.log(JSON.stringify(full, null, 1));
      else console.log(formatReport(report, { markdown, available: source.available, header: [`Command: \`${command}\``] }));
      if (!args.flags.has('quiet')) console.error(`wrote ${join(out, 'evaluation.json')} and ${join(out, 'evaluation.html')}`);
    } finally {
      model.dispose();
    }
  } finally {
    progress.done();
    ctx.dispose();
  }
}
