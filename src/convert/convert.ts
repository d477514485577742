/**
 * Checkpoint -> timm hub folder contents (config.json object + model.safetensors bytes), in memory
 * and browser-safe: read the checkpoint (torch.save zip, or a safetensors file with non-timm
 * names), choose its state dict, rename to timm names, infer the architecture, and check the
 * result with the engine's own weight check, so what is written is known to load.
 */
import { CheckpointError, WeightsError } from '../errors.js';
import { parseSafetensors, serializeSafetensors, type TensorToWrite } from '../io/safetensors.js';
import { readTorchCheckpoint, type TorchCheckpoint } from '../io/torch-checkpoint.js';
import type { Inflate } from '../io/zip.js';
import { configFromHub, type VitConfig } from '../model/config.js';
import { checkWeights, expectedParams } from '../model/weights.js';
import { hubConfig, inferArchitecture, type InferOptions } from './infer-arch.js';
import { chooseStateDict, safetensorsSource, type SourceTensor, type StateDictChoice } from './state-dict.js';
import { remapToTimm } from './timm-remap.js';

export interface ConvertOptions extends InferOptions {
  /** Which dict of the checkpoint holds the weights ('/'-separated path); default: chosen and reported. */
  key?: string;
  /** Names the input in errors and in config.json's `conversion` record. */
  source?: string;
  /** Raw-DEFLATE decompressor for compressed archives (Node: zlib.inflateRawSync). */
  inflate?: Inflate;
}

export interface ConvertResult {
  /** The config.json object (timm hub layout). */
  config: Record<string, unknown>;
  /** The model.safetensors bytes, F32, timm names in state_dict order. */
  safetensors: Uint8Array;
  vitConfig: VitConfig;
  /** The state dict used ('' top level); null for a safetensors input. */
  key: string | null;
  tensors: { name: string; shape: number[]; dtype: string }[];
  /** What was chosen, renamed, dropped or assumed, one line each. */
  notes: string[];
}

export type WeightsFormat = 'torch-zip' | 'safetensors' | 'other';

/** Sniffs the format from the first bytes (torch.save zip, safetensors, or something else). */
export function sniffWeightsFormat(data: Uint8Array): WeightsFormat {
  if (data.byteLength >= 4 && data[0] === 0x50 && data[1] === 0x4b && data[2] === 0x03 && data[3] === 0x04) return 'torch-zip';
  if (data.byteLength >= 10) {
    const n = new DataView(data.buffer, data.byteOffset, 8).getBigUint64(0, true);
    if (n > 1n && n < BigInt(data.byteLength) && data[8] === 0x7b /* { */) return 'safetensors';
  }
  return 'other';
}

export interface LoadedStateDict {
  format: WeightsFormat;
  checkpoint: TorchCheckpoint | null;
  choice: StateDictChoice | null;
  tensors: Map<string, SourceTensor>;
  notes: string[];
}

/** Reads a checkpoint or safetensors file and picks its state dict (no renaming yet). */
export function loadStateDict(data: Uint8Array, opts: { key?: string; source?: string; inflate?: Inflate } = {}): LoadedStateDict {
  const source = opts.source ?? 'checkpoint';
  const format = sniffWeightsFormat(data);
  if (format === 'safetensors') {
    if (opts.key !== undefined) throw new CheckpointError('no-key', `${source} is a safetensors file: it has no keys to choose from (--key is for .pth checkpoints)`);
    return { format, checkpoint: null, choice: null, tensors: safetensorsSource(parseSafetensors(data, source)), notes: [] };
  }
  const checkpoint = readTorchCheckpoint(data, { source, inflate: opts.inflate });
  const choice = chooseStateDict(checkpoint.root, source, opts.key);
  const notes = [...choice.notes];
  if (choice.ignored.length) notes.push(`ignored ${choice.ignored.length} non-tensor entries of the state dict: ${choice.ignored.slice(0, 4).join(', ')}`);
  return { format, checkpoint, choice, tensors: choice.tensors, notes };
}

/** Name hints a checkpoint carries: timm training stores `arch`, DINO `args.arch`. */
function checkpointNameHints(checkpoint: TorchCheckpoint | null): { name: string; from: string }[] {
  const root = checkpoint?.root;
  const arch = root instanceof Map ? root.get('arch') : undefined;
  return typeof arch === 'string' ? [{ name: arch, from: 'the checkpoint\'s "arch" entry' }] : [];
}

/** One line for a WeightsError (the CLI prints errors on one line). */
function summarize(e: WeightsError, arch: string): string {
  const list = (xs: string[]) => xs.slice(0, 5).join(', ') + (xs.length > 5 ? ` and ${xs.length - 5} more` : '');
  const parts = [
    e.missing.length ? `missing ${list(e.missing)}` : '',
    e.unexpected.length ? `unexpected ${list(e.unexpected)}` : '',
    e.mismatched.length ? `shape mismatch ${list(e.mismatched.map((m) => `${m.name} [${m.actual.join(', ')}] vs [${m.expected.join(', ')}]`))}` : '',
  ].filter(Boolean);
  return `the converted weights do not fit ${arch}: ${parts.join('; ') || e.message} (is this a timm VisionTransformer checkpoint? --arch NAME and --num-heads N fix the architecture)`;
}

export function convertCheckpoint(data: Uint8Array, opts: ConvertOptions = {}): ConvertResult {
  const source = opts.source ?? 'checkpoint';
  const loaded = loadStateDict(data, opts);
  const remapped = remapToTimm(loaded.tensors);
  const shapes = new Map([...remapped.tensors].map(([k, v]) => [k, v.shape]));
  const arch = inferArchitecture(shapes, {
    ...opts,
    nameHints: [...checkpointNameHints(loaded.checkpoint), ...(opts.nameHints ?? [])],
    noEmbedClass: remapped.noEmbedClass,
  });
  const dtypes = new Map<string, number>();
  for (const t of remapped.tensors.values()) dtypes.set(t.dtype, (dtypes.get(t.dtype) ?? 0) + 1);
  const converted = [...dtypes].filter(([d]) => d !== 'F32');
  const notes = [
    ...loaded.notes,
    ...remapped.notes,
    ...arch.notes,
    ...(converted.length ? [`converted ${converted.map(([d, n]) => `${n} ${d}`).join(', ')} tensors to F32`] : []),
  ];
  const config = hubConfig(arch, { tool: 'vitlens convert', source, ...(loaded.choice ? { key: loaded.choice.key } : {}), notes });
  const vitConfig = configFromHub(config);

  // timm's state_dict order first; anything else after it, for the check to name.
  const order = expectedParams(vitConfig).map((p) => p.name).filter((n) => remapped.tensors.has(n));
  for (const n of remapped.tensors.keys()) if (!order.includes(n)) order.push(n);
  const out: Record<string, TensorToWrite> = {};
  for (const name of order) {
    const t = remapped.tensors.get(name)!;
    out[name] = { dtype: 'F32', shape: [...t.shape], data: t.values() };
  }
  const safetensors = serializeSafetensors(out, { format: 'pt' });
  try {
    checkWeights(vitConfig, parseSafetensors(safetensors, 'converted'), 'converted');
  } catch (e) {
    if (e instanceof WeightsError) throw new WeightsError(summarize(e, arch.architecture), e.missing, e.unexpected, e.mismatched);
    throw e;
  }
  return {
    config,
    safetensors,
    vitConfig,
    key: loaded.choice?.key ?? null,
    tensors: order.map((name) => ({ name, shape: [...remapped.tensors.get(name)!.shape], dtype: 'F32' })),
    notes,
  };
}
