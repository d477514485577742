/**
 * Finding the state dict inside a checkpoint. Releases wrap it differently: the bare state dict
 * (timm, DINO backbones), `model` (DeiT), `state_dict` / `state_dict_ema` (timm training),
 * `teacher` / `student` (DINO training), `model_ema` (DeiT training). The choice is explicit:
 * the key used and the other candidates are reported, and `key` overrides it.
 */
import { CheckpointError } from '../errors.js';
import { describePickleValue } from '../io/pickle.js';
import { toFloat32, type Dtype, type SafetensorsFile } from '../io/safetensors.js';
import { PickledNamespace, TorchTensor } from '../io/torch-checkpoint.js';

/** A named tensor whose values are read only when needed. */
export interface SourceTensor {
  shape: readonly number[];
  dtype: Dtype;
  /** Float32 values in row-major order (floating-point tensors only). */
  values(): Float32Array;
}

export interface StateDictChoice {
  /** Path of the chosen dict ('/'-separated), '' for the top level. */
  key: string;
  /** The chosen dict as unpickled (TorchTensor values and whatever else it holds). */
  dict: Map<unknown, unknown>;
  tensors: Map<string, SourceTensor>;
  /** Entries of the chosen dict that are not tensors (ignored). */
  ignored: string[];
  /** Every dict of tensors found, with its tensor count. */
  candidates: { key: string; tensors: number }[];
  notes: string[];
}

/** Wrapper keys in order of preference (DINO's teacher is what its own evaluation uses). */
export const PREFERRED_KEYS = ['teacher', 'model', 'state_dict', 'student', 'model_ema', 'state_dict_ema', 'module', 'net', 'network'];

const tensorCount = (m: Map<unknown, unknown>) => [...m.values()].filter((v) => v instanceof TorchTensor).length;

/** Dicts holding tensors, down to two levels of wrapping. */
export function stateDictCandidates(root: unknown): { key: string; dict: Map<unknown, unknown>; tensors: number }[] {
  const out: { key: string; dict: Map<unknown, unknown>; tensors: number }[] = [];
  const visit = (v: unknown, key: string, depth: number) => {
    if (!(v instanceof Map)) return;
    const n = tensorCount(v);
    if (n > 0) out.push({ key, dict: v, tensors: n });
    if (depth < 2) for (const [k, x] of v) if (typeof k === 'string') visit(x, key ? `${key}/${k}` : k, depth + 1);
  };
  visit(root, '', 0);
  return out;
}

function lookup(root: unknown, key: string): unknown {
  let v = root;
  for (const part of key.split('/')) {
    if (!(v instanceof Map) || !v.has(part)) return undefined;
    v = v.get(part);
  }
  return v;
}

function asSourceTensors(dict: Map<unknown, unknown>): { tensors: Map<string, SourceTensor>; ignored: string[] } {
  const tensors = new Map<string, SourceTensor>();
  const ignored: string[] = [];
  for (const [k, v] of dict) {
    const name = String(k);
    if (v instanceof TorchTensor) tensors.set(name, { shape: v.shape, dtype: v.dtype, values: () => v.toFloat32(name) });
    else ignored.push(name);
  }
  return { tensors, ignored };
}

/** Picks the state dict of a checkpoint's unpickled root (or the one at `key`). */
export function chooseStateDict(root: unknown, source: string, key?: string): StateDictChoice {
  const found = stateDictCandidates(root);
  const candidates = found.map(({ key: k, tensors }) => ({ key: k, tensors }));
  const list = () => (found.length ? found.map((c) => `${c.key || '(top level)'} (${c.tensors} tensor${c.tensors === 1 ? '' : 's'})`).join(', ') : 'none');
  if (key !== undefined) {
    const v = key === '' || key === '.' ? root : lookup(root, key);
    if (v === undefined) throw new CheckpointError('no-key', `${source} has no key "${key}"; dicts of tensors in it: ${list()}`);
    if (!(v instanceof Map) || tensorCount(v) === 0) throw new CheckpointError('no-key', `${source}: "${key}" holds ${describePickleValue(v)}, not a dict of tensors; dicts of tensors in it: ${list()}`);
    return { key, dict: v, ...asSourceTensors(v), candidates, notes: [`state dict: "${key}" (as asked)`] };
  }
  if (found.length === 0) throw new CheckpointError('no-state-dict', `${source} holds no tensors (top level: ${describePickleValue(root)})`);
  const byKey = new Map(found.map((c) => [c.key, c]));
  const top = byKey.get('');
  const preferred = PREFERRED_KEYS.map((k) => byKey.get(k)).find((c) => c !== undefined);
  const pick = top ?? preferred ?? [...found].sort((a, b) => b.tensors - a.tensors)[0];
  const others = found.filter((c) => c !== pick);
  const notes = [
    pick.key ? `state dict: "${pick.key}" (${pick.tensors} tensors)` : `state dict: the top level (${pick.tensors} tensors)`,
    ...(others.length ? [`other dicts of tensors, not used (choose one with --key): ${others.map((c) => `${c.key} (${c.tensors})`).join(', ')}`] : []),
  ];
  return { key: pick.key, dict: pick.dict, ...asSourceTensors(pick.dict), candidates, notes };
}

/** The tensors of a safetensors file as source tensors (for converting non-timm safetensors). */
export function safetensorsSource(file: SafetensorsFile): Map<string, SourceTensor> {
  const out = new Map<string, SourceTensor>();
  for (const [name, t] of file.tensors) out.set(name, { shape: t.shape, dtype: t.dtype, values: () => toFloat32(t) });
  return out;
}

/** Attributes of an `args` Namespace, when a training checkpoint stored one (for reports). */
export function checkpointArgs(root: unknown): Map<string, unknown> | undefined {
  const a = root instanceof Map ? root.get('args') : undefined;
  return a instanceof PickledNamespace ? a.attrs : undefined;
}
