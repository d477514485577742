/** `vitlens inspect`: what a weights file or hub folder holds, and the architecture it implies. */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadStateDict } from '../../convert/convert.js';
import { inferArchitecture, type InferredArch } from '../../convert/infer-arch.js';
import { safetensorsSource, stateDictCandidates, type SourceTensor } from '../../convert/state-dict.js';
import { remapToTimm } from '../../convert/timm-remap.js';
import { ConfigError, VitlensError, WeightsError } from '../../errors.js';
import { describePickleValue } from '../../io/pickle.js';
import { parseSafetensors } from '../../io/safetensors.js';
import { PickledNamespace, TorchTensor } from '../../io/torch-checkpoint.js';
import type { VitConfig } from '../../model/config.js';
import { checkWeights } from '../../model/weights.js';
import { nodeInflate, readWeightsFile } from '../../node/convert.js';
import { readHubConfig } from '../../node/load.js';
import { intOption, parseArgs, stringOption } from '../args.js';
import { CliError } from '../errors.js';

export const inspectHelp = `vitlens inspect FILE|DIR [--key KEY] [--num-heads N] [--json]

  Lists the tensors (name, dtype, shape) of a PyTorch checkpoint (.pth / .pt / .bin), a
  .safetensors file or a timm hub folder, and the timm architecture they imply.
  For a checkpoint, also its top-level entries, the dicts of tensors in it and the one
  \`vitlens convert\` would use. For a hub folder (config.json + model.safetensors), whether
  the weights fit config.json: exit code 1 when they do not.

  --key KEY        list this dict of tensors of a checkpoint (as convert --key)
  --num-heads N    attention heads, for the inferred architecture
  --json           machine-readable output`;

interface TensorRow {
  name: string;
  dtype: string;
  shape: number[];
  /** false for a strided (non-contiguous) view in a checkpoint. */
  contiguous?: boolean;
}

function rowsOf(tensors: Map<string, SourceTensor>, dict?: Map<unknown, unknown>): TensorRow[] {
  return [...tensors].map(([name, t]) => {
    const raw = dict?.get(name);
    return { name, dtype: t.dtype, shape: [...t.shape], ...(raw instanceof TorchTensor && !raw.isContiguous ? { contiguous: false } : {}) };
  });
}

/** The architecture the tensors imply after timm renames, or why none could be inferred. */
function inferred(tensors: Map<string, SourceTensor>, numHeads: number | undefined): { arch?: InferredArch; remapNotes: string[]; error?: string } {
  try {
    const r = remapToTimm(tensors);
    const arch = inferArchitecture(new Map([...r.tensors].map(([k, v]) => [k, v.shape])), { numHeads, noEmbedClass: r.noEmbedClass });
    return { arch, remapNotes: r.notes };
  } catch (e) {
    if (e instanceof VitlensError) return { remapNotes: [], error: e.message };
    throw e;
  }
}

function summarizeValue(v: unknown): string {
  if (v instanceof TorchTensor) return `tensor ${v.dtype} [${v.shape.join(', ')}]`;
  if (v instanceof PickledNamespace) {
    const attrs = [...v.attrs].slice(0, 6).map(([k, x]) => `${k}=${typeof x === 'object' && x !== null ? describePickleValue(x) : JSON.stringify(x)}`);
    return `argparse.Namespace(${attrs.join(', ')}${v.attrs.size > 6 ? ', ...' : ''})`;
  }
  if (v instanceof Map) {
    const n = [...v.values()].filter((x) => x instanceof TorchTensor).length;
    return `dict of ${v.size}${n ? ` (${n} tensor${n === 1 ? '' : 's'})` : ''}`;
  }
  if (v === null || typeof v !== 'object') return typeof v === 'bigint' ? v.toString() : JSON.stringify(v) ?? String(v);
  return describePickleValue(v);
}

const shapeText = (s: readonly number[]) => `[${s.join(', ')}]`;

function printTensors(rows: TensorRow[]): void {
  const w = Math.min(60, Math.max(...rows.map((r) => r.name.length), 4));
  for (const r of rows) console.log(`  ${r.name.padEnd(w)}  ${r.dtype.padEnd(4)}  ${shapeText(r.shape)}${r.contiguous === false ? '  (strided view)' : ''}`);
}

function archLine(c: Pick<VitConfig, 'architecture' | 'embedDim' | 'depth' | 'numHeads' | 'patchSize' | 'imgSize' | 'numClasses'>): string {
  return `${c.architecture}: embed ${c.embedDim}, depth ${c.depth}, heads ${c.numHeads}, patch ${c.patchSize[0]}, ${c.imgSize[0]} px, ${c.numClasses} classes`;
}

function archOfInferred(a: InferredArch): string {
  const m = a.modelArgs;
  return archLine({ architecture: a.architecture, embedDim: m.embed_dim as number, depth: m.depth as number, numHeads: m.num_heads as number, patchSize: [m.patch_size as number, 0], imgSize: [m.img_size as number, 0], numClasses: a.numClasses });
}

