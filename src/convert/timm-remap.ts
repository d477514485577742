/**
 * Renaming a ViT state dict from the releases that differ from timm to timm's own names, with a
 * note for every change so the user sees what was done:
 *
 * - wrappers: `module.` (DistributedDataParallel), `_orig_mod.` (torch.compile), and any prefix in
 *   front of `patch_embed.proj.weight` such as DINO's `backbone.`; tensors outside it (DINO's
 *   projection head) are dropped;
 * - DINO projection head `head.mlp.*` / `head.last_layer.*` without a prefix: dropped (feature model);
 * - separate `attn.q` / `attn.k` / `attn.v` linears (or `q_bias` / `v_bias` with no key bias):
 *   concatenated into `attn.qkv`, rows in timm's q, k, v order;
 * - DeiT III / older LayerScale `gamma_1` / `gamma_2`: `ls1.gamma` / `ls2.gamma`;
 * - DINOv2: chunked `blocks.<chunk>.<i>.` -> `blocks.<i>.`, `register_tokens` -> `reg_token`,
 *   `mask_token` dropped; with registers, the class token's position row is folded into the class
 *   token so that pos_embed covers only the patches (timm's `no_embed_class` layout for these models);
 * - integer buffers (`num_batches_tracked` and the like): dropped.
 */
import { CheckpointError } from '../errors.js';
import type { SourceTensor } from './state-dict.js';

export interface RemapResult {
  tensors: Map<string, SourceTensor>;
  notes: string[];
  /** Set when a rule fixed the position-embedding layout (pos_embed covers only the patches). */
  noEmbedClass?: boolean;
}

const sample = (names: string[], n = 4) => names.slice(0, n).join(', ') + (names.length > n ? `, ... (${names.length} in all)` : '');

/** A computed tensor; `dtype` stays the source's, for the report of what was converted. */
const computed = (shape: number[], dtype: SourceTensor['dtype'], compute: () => Float32Array): SourceTensor => ({ shape, dtype, values: compute });

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function renameAll(t: Map<string, SourceTensor>, f: (k: string) => string | null): Map<string, SourceTensor> {
  const out = new Map<string, SourceTensor>();
  for (const [k, v] of t) {
    const n = f(k);
    if (n === null) continue;
    if (out.has(n)) throw new CheckpointError('remap-collision', `renaming gives two tensors named "${n}" (one from "${k}")`);
    out.set(n, v);
  }
  return out;
}

function stripWrappers(t: Map<string, SourceTensor>, notes: string[]): Map<string, SourceTensor> {
  for (const p of ['module.', '_orig_mod.']) {
    const n = [...t.keys()].filter((k) => k.startsWith(p)).length;
    if (n > 0) {
      t = renameAll(t, (k) => (k.startsWith(p) ? k.slice(p.length) : k));
      notes.push(`removed the "${p}" prefix from ${plural(n, 'name')}`);
    }
  }
  const anchors = [...t.keys()].filter((k) => /(^|\.)patch_embed\.proj\.weight$/.test(k));
  if (anchors.length > 1) {
    throw new CheckpointError('ambiguous-state-dict', `found several ViTs in one state dict (${anchors.join(', ')}); choose the dict with --key`);
  }
  const prefix = anchors.length ? anchors[0].slice(0, -'patch_embed.proj.weight'.length) : '';
  if (!prefix) return t;
  const outside = [...t.keys()].filter((k) => !k.startsWith(prefix));
  notes.push(`took the ViT under "${prefix}" (${t.size - outside.length} tensors)`);
  if (outside.length) notes.push(`dropped ${outside.length} tensors outside "${prefix}": ${sample(outside)}${outside.some((k) => k.startsWith('head.')) ? ' (DINO projection head: the converted model gives backbone features)' : ''}`);
  return renameAll(t, (k) => (k.startsWith(prefix) ? k.slice(prefix.length) : null));
}

function renameReleaseNames(t: Map<string, SourceTensor>, notes: string[]): Map<string, SourceTensor> {
  const counts = { chunks: 0, gamma: 0, registers: 0 };
  const dropped: string[] = [];
  t = renameAll(t, (k) => {
    let m = /^blocks\.\d+\.(\d+)\.(.*)$/.exec(k);
    if (m) {
      counts.chunks++;
      k = `blocks.${m[1]}.${m[2]}`;
    }
    m = /^(blocks\.\d+)\.gamma_([12])$/.exec(k);
    if (m) {
      counts.gamma++;
      return `${m[1]}.ls${m[2]}.gamma`;
    }
    if (k === 'register_tokens') {
      counts.registers++;
      return 'reg_token';
    }
    if (k === 'mask_token' || /^head\.(mlp|last_layer)\./.test(k)) {
      dropped.push(k);
      return null;
    }
    return k;
  });
  if (counts.chunks) notes.push(`un-chunked ${counts.chunks} block tensors (DINOv2 blocks.<chunk>.<i>. -> blocks.<i>.)`);
  if (counts.gamma) notes.push(`renamed ${counts.gamma} LayerScale gamma_1/gamma_2 to ls1.gamma/ls2.gamma`);
  if (counts.registers) notes.push('renamed register_tokens to reg_token');
  if (dropped.length) notes.push(`dropped ${sample(dropped)}${dropped.some((k) => k.startsWith('head.')) ? ' (DINO projection head: the converted model gives backbone features)' : ' (not used at inference)'}`);
  return t;
}

