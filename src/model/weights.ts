/**
 * The parameters a VitConfig needs, in timm `state_dict` names and shapes, and the check of a
 * weights file against them: every missing, unexpected and mis-shaped tensor is listed in one
 * WeightsError, so a user fixes a conversion in one pass instead of one error at a time.
 */
import { briefList } from '../list-text.js';
import { WeightsError } from '../errors.js';
import { toFloat32, type SafetensorsFile, type TensorEntry } from '../io/safetensors.js';
import { TimeSlice } from '../time-slice.js';
import { numPrefixTokens, type VitConfig } from './config.js';

export interface ParamSpec {
  name: string;
  shape: number[];
}

/** Patch rows of pos_embed implied by a shape (for the native grid of a checkpoint). */
export function posEmbedRows(c: VitConfig): number {
  const [gh, gw] = [Math.floor(c.imgSize[0] / c.patchSize[0]), Math.floor(c.imgSize[1] / c.patchSize[1])];
  return gh * gw + (c.noEmbedClass ? 0 : numPrefixTokens(c));
}

export function expectedParams(c: VitConfig): ParamSpec[] {
  const D = c.embedDim;
  const H = c.mlpHidden;
  const p: ParamSpec[] = [];
  if (c.classToken) p.push({ name: 'cls_token', shape: [1, 1, D] });
  if (c.regTokens > 0) p.push({ name: 'reg_token', shape: [1, c.regTokens, D] });
  if (c.distilled) p.push({ name: 'dist_token', shape: [1, 1, D] });
  p.push({ name: 'pos_embed', shape: [1, posEmbedRows(c), D] });
  p.push({ name: 'patch_embed.proj.weight', shape: [D, c.inChans, c.patchSize[0], c.patchSize[1]] });
  if (c.patchEmbedBias) p.push({ name: 'patch_embed.proj.bias', shape: [D] });
  if (c.preNorm) p.push({ name: 'norm_pre.weight', shape: [D] }, { name: 'norm_pre.bias', shape: [D] });
  for (let l = 0; l < c.depth; l++) {
    const b = `blocks.${l}`;
    p.push({ name: `${b}.norm1.weight`, shape: [D] }, { name: `${b}.norm1.bias`, shape: [D] });
    p.push({ name: `${b}.attn.qkv.weight`, shape: [3 * D, D] });
    if (c.qkvBias) p.push({ name: `${b}.attn.qkv.bias`, shape: [3 * D] });
    p.push({ name: `${b}.attn.proj.weight`, shape: [D, D] }, { name: `${b}.attn.proj.bias`, shape: [D] });
    if (c.layerScale) p.push({ name: `${b}.ls1.gamma`, shape: [D] });
    p.push({ name: `${b}.norm2.weight`, shape: [D] }, { name: `${b}.norm2.bias`, shape: [D] });
    p.push({ name: `${b}.mlp.fc1.weight`, shape: [H, D] }, { name: `${b}.mlp.fc1.bias`, shape: [H] });
    p.push({ name: `${b}.mlp.fc2.weight`, shape: [D, H] }, { name: `${b}.mlp.fc2.bias`, shape: [D] });
    if (c.layerScale) p.push({ name: `${b}.ls2.gamma`, shape: [D] });
  }
  const normName = c.fcNorm ? 'fc_norm' : 'norm';
  p.push({ name: `${normName}.weight`, shape: [D] }, { name: `${normName}.bias`, shape: [D] });
  if (c.numClasses > 0) {
    p.push({ name: 'head.weight', shape: [c.numClasses, D] }, { name: 'head.bias', shape: [c.numClasses] });
    if (c.distilled) p.push({ name: 'head_dist.weight', shape: [c.numClasses, D] }, { name: 'head_dist.bias', shape: [c.numClasses] });
  }
  return p;
}

/**
 * The one architecture choice timm's model_args cannot express is DeiT distillation: it is a
 * different class (VisionTransformerDistilled) built from the same keyword arguments. A config
 * that names neither the class nor a known distilled architecture, for weights that carry
 * `dist_token` and `head_dist`, describes a distilled model; everything else is left to
 * checkWeights to confirm or refuse.
 */
