/** Converting a checkpoint file on disk into a timm hub folder (config.json + model.safetensors). */
import { constants as bufferConstants } from 'node:buffer';
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { convertCheckpoint, type ConvertOptions, type ConvertResult } from '../convert/convert.js';
import { CheckpointError } from '../errors.js';
import type { Inflate } from '../io/zip.js';

/** zlib's raw inflate, never producing more than the entry's declared (and bounded) size. */
export const nodeInflate: Inflate = (compressed, size) => new Uint8Array(inflateRawSync(compressed, { maxOutputLength: Math.max(1, size) }));

/**
 * Reads a whole weights file, with a typed error when it is missing or a folder. Read in chunks:
 * readFileSync stops at 2 GiB, and ViT-L/H checkpoints are larger.
 */
export function readWeightsFile(path: string): Uint8Array {
  if (!existsSync(path)) throw new CheckpointError('no-file', `${path}: no such file`);
  const st = statSync(path);
  if (st.isDirectory()) throw new CheckpointError('no-file', `${path} is a folder, expected a checkpoint file (.pth, .pt, .bin, .safetensors)`);
  if (st.size > bufferConstants.MAX_LENGTH) throw new CheckpointError('too-large', `${path} is ${st.size} bytes, more than this Node can hold in one buffer (${bufferConstants.MAX_LENGTH})`);
  const out = new Uint8Array(st.size);
  const fd = openSync(path, 'r');
  try {
    for (let at = 0; at < st.size; ) {
      const n = readSync(fd, out, at, Math.min(1 << 30, st.size - at), at);
      if (n === 0) throw new CheckpointError('truncated', `${path} shrank while being read`);
      at += n;
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

export interface ConvertFileOptions extends Omit<ConvertOptions, 'source' | 'inflate'> {
  /** Replace config.json / model.safetensors already in the output folder. */
  overwrite?: boolean;
}

/**
 * Converts `checkpointPath` into `outDir` (created if needed). The file name is a hint for the
 * architecture (e.g. `deit_small_patch16_224-cd65a155.pth`).
 */
export function convertCheckpointFile(checkpointPath: string, outDir: string, opts: ConvertFileOptions = {}): ConvertResult {
  const data = readWeightsFile(checkpointPath);
  const name = basename(checkpointPath);
  const stem = name.replace(/\.(pth|pt|bin|ckpt|safetensors)$/i, '');
  const result = convertCheckpoint(data, {
    ...opts,
    source: name,
    inflate: nodeInflate,
    nameHints: [...(opts.nameHints ?? []), { name: stem, from: 'the file name' }],
  });
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) throw new CheckpointError('bad-output', `${outDir} exists and is not a folder`);
  const cfgPath = join(outDir, 'config.json');
  const weightsPath = join(outDir, 'model.safetensors');
  if (!opts.overwrite && (existsSync(cfgPath) || existsSync(weightsPath))) {
    throw new CheckpointError('output-exists', `${outDir} already holds a config.json or model.safetensors (pass --force to replace them)`);
  }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(weightsPath, result.safetensors);
  writeFileSync(cfgPath, `${JSON.stringify(result.config, null, 2)}\n`);
  return result;
}
