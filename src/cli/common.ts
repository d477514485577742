/** Shared CLI plumbing: opening the model and images named on the command line. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, FileError, ImageError } from '../errors.js';
import type { GpuContext } from '../gpu/context.js';
import type { RawImage } from '../io/image.js';
import { readImageFileSync } from '../io/decode-node.js';
import { timmModelArgs } from '../model/timm-models.js';
import type { VisionTransformer } from '../model/vit.js';
import { loadModelDir } from '../node/load.js';
import { METHODS, methodByName, type MethodInfo } from '../explain/registry.js';
import { listOption, type ParsedArgs } from './args.js';
import { CliError } from './errors.js';
import { bundledImagesDir, bundledModelDir } from './paths.js';

export function openModel(ctx: GpuContext, spec: string | undefined): VisionTransformer {
  if (!spec) return loadModelDir(ctx, bundledModelDir());
  if (existsSync(spec)) return loadModelDir(ctx, resolve(spec));
  if (timmModelArgs(spec.split('.')[0])) {
    throw new ConfigError(
      'no-weights',
      `"${spec}" is a timm model name, but vitlens downloads nothing: get its hub folder (config.json + model.safetensors, e.g. from huggingface.co/timm/${spec}) or run weights-tools/export_timm.py ${spec} DIR, then pass --model DIR`,
    );
  }
  throw new ConfigError('no-model', `--model ${spec}: no such folder (expected a timm hub folder with config.json and model.safetensors)`);
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

/** Method names from --method (comma lists, repeats): none or "all" means every method. */
export function parseMethods(names: readonly string[]): MethodInfo[] {
  if (names.length === 0 || names.includes('all')) return [...METHODS];
  return names.map((n) => {
    const m = methodByName(n);
    if (!m) throw new CliError(`unknown method "${n}" (available: ${METHODS.map((x) => x.name).join(', ')}, all)`);
    return m;
  });
}
