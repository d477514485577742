/**
 * Which of a set of files make a model: a timm hub folder (config.json + model.safetensors), or a
 * lone .safetensors with a config next to it. Dropped folders are read one level deep (hub folders
 * are flat).
 */
import { InputError } from '../errors.js';

export interface ModelFiles {
  config: File;
  weights: File;
  /** For captions: the folder's name when the files came from one, else the weights' name. */
  name: string;
}

export const isModelFile = (f: File) => /\.safetensors$/i.test(f.name) || /\.json$/i.test(f.name);

/** The config and weights among `files`, or InputError saying which is missing. */
export function pickModelFiles(files: readonly File[]): ModelFiles {
  const weights = files.filter((f) => /\.safetensors$/i.test(f.name));
  const jsons = files.filter((f) => /\.json$/i.test(f.name));
  const config = jsons.find((f) => f.name === 'config.json') ?? (jsons.length === 1 ? jsons[0] : undefined);
  if (weights.length === 0) throw new InputError('no-weights', `no .safetensors file among ${files.map((f) => f.name).join(', ') || 'the files'}: a model needs config.json and model.safetensors (a timm hub folder)`);
  if (weights.length > 1 && !weights.some((f) => f.name === 'model.safetensors')) throw new InputError('many-weights', `several .safetensors files (${weights.map((f) => f.name).join(', ')}): pick one with its config.json`);
  if (!config) throw new InputError('no-config', `no config.json next to ${weights[0].name}: pick the timm hub config.json together with the weights`);
  const w = weights.find((f) => f.name === 'model.safetensors') ?? weights[0];
  const rel = (w as File & { webkitRelativePath?: string }).webkitRelativePath;
  const folder = rel && rel.includes('/') ? rel.split('/').slice(-2, -1)[0] : '';
  return { config, weights: w, name: folder || w.name };
}

/** The files of a drop, with dropped folders' files (one level deep). */
export async function droppedFiles(dt: DataTransfer): Promise<File[]> {
  const entries = Array.from(dt.items).map((it) => it.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => !!e);
  if (entries.length === 0) return Array.from(dt.files);
  const out: File[] = [];
  const fileOf = (e: FileSystemFileEntry) => new Promise<File>((ok, fail) => e.file(ok, fail));
  for (const e of entries) {
    if (e.isFile) out.push(await fileOf(e as FileSystemFileEntry));
    else if (e.isDirectory) {
      const reader = (e as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((ok, fail) => reader.readEntries(ok, fail));
        if (batch.length === 0) break;
        for (const c of batch) if (c.isFile) out.push(await fileOf(c as FileSystemFileEntry));
      }
    }
  }
  return out;
}
