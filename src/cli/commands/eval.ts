/** `vitlens eval`: scores explanation methods on a set of images (src/explain/evaluate). */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ConfigError, ImageError } from '../../errors.js';
import { EVAL_METHOD_NAMES, Evaluation, METRICS, REFERENCES, type Metric, type Reference } from '../../explain/evaluate/run.js';
import { parseShard, shardPositions, type Shard } from '../../explain/evaluate/shard.js';
import { parseSafetensors } from '../../io/safetensors.js';
import type { GpuContext } from '../../gpu/context.js';
import { classNames } from '../../model/class-names.js';
import { imageBatch } from '../../model/input.js';
import { VisionTransformer } from '../../model/vit.js';
import { checkWeights, type WeightMap } from '../../model/weights.js';
import { openImageSource } from '../../node/dataset.js';
import { readWeightsFile } from '../../node/convert.js';
import { createNodeContext } from '../../node/device.js';
import { EvalProgress, STATE_FILE, writeRunState, type RunManifest } from '../../node/eval-progress.js';
import { readHubConfig } from '../../node/load.js';
import { maskProvider } from '../../node/masks.js';
import { intOption, listOption, parseArgs, stringOption, type ParsedArgs } from '../args.js';
import { checkOutDir, modelDir, unknownName } from '../common.js';
import { METHODS } from '../../explain/registry.js';
import { CliError } from '../errors.js';
import { announce } from '../eval-plan.js';
import { bundledImagesDir } from '../paths.js';
import { Progress } from '../progress.js';
import { evalMerge, writeReport } from './eval-merge.js';