function concat(parts: SourceTensor[], shape: number[]): SourceTensor {
  return computed(shape, parts[0].dtype, () => {
    const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
    let at = 0;
    for (const p of parts) {
      const v = p.values();
      out.set(v, at);
      at += v.length;
    }
    return out;
  });
}

/** Joins separate q / k / v projections into timm's fused `attn.qkv`. */
function fuseQkv(t: Map<string, SourceTensor>, notes: string[]): Map<string, SourceTensor> {
  const blocks = new Set<string>();
  for (const k of t.keys()) {
    const m = /^(blocks\.\d+\.attn)\.q\.weight$/.exec(k);
    if (m) blocks.add(m[1]);
  }
  if (blocks.size === 0) return t;
  const out = new Map(t);
  for (const b of blocks) {
    const w = ['q', 'k', 'v'].map((p) => t.get(`${b}.${p}.weight`));
    if (w.some((x) => !x)) throw new CheckpointError('bad-state-dict', `${b} has a q projection but not all of ${b}.{q,k,v}.weight`);
    const [q, k, v] = w as SourceTensor[];
    const D = q.shape[1];
    if (![q, k, v].every((x) => x.shape.length === 2 && x.shape[1] === D && x.shape[0] === q.shape[0])) {
      throw new CheckpointError('bad-state-dict', `${b}.{q,k,v}.weight have shapes ${[q, k, v].map((x) => `[${x.shape.join(', ')}]`).join(', ')}, expected three equal [D, D]`);
    }
    const rows = q.shape[0];
    out.set(`${b}.qkv.weight`, concat([q, k, v], [3 * rows, D]));
    // Biases: q.bias/k.bias/v.bias, or BEiT-style q_bias/v_bias where the key has none (zeros).
    const bias = (p: string) => t.get(`${b}.${p}.bias`) ?? t.get(`${b}.${p}_bias`);
    const biases = ['q', 'k', 'v'].map(bias);
    if (biases.some((x) => x)) {
      const zeros = computed([rows], 'F32', () => new Float32Array(rows));
      out.set(`${b}.qkv.bias`, concat(biases.map((x) => x ?? zeros), [3 * rows]));
    }
    for (const p of ['q', 'k', 'v']) for (const s of ['.weight', '.bias', '_bias']) out.delete(`${b}.${p}${s}`);
  }
  notes.push(`joined separate q/k/v projections into attn.qkv in ${plural(blocks.size, 'block')}`);
  return out;
}

const isSquare = (n: number) => n > 0 && Number.isInteger(Math.sqrt(n));

/**
 * DINOv2 with registers adds pos_embed to [cls, patches] before inserting the registers; timm's
 * layout for those models adds it to the patches only. cls + pos[0] as the class token and the
 * patch rows as pos_embed compute the same thing.
 */
function foldClassPosition(t: Map<string, SourceTensor>, notes: string[]): Map<string, SourceTensor> | null {
  const pos = t.get('pos_embed');
  const cls = t.get('cls_token');
  if (!pos || !cls || !t.has('reg_token') || pos.shape.length !== 3) return null;
  const rows = pos.shape[1];
  if (isSquare(rows) || !isSquare(rows - 1)) return null;
  const D = pos.shape[2];
  const out = new Map(t);
  out.set('cls_token', computed([...cls.shape], cls.dtype, () => {
    const c = Float32Array.from(cls.values());
    const p = pos.values();
    for (let i = 0; i < D; i++) c[i] += p[i];
    return c;
  }));
  out.set('pos_embed', computed([1, rows - 1, D], pos.dtype, () => pos.values().slice(D)));
  notes.push('folded the class token\'s position row into cls_token (pos_embed now covers the patches only, timm\'s no_embed_class layout for register models)');
  return out;
}

function dropIntegers(t: Map<string, SourceTensor>, notes: string[]): Map<string, SourceTensor> {
  const ints = [...t].filter(([, v]) => !['F32', 'F16', 'BF16', 'F64'].includes(v.dtype)).map(([k, v]) => `${k} (${v.dtype})`);
  if (!ints.length) return t;
  notes.push(`dropped ${plural(ints.length, 'integer tensor')}: ${sample(ints)}`);
  return new Map([...t].filter(([, v]) => ['F32', 'F16', 'BF16', 'F64'].includes(v.dtype)));
}

/** Renames a state dict to timm VisionTransformer names (see the file comment for the rules). */
export function remapToTimm(input: Map<string, SourceTensor>): RemapResult {
  const notes: string[] = [];
  let t = stripWrappers(input, notes);
  t = renameReleaseNames(t, notes);
  t = fuseQkv(t, notes);
  const folded = foldClassPosition(t, notes);
  t = dropIntegers(folded ?? t, notes);
  return { tensors: t, notes, ...(folded ? { noEmbedClass: true } : {}) };
}