function inspectHubFolder(dir: string, json: boolean, numHeads: number | undefined): void {
  const weightsPath = join(dir, 'model.safetensors');
  const cfg = readHubConfig(dir);
  if (!existsSync(weightsPath)) throw new ConfigError('no-weights', `${dir} has no model.safetensors`);
  const file = parseSafetensors(readWeightsFile(weightsPath), weightsPath);
  const rows: TensorRow[] = [...file.tensors.values()].map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape }));
  let mismatch: WeightsError | null = null;
  try {
    checkWeights(cfg, file, 'model.safetensors');
  } catch (e) {
    if (!(e instanceof WeightsError)) throw e;
    mismatch = e;
  }
  const inf = inferred(safetensorsSource(file), numHeads ?? cfg.numHeads);
  if (json) {
    console.log(JSON.stringify({
      path: dir,
      format: 'hub-folder',
      config: { architecture: cfg.architecture, embed_dim: cfg.embedDim, depth: cfg.depth, num_heads: cfg.numHeads, patch_size: cfg.patchSize, img_size: cfg.imgSize, num_classes: cfg.numClasses },
      weights_match_config: mismatch === null,
      ...(mismatch ? { mismatch: { missing: mismatch.missing, unexpected: mismatch.unexpected, mismatched: mismatch.mismatched, message: mismatch.message } } : {}),
      tensors: rows,
      inferred: inf.arch ? { architecture: inf.arch.architecture, num_classes: inf.arch.numClasses, model_args: inf.arch.modelArgs, notes: [...inf.remapNotes, ...inf.arch.notes] } : { error: inf.error },
    }, null, 2));
  } else {
    console.log(`${dir}: timm hub folder, ${rows.length} tensors`);
    console.log(`config.json: ${archLine(cfg)}`);
    console.log(mismatch ? `weights: do NOT fit config.json\n${mismatch.message.split('\n').map((l) => `  ${l.trim()}`).join('\n')}` : 'weights: fit config.json');
    console.log(inf.arch ? `the weights alone suggest ${archOfInferred(inf.arch)}` : `architecture not inferred from the weights: ${inf.error}`);
    console.log('tensors:');
    printTensors(rows);
  }
  if (mismatch) throw new WeightsError(`${weightsPath} does not fit ${join(dir, 'config.json')} (${mismatch.missing.length} missing, ${mismatch.unexpected.length} unexpected, ${mismatch.mismatched.length} mis-shaped)`, mismatch.missing, mismatch.unexpected, mismatch.mismatched);
}

function inspectFile(path: string, json: boolean, key: string | undefined, numHeads: number | undefined): void {
  const data = readWeightsFile(path);
  const loaded = loadStateDict(data, { key, source: path, inflate: nodeInflate });
  const root = loaded.checkpoint?.root;
  const rows = rowsOf(loaded.tensors, loaded.choice?.dict);
  const inf = inferred(loaded.tensors, numHeads);
  const top = root instanceof Map ? [...root].map(([k, v]) => ({ key: String(k), value: summarizeValue(v) })) : null;
  const candidates = root !== undefined ? stateDictCandidates(root).map((c) => ({ key: c.key, tensors: c.tensors })) : [];
  if (json) {
    console.log(JSON.stringify({
      path,
      format: loaded.format,
      ...(loaded.checkpoint ? { record: loaded.checkpoint.recordName, byteorder: loaded.checkpoint.byteorder, top_level: top, state_dicts: candidates, key: loaded.choice!.key } : {}),
      notes: loaded.notes,
      tensors: rows,
      inferred: inf.arch ? { architecture: inf.arch.architecture, num_classes: inf.arch.numClasses, model_args: inf.arch.modelArgs, notes: [...inf.remapNotes, ...inf.arch.notes] } : { error: inf.error },
    }, null, 2));
    return;
  }
  if (loaded.checkpoint) {
    console.log(`${path}: PyTorch checkpoint (torch.save zip, record "${loaded.checkpoint.recordName}", ${loaded.checkpoint.byteorder}-endian)`);
    if (top) {
      console.log('top level:');
      for (const t of top) console.log(`  ${t.key}: ${t.value}`);
    }
    for (const n of loaded.notes) console.log(n);
  } else {
    console.log(`${path}: safetensors, ${rows.length} tensors`);
  }
  if (inf.arch) {
    console.log(`as timm: ${archOfInferred(inf.arch)}`);
    for (const n of [...inf.remapNotes, ...inf.arch.notes]) console.log(`  ${n}`);
  } else {
    console.log(`architecture not inferred: ${inf.error}`);
  }
  console.log('tensors:');
  printTensors(rows);
}

export async function inspect(argv: string[]): Promise<void> {
  const args = parseArgs(argv, { key: { value: true }, 'num-heads': { value: true }, json: {} }, { max: 1, what: 'FILE or DIR' });
  if (args.positionals.length !== 1) throw new CliError(`expected one FILE or DIR, got ${args.positionals.length} argument(s) (see --help)`);
  const [path] = args.positionals;
  const numHeads = args.options.has('num-heads') ? intOption(args, 'num-heads', 1) : undefined;
  const json = args.flags.has('json');
  if (existsSync(path) && statSync(path).isDirectory()) {
    if (args.options.has('key')) throw new CliError('--key is for checkpoint files, not hub folders');
    inspectHubFolder(path, json, numHeads);
  } else {
    inspectFile(path, json, stringOption(args, 'key'), numHeads);
  }
}
