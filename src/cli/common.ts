/** Shared CLI plumbing: opening the model and images named on the command line. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError, FileError, ImageError } from '../errors.js';
import type { GpuContext } from '../gpu/context.js';
import type { RawImage } from '../io/image.js';
import { readImageFileSync } from '../io/decode-node.js';
import { classNames } from '../model/class-names.js';
import { timmModelArgs } from '../model/timm-models.js';
import type { VisionTransformer } from '../model/vit.js';
import { loadModelDir } from '../node/load.js';
import { METHODS, methodByName, type MethodInfo } from '../explain/registry.js';
import type { ClassSpec } from '../explain/class-specs.js';
import { briefList } from '../list-text.js';
import { listOption, type ParsedArgs } from './args.js';
import { CliError } from './errors.js';
import { closest, didYouMean } from './suggest.js';
import { bundledImagesDir, bundledModelDir } from './paths.js';

/** The hub folder --model names (default: the bundled model), or an error saying what to pass instead. */
export function modelDir(spec: string | undefined): string {
  if (!spec) return bundledModelDir();
  if (existsSync(spec)) {
    if (statSync(spec).isDirectory()) return resolve(spec);
    const name = basename(spec);
    if (name === 'config.json' || name === 'model.safetensors') {
      throw new ConfigError('not-a-folder', `--model ${spec} is a file: pass the folder that holds config.json and model.safetensors (--model ${dirname(spec)})`);
    }
    const checkpoint = /\.(pth|pt|bin|ckpt|safetensors)$/i.test(name);
    throw new ConfigError(
      'not-a-folder',
      `--model ${spec} is a file, and --model expects a timm hub folder (config.json + model.safetensors)${checkpoint ? `: turn a checkpoint into one with \`vitlens convert ${spec} OUT_DIR\`` : ''}`,
    );
  }
  if (timmModelArgs(spec.split('.')[0])) {
    throw new ConfigError(
      'no-weights',
      `"${spec}" is a timm model name, but vitlens downloads nothing: get its hub folder (config.json + model.safetensors, e.g. from huggingface.co/timm/${spec}) or run weights-tools/export_timm.py ${spec} DIR, then pass --model DIR`,
    );
  }
  throw new ConfigError('no-model', `--model ${spec}: no such folder (expected a timm hub folder with config.json and model.safetensors)`);
}

export function openModel(ctx: GpuContext, spec: string | undefined): VisionTransformer {
  return loadModelDir(ctx, modelDir(spec));
}

export interface NamedImage {
  path: string;
  image: RawImage;
}

const IMAGE_EXT = /\.(png|jpe?g)$/i;

/** Image files named on the command line (folders expand to their PNG/JPEG files); default: the bundled images. */
export function openImages(paths: readonly string[]): NamedImage[] {
  const files: string[] = [];
  for (const p of paths.length ? paths : [bundledImagesDir()]) {
    if (!existsSync(p)) throw new ImageError('no-file', `${p}: no such file`);
    if (statSync(p).isDirectory()) {
      const inDir = readdirSync(p).filter((f) => IMAGE_EXT.test(f)).sort().map((f) => join(p, f));
      if (inDir.length === 0) throw new ImageError('no-file', `${p}: folder has no .png/.jpg images`);
      files.push(...inDir);
    } else files.push(p);
  }
  return files.map((path) => ({ path, image: readImageFileSync(path) }));
}

/** `unknown <what> "x" (did you mean "y"?)`, or with no close name, the count and the first few known ones. */
export function unknownName(what: string, name: string, known: readonly string[], suggestable: readonly string[] = known): CliError {
  const hint = didYouMean(name, suggestable);
  return new CliError(`unknown ${what} "${name}"${hint || ` (${known.length} known: ${briefList(known, 6)}; see --help)`}`);
}

/** Refuses an --out that names an existing file, before any work is done (mkdir would fail at the end). */
export function checkOutDir(dir: string): void {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new FileError('eexist', `--out ${dir}: a file of that name exists; name a folder (it is created if needed)`, dir);
}

/** A comma-list option that, when given, must name something: `--method ,` is a usage error, not "all". */
export function nonEmptyList(args: ParsedArgs, key: string): string[] {
  const list = listOption(args, key);
  if (args.options.has(key) && list.length === 0) throw new CliError(`--${key} needs at least one name, got ${JSON.stringify(args.options.get(key)!.join(','))}`);
  return list;
}

/** Method names from --method / --methods (comma lists, repeats, aliases): none or "all" means every method. */
export function parseMethods(names: readonly string[]): MethodInfo[] {
  if (names.length === 0 || names.includes('all')) return [...METHODS];
  const picked = names.map((n) => {
    const m = methodByName(n);
    if (!m) throw unknownName('method', n, [...METHODS.map((x) => x.name), 'all'], METHODS.flatMap((x) => [x.name, ...(x.aliases ?? [])]));
    return m;
  });
  return [...new Set(picked)];
}

/** A --class value before the model is known: an id, "top"/"topK", or a label name to look up. */
export type ClassArg = ClassSpec | { label: string };

/** Parses --class values (ids, "top", "topK", label names); checks what needs no model. */
export function parseClassArgs(values: readonly string[]): ClassArg[] {
  if (values.length === 0) return ['top'];
  return values.map((v) => {
    const top = /^top(\d*)$/i.exec(v);
    if (top) {
      if (top[1] && Number(top[1]) < 1) throw new CliError(`--class ${v}: topK needs K >= 1 (e.g. top3)`);
      return `top${top[1]}` as ClassSpec;
    }
    if (/^\d+$/.test(v)) return Number(v);
    if (/^-\d+$/.test(v)) throw new CliError(`--class ${v}: class ids are >= 0`);
    return { label: v };
  });
}

const labelKey = (s: string) => s.toLowerCase().replace(/[\s_-]+/g, ' ').trim();

/** Resolves --class arguments against the model: label names (case-insensitive) to ids, ranges checked. */
export function resolveClassArgs(args: readonly ClassArg[], model: VisionTransformer): ClassSpec[] {
  const C = model.config.numClasses;
  const labels = classNames(model.config) ?? [];
  return args.map((a) => {
    if (typeof a === 'number') {
      if (a >= C) throw new CliError(`--class ${a}: class id ${a} is out of range: this model has ${C} classes (0..${C - 1})`);
      return a;
    }
    if (typeof a === 'string') {
      const k = a === 'top' ? 1 : Number(a.slice(3));
      if (k > C) throw new CliError(`--class ${a}: K must be between 1 and ${C} (this model has ${C} classes)`);
      return a;
    }
    if (typeof a === 'object' && 'label' in a) {
      const i = labels.findIndex((l) => labelKey(l) === labelKey(a.label));
      if (i >= 0) return i;
      if (labels.length === 0) throw new CliError(`--class "${a.label}": this model has no label names (config.json label_names); give class ids, "top" or "topK"`);
      const near = closest(labelKey(a.label), labels.map(labelKey));
      const hint = near === undefined ? ` (${labels.length} classes: ${briefList(labels, 6)})` : ` (did you mean "${labels[labels.map(labelKey).indexOf(near)]}"?)`;
      throw new CliError(`--class "${a.label}": no class of this model has that name${hint}`);
    }
    return a;
  });
}