export function configForWeights(c: VitConfig, file: SafetensorsFile): VitConfig {
  const headDist = c.numClasses === 0 || file.tensors.has('head_dist.weight');
  if (!c.distilled && file.tensors.has('dist_token') && headDist && c.classToken && c.globalPool === 'token' && c.regTokens === 0) {
    return { ...c, distilled: true };
  }
  return c;
}

/** Float32 weights by name, checked against the config. */
export type WeightMap = Map<string, { shape: number[]; data: Float32Array }>;

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * The file's tensors for the config's parameters, checked by name, shape and dtype (WeightsError
 * otherwise), not yet decoded. pos_embed may come from another (square) grid than the config's
 * image size: it is then resampled later, as timm does when it loads such a checkpoint.
 */
function matchWeights(c: VitConfig, file: SafetensorsFile, source: string): { name: string; t: TensorEntry }[] {
  const expected = expectedParams(c);
  const missing: string[] = [];
  const mismatched: { name: string; expected: number[]; actual: number[] }[] = [];
  const out: { name: string; t: TensorEntry }[] = [];
  const known = new Set(expected.map((e) => e.name));
  // Buffers timm keeps in some state dicts that carry no parameters.
  const ignorable = (n: string) => /(^|\.)num_batches_tracked$/.test(n);
  for (const spec of expected) {
    const t: TensorEntry | undefined = file.tensors.get(spec.name);
    if (!t) {
      missing.push(spec.name);
      continue;
    }
    const posOk = spec.name === 'pos_embed' && t.shape.length === 3 && t.shape[0] === 1 && t.shape[2] === spec.shape[2] && t.shape[1] > (c.noEmbedClass ? 0 : numPrefixTokens(c));
    if (!same(t.shape, spec.shape) && !posOk) {
      mismatched.push({ name: spec.name, expected: spec.shape, actual: t.shape });
      continue;
    }
    if (!['F32', 'F16', 'BF16', 'F64'].includes(t.dtype)) {
      mismatched.push({ name: `${spec.name} (dtype ${t.dtype})`, expected: spec.shape, actual: t.shape });
      continue;
    }
    out.push({ name: spec.name, t });
  }
  const unexpected = [...file.tensors.keys()].filter((n) => !known.has(n) && !ignorable(n));
  if (missing.length || unexpected.length || mismatched.length) {
    // One line, a few names per kind: the error object carries the full lists.
    const shapes = mismatched.map((m) => `${m.name} is [${m.actual.join(', ')}], expected [${m.expected.join(', ')}]`);
    const parts = [
      ...(missing.length ? [`missing (${missing.length}): ${briefList(missing)}`] : []),
      ...(unexpected.length ? [`unexpected (${unexpected.length}): ${briefList(unexpected)}`] : []),
      ...(mismatched.length ? [`shape mismatch (${mismatched.length}): ${briefList(shapes, 3)}`] : []),
    ];
    const model = `${c.architecture} (embed ${c.embedDim}, depth ${c.depth}, heads ${c.numHeads}, patch ${c.patchSize.join('x')}, ${c.numClasses} classes)`;
    throw new WeightsError(
      `${source} does not fit ${model}: ${parts.join('; ')}. Check that config.json describes these weights (architecture / model_args / num_classes).`,
      missing, unexpected, mismatched,
    );
  }
  return out;
}

/** One tensor as float32, refused if it holds a NaN or an infinity. */
function decodeWeight(name: string, t: TensorEntry, source: string): { shape: number[]; data: Float32Array } {
  const data = toFloat32(t);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new WeightsError(`${source}: tensor ${name} contains ${data[i]} at flat index ${i}; the weights are corrupt`);
    }
  }
  return { shape: t.shape, data };
}

/** Checks a parsed safetensors file against the config and converts every tensor to float32 (values checked too). */
export function checkWeights(c: VitConfig, file: SafetensorsFile, source: string): WeightMap {
  const out: WeightMap = new Map();
  for (const { name, t } of matchWeights(c, file, source)) out.set(name, decodeWeight(name, t, source));
  return out;
}

/** checkWeights that gives the event loop a turn between tensors (a 20–90 MB model decodes without freezing a page). */
export async function checkWeightsAsync(c: VitConfig, file: SafetensorsFile, source: string, slice = new TimeSlice()): Promise<WeightMap> {
  const out: WeightMap = new Map();
  for (const { name, t } of matchWeights(c, file, source)) {
    await slice.pause();
    out.set(name, decodeWeight(name, t, source));
  }
  return out;
}