export const evalHelp = `vitlens eval [--model DIR] [--images DIR|FILE] [--methods LIST] [--metrics LIST] [options]
vitlens eval merge [--partial] DIR... --out DIR [--json|--markdown]

  Evaluates explanation methods on a set of images and prints tables; writes the full report
  as JSON and as a self-contained HTML page with plots. The explained class is the predicted one.
  Before it starts it says how much work the run is and about how long it will take.

  --model DIR         timm hub folder (default: the bundled Fashion-MNIST ViT)
  --images PATH       a folder of PNG/JPEG images, one image, or a safetensors data file with
                      "images" (U8 [N, H, W] or [N, H, W, C]), optional "labels" and optional
                      "masks" (U8 [N, H, W], a class id per pixel) (default: the bundled images);
                      read in batches
  --methods LIST      comma-separated, or "all" (default): ${EVAL_METHOD_NAMES.join(', ')}
                      (--method is the same option)
  --metrics LIST      comma-separated, or "all" (default; localisation only when there are masks):
                      ${METRICS.join(', ')}
  --limit N           evaluate the first N images only
  --spread            visit the images in an order whose every prefix spreads evenly over the
                      set (a --limit subset, and the first images of the bounded experiments,
                      then cover every class of a file sorted by class)
  --batch B           images per batch (default 50)
  --out DIR           where evaluation.json, evaluation.html and the run's progress go
                      (default vitlens-out)
  --json              print the JSON report instead of tables
  --markdown          print the tables as Markdown (what docs/evaluation.md embeds)
  --quiet             no progress bar

  Runs that lose nothing, shards on a cluster:
  --resume            continue the run whose progress is in --out (same settings, model, images);
                      ends with the same evaluation.json as an uninterrupted run
  --restart           discard an unfinished run's progress in --out and start again
  --shard K/N         evaluate shard K of N (K from 0): every image in exactly one shard, balanced
                      per class when there are labels; combine the shards' --out folders with
                      \`vitlens eval merge\` (docs/evaluation.md: Slurm arrays, Kubernetes jobs);
                      merge --partial reports what unfinished runs have recorded so far

  Localisation against ground-truth masks:
  --masks SPEC        "nonzero" (an image's non-zero pixels are the mask of its labelled class),
                      a folder of PNG masks named like the images, or a safetensors file with
                      "masks" aligned with --images; default: the data file's own "masks"
  --mask-classes LIST names of the mask's class ids 0, 1, ... (default: background and the
                      model's label names, ids = class + 1)
  --mask-region R     class (default: the pixels of id explained class + 1) or foreground
                      (every non-zero pixel)

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
  resume: {}, restart: {}, shard: { value: true }, masks: { value: true }, 'mask-classes': { value: true, multiple: true }, 'mask-region': { value: true },
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

/** The model, its CPU weights (the sanity checks re-initialise copies of them) and their hash. */
function loadModel(ctx: GpuContext, spec: string | undefined): { model: VisionTransformer; weights: WeightMap; layerScaleInit?: number; sha256: string } {
  const dir = modelDir(spec);
  const cfg = readHubConfig(dir);
  const path = join(dir, 'model.safetensors');
  if (!existsSync(path)) throw new ConfigError('no-weights', `${dir} has no model.safetensors`);
  const bytes = readWeightsFile(path);
  const weights = checkWeights(cfg, parseSafetensors(bytes, path), path);
  const raw = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  const init = raw?.model_args?.init_values;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { model: VisionTransformer.fromWeights(ctx, cfg, weights), weights, layerScaleInit: typeof init === 'number' ? init : undefined, sha256 };
}

export async function evaluate(argv: string[]): Promise<void> {
  if (argv[0] === 'merge') return evalMerge(argv.slice(1));
  const args = parseArgs(argv, SPEC);
  if (args.positionals.length) throw new CliError(`unexpected argument "${args.positionals[0]}" (images go after --images)`);
  const methodAliases = Object.fromEntries(METHODS.flatMap((m) => (m.aliases ?? []).map((a) => [a, m.name])));
  const methods = choose(args, 'methods', EVAL_METHOD_NAMES, EVAL_METHOD_NAMES, methodAliases);
  // The occlusion reference is called 'blank-out' inside the evaluation; 'occlusion' is its name everywhere else.
  const references = choose<Reference>(args, 'references', REFERENCES, REFERENCES, { occlusion: 'blank-out', blankout: 'blank-out' });
  const limit = countOption(args, 'limit', Infinity);
  if (limit === 0) throw new CliError('--limit must be at least 1');
  const batch = intOption(args, 'batch', 50);
  const baseline = stringOption(args, 'baseline') ?? 'black';
  if (baseline !== 'black' && baseline !== 'blur') throw new CliError(`--baseline must be black or blur, got "${baseline}"`);
  const region = stringOption(args, 'mask-region') ?? 'class';
  if (region !== 'class' && region !== 'foreground') throw new CliError(`--mask-region must be class or foreground, got "${region}"`);
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
  const resume = args.flags.has('resume');
  if (resume && args.flags.has('restart')) throw new CliError('--resume and --restart exclude each other');
  const shardSpec = stringOption(args, 'shard');
  let shard: Shard | null = null;
  try {
    shard = shardSpec === undefined ? null : parseShard(shardSpec);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const out = resolve(stringOption(args, 'out') ?? 'vitlens-out');
  checkOutDir(out);
  const imagesPath = stringOption(args, 'images') ?? bundledImagesDir();
  if (!existsSync(imagesPath)) throw new ImageError('no-file', `--images ${imagesPath}: no such file or folder`);
  const spread = args.flags.has('spread');
  const whole = openImageSource(imagesPath, { limit, spread });
  const ids = shard ? shardPositions(whole.count, shard, whole.labels()) : Array.from({ length: whole.count }, (_, i) => i);
  const source = shard ? whole.select(ids) : whole;
  const masksSpec = stringOption(args, 'masks');
  const haveMasks = masksSpec !== undefined || source.hasMasks;
  const metrics = choose<Metric>(args, 'metrics', METRICS, METRICS.filter((m) => m !== 'localisation' || haveMasks));
  if (metrics.includes('localisation') && !haveMasks) throw new CliError('the localisation metric needs masks: --masks nonzero|DIR|FILE, or a data file with a "masks" tensor');
  const progress = new Progress(!args.flags.has('quiet'));

  const ctx = await createNodeContext({ pacedWait: true }); // the CLI owns its process: see node/wait.ts
  try {
    const { model, weights, layerScaleInit, sha256 } = loadModel(ctx, stringOption(args, 'model'));
    try {
      const [, H, W] = model.config.pretrained.inputSize;
      const masks = metrics.includes('localisation') ? maskProvider(masksSpec, source, H, W) : undefined;
      const listed = listOption(args, 'mask-classes');
      const maskClassNames = listed.length ? listed : ['background', ...(classNames(model.config) ?? Array.from({ length: model.config.numClasses }, (_, c) => `class ${c}`))];
      let stage = '';
      let batchDone = 0;
      let batchSize = 0;
      const ev = new Evaluation(model, {
        methods, metrics, references, weights, layerScaleInit, seed, fgsm, deletionSteps,
        deletionBaseline: baseline,
        deletionImages: countOption(args, 'deletion-images', 500),
        fgsmImages: countOption(args, 'fgsm-images', 200),
        sanityImages: countOption(args, 'sanity-images', 100),
        localisation: { region, classNames: maskClassNames },
        onProgress: (s) => {
          stage = s;
          progress.update('images', batchDone + batchSize * plan.fraction(s), source.count, s);
        },
      });
      const manifest: RunManifest = {
        format: 'vitlens-eval-progress/1',
        settings: ev.settings(),
        model: { architecture: model.config.architecture, sha256, config: model.config },
        source: { kind: whole.kind, name: basename(whole.path), available: whole.available, count: whole.count, spread, masks: masksSpec ?? (source.hasMasks ? 'masks tensor' : null) },
        batch,
        shard,
      };
      mkdirSync(out, { recursive: true });
      const status = EvalProgress.status(out);
      if (!resume && status === 'unfinished' && !args.flags.has('restart')) {
        throw new CliError(`${out} holds an unfinished run: pass --resume to continue it, --restart to discard it, or another --out`);
      }
      let file: EvalProgress;
      let skip = 0;
      if (resume) {
        const r = EvalProgress.resume(out, manifest);
        file = r.progress;
        for (const rec of r.records) ev.replay(rec);
        skip = r.records.reduce((a, rec) => a + rec.ids.length, 0);
      } else {
        rmSync(join(out, STATE_FILE), { force: true });
        file = EvalProgress.create(out, manifest);
      }
      const plan = await announce(model, ev, ids, { methods, metrics, references, fgsm, deletionSteps, skip, quiet: args.flags.has('quiet'), resumed: resume });
      batchDone = skip;
      try {
        for (const b of source.batches(batch, skip)) {
          batchSize = b.images.length;
          plan.start(b.ids);
          const x = imageBatch(model, b.images);
          try {
            file.append(await ev.add({ images: x, labels: b.labels, ids: b.ids, masks: masks?.(b) }));
          } finally {
            x.release();
          }
          batchDone += b.images.length;
          progress.update('images', batchDone, source.count, stage);
        }
      } finally {
        file.close();
      }
      const state = ev.state();
      writeRunState(out, { manifest, state, source: { path: whole.path, kind: whole.kind, available: whole.available } });
      const report = await ev.finish();
      progress.done();
      const command = `vitlens eval ${argv.join(' ')}`.trim();
      writeReport(out, report, { command, source: { path: whole.path, kind: whole.kind, available: whole.available }, json, markdown, quiet: args.flags.has('quiet'), shard });
    } finally {
      model.dispose();
    }
  } finally {
    progress.done();
    ctx.dispose();
  }
}
