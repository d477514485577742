/**
 * PyTorch checkpoints (`torch.save`, zip format of torch >= 1.6) read without Python: a zip
 * archive `<name>/data.pkl` (the pickled object), `<name>/data/<key>` (one raw little-endian
 * storage per key), `<name>/byteorder` and `<name>/version`. The pickle is read by the
 * restricted unpickler with a policy that knows only what a weights file needs:
 * `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2` / `_rebuild_parameter`, the
 * `torch.<X>Storage` types behind persistent ids, and `argparse.Namespace` as an inert record
 * (training scripts such as DINO's and timm's store their arguments that way). Everything else is
 * refused with a CheckpointError naming it.
 *
 * Tensors are views (shape, stride, offset) into storages read lazily from the archive, so a
 * checkpoint can be inspected without touching its data.
 */
import { CheckpointError } from '../errors.js';
import { getLimits } from './limits.js';
import { unpickle, type PickleGlobal } from './pickle.js';
import { DTYPE_BYTES, toFloat32, type Dtype, type TensorEntry } from './safetensors.js';
import { looksLikeZip, readZip, type Inflate, type ZipArchive } from './zip.js';

const STORAGE_DTYPES: Record<string, Dtype> = {
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  DoubleStorage: 'F64',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

export const isFloatDtype = (d: Dtype) => d === 'F32' || d === 'F16' || d === 'BF16' || d === 'F64';

/** One storage of the archive (`data/<key>`), read on first use. */
export class TorchStorage {
  private cached: Uint8Array | null = null;

  constructor(
    private readonly zip: ZipArchive,
    readonly entryName: string,
    readonly key: string,
    readonly dtype: Dtype,
    /** Elements (not bytes). */
    readonly numel: number,
  ) {}

  bytes(): Uint8Array {
    this.cached ??= this.zip.read(this.entryName);
    return this.cached;
  }
}

/** A tensor as torch stores it: a strided view of a storage. */
export class TorchTensor {
  constructor(
    readonly storage: TorchStorage,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
    private readonly bigEndian: boolean,
  ) {}

  get dtype(): Dtype {
    return this.storage.dtype;
  }

  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** Row-major contiguous (what torch's `is_contiguous()` means, ignoring size-1 dimensions). */
  get isContiguous(): boolean {
    let expect = 1;
    for (let d = this.shape.length - 1; d >= 0; d--) {
      if (this.shape[d] !== 1 && this.stride[d] !== expect) return false;
      expect *= this.shape[d];
    }
    return true;
  }

  /** The elements in row-major order as little-endian bytes (a view when no copy is needed). */
  bytes(): Uint8Array {
    const es = DTYPE_BYTES[this.dtype];
    const src = this.storage.bytes();
    const n = this.numel;
    if (this.isContiguous && !this.bigEndian) return src.subarray(this.offset * es, (this.offset + n) * es);
    const out = new Uint8Array(n * es);
    const nd = this.shape.length;
    const idx = new Array<number>(nd).fill(0);
    let at = this.offset;
    for (let i = 0; i < n; i++) {
      const s = at * es;
      const o = i * es;
      if (this.bigEndian) for (let b = 0; b < es; b++) out[o + b] = src[s + es - 1 - b];
      else for (let b = 0; b < es; b++) out[o + b] = src[s + b];
      // Odometer over the multi-index, moving the storage position by the strides.
      for (let d = nd - 1; d >= 0; d--) {
        idx[d]++;
        at += this.stride[d];
        if (idx[d] < this.shape[d]) break;
        at -= this.stride[d] * this.shape[d];
        idx[d] = 0;
      }
    }
    return out;
  }

  /** As a safetensors-style entry (contiguous bytes), for the shared dtype converters. */
  entry(name: string): TensorEntry {
    return { name, dtype: this.dtype, shape: [...this.shape], bytes: this.bytes() };
  }

  /** The values as float32 (F32, F16, BF16, F64 tensors; integer tensors are refused). */
  toFloat32(name = 'tensor'): Float32Array {
    if (!isFloatDtype(this.dtype)) throw new CheckpointError('not-float', `tensor "${name}" is ${this.dtype}, not a floating-point tensor`);
    return toFloat32(this.entry(name));
  }
}

/** `argparse.Namespace` from a training script: its attributes, nothing else. */
export class PickledNamespace {
  readonly attrs = new Map<string, unknown>();

  build(state: unknown): void {
    if (!(state instanceof Map)) throw new CheckpointError('bad-pickle', 'argparse.Namespace state is not a dict');
    for (const [k, v] of state) this.attrs.set(String(k), v);
  }
}

export interface TorchCheckpoint {
  /** The unpickled object: Maps, arrays, scalars, TorchTensor, PickledNamespace. */
  root: unknown;
  /** The archive's record folder (e.g. `archive` or the file's stem). */
  recordName: string;
  byteorder: 'little' | 'big';
  source: string;
}

export interface ReadCheckpointOptions {
  /** Names the file in errors. */
  source?: string;
  /** Raw-DEFLATE decompressor for archives re-zipped with compression (Node: zlib.inflateRawSync). */
  inflate?: Inflate;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const intTuple = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => isInt(x) && x >= 0);

/** Refuses the pre-1.6 formats with a message saying how to get a readable file. */
function refuseNonZip(data: Uint8Array, source: string): never {
  const legacy = 'Re-save it with a newer PyTorch (>= 1.6 writes the zip format): torch.save(torch.load(f, weights_only=True), "new.pth")';
  if (data.byteLength >= 2 && data[0] === 0x80 && data[1] <= 5) {
    throw new CheckpointError('legacy-format', `${source} is a checkpoint in PyTorch's legacy (pre-1.6) pickle format, which vitlens does not read. ${legacy}`);
  }
  if (data.byteLength > 262 && new TextDecoder().decode(data.subarray(257, 262)) === 'ustar') {
    throw new CheckpointError('legacy-format', `${source} is a checkpoint in PyTorch's legacy tar format, which vitlens does not read. ${legacy}`);
  }
  throw new CheckpointError('not-checkpoint', `${source} is not a PyTorch checkpoint (torch.save writes a zip archive; this file is neither zip nor pickle)`);
}

/** Parses a torch.save file held in memory. Storages are read when a tensor's data is asked for. */
export function readTorchCheckpoint(data: Uint8Array, opts: ReadCheckpointOptions = {}): TorchCheckpoint {
  const source = opts.source ?? 'checkpoint';
  if (!looksLikeZip(data)) refuseNonZip(data, source);
  const zip = readZip(data, source, opts.inflate);
  const pkls = zip.names().filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkls.length === 0) {
    const some = zip.names().slice(0, 5).join(', ');
    throw new CheckpointError('missing-pickle', `${source}: the zip archive has no <name>/data.pkl, so it is not a torch.save checkpoint (entries: ${some || 'none'})`);
  }
  if (pkls.length > 1) throw new CheckpointError('bad-checkpoint', `${source}: the archive holds several pickles (${pkls.join(', ')}); expected one torch.save record`);
  const recordName = pkls[0].slice(0, -'/data.pkl'.length);
  const prefix = `${recordName}/`;
  if (zip.names().some((n) => n.startsWith(`${prefix}code/`)) || zip.has(`${prefix}constants.pkl`)) {
    throw new CheckpointError('torchscript', `${source} is a TorchScript archive (torch.jit.save), not a torch.save checkpoint of weights; save the model's state_dict() with torch.save instead`);
  }
  let byteorder: 'little' | 'big' = 'little';
  if (zip.has(`${prefix}byteorder`)) {
    const b = new TextDecoder().decode(zip.read(`${prefix}byteorder`)).trim();
    if (b !== 'little' && b !== 'big') throw new CheckpointError('bad-checkpoint', `${source}: byteorder entry says "${b}", expected little or big`);
    byteorder = b;
  }

  const storages = new Map<string, TorchStorage>();
  const storageTypes = new Map<string, PickleGlobal>();
  const storageType = (name: string): PickleGlobal => {
    let g = storageTypes.get(name);
    if (!g) storageTypes.set(name, (g = { qualifiedName: `torch.${name}` }));
    return g;
  };

  const persistentLoad = (pid: unknown): TorchStorage => {
    if (!Array.isArray(pid) || pid.length < 5 || pid[0] !== 'storage') {
      throw new CheckpointError('bad-checkpoint', `${source}: unexpected persistent id (torch.save writes ('storage', type, key, location, numel))`);
    }
    const [, type, key, , numel] = pid as unknown[];
    const typeName = (type as PickleGlobal | undefined)?.qualifiedName;
    if (typeof typeName !== 'string' || typeof key !== 'string' || !isInt(numel) || numel < 0) {
      throw new CheckpointError('bad-checkpoint', `${source}: malformed storage reference for key ${JSON.stringify(key)}`);
    }
    const dtype = STORAGE_DTYPES[typeName.replace(/^torch\./, '')];
    if (!dtype) {
      throw new CheckpointError('unsupported-storage', `${source}: storage ${key} has type ${typeName}, which vitlens does not read (supported: ${Object.keys(STORAGE_DTYPES).map((s) => `torch.${s}`).join(', ')})`);
    }
    const have = storages.get(key);
    if (have) {
      if (have.dtype !== dtype) throw new CheckpointError('bad-checkpoint', `${source}: storage ${key} is referenced as both ${have.dtype} and ${dtype}`);
      return have;
    }
    const entryName = `${prefix}data/${key}`;
    const entry = zip.entries.get(entryName);
    if (!entry) throw new CheckpointError('missing-storage', `${source}: storage ${key} (${typeName}, ${numel} elements) has no entry ${entryName} in the archive (incomplete or edited file?)`);
    if (entry.size < numel * DTYPE_BYTES[dtype]) {
      throw new CheckpointError('bad-checkpoint', `${source}: storage ${key} should hold ${numel} ${dtype} elements (${numel * DTYPE_BYTES[dtype]} bytes) but ${entryName} has ${entry.size} bytes`);
    }
    const s = new TorchStorage(zip, entryName, key, dtype, numel);
    storages.set(key, s);
    return s;
  };

  const rebuildTensor = (args: readonly unknown[]): TorchTensor => {
    const [storage, offset, size, stride] = args;
    if (!(storage instanceof TorchStorage) || !isInt(offset) || offset < 0 || !intTuple(size) || !intTuple(stride) || size.length !== stride.length) {
      throw new CheckpointError('bad-checkpoint', `${source}: malformed tensor (expected storage, offset, size tuple, stride tuple)`);
    }
    const numel = size.reduce((a, b) => a * b, 1);
    // A view with more elements than its storage repeats elements (stride 0, overlapping strides):
    // copying it out would allocate without bound, and torch.save of a state_dict never needs it.
    if (numel > storage.numel || numel > getLimits().maxTensorElements) {
      const why = numel > storage.numel
        ? `more elements than its storage ${storage.key} holds (${storage.numel}): an expanded or overlapping view (stride [${stride.join(', ')}]); save tensor.contiguous() or tensor.clone() instead`
        : `more than the ${getLimits().maxTensorElements}-element limit`;
      throw new CheckpointError('too-large', `${source}: a tensor of shape [${size.join(', ')}] has ${numel} elements, ${why}`);
    }
    if (numel > 0) {
      const last = offset + size.reduce((acc, s, d) => acc + (s - 1) * stride[d], 0);
      if (last >= storage.numel) {
        throw new CheckpointError('bad-checkpoint', `${source}: a tensor of shape [${size.join(', ')}] (stride [${stride.join(', ')}], offset ${offset}) reaches element ${last} of storage ${storage.key}, which has ${storage.numel}`);
      }
    }
    return new TorchTensor(storage, offset, size, stride, byteorder === 'big');
  };

  const callable = (qualifiedName: string, call: (args: readonly unknown[]) => unknown): PickleGlobal => ({ qualifiedName, call });
  const allowed = new Map<string, PickleGlobal>([
    ['collections.OrderedDict', callable('collections.OrderedDict', (args) => {
      const m = new Map<unknown, unknown>();
      // OrderedDict() or OrderedDict([(k, v), ...])
      if (args.length === 1 && Array.isArray(args[0])) for (const kv of args[0]) if (Array.isArray(kv) && kv.length === 2) m.set(kv[0], kv[1]);
      return m;
    })],
    ['torch._utils._rebuild_tensor', callable('torch._utils._rebuild_tensor', rebuildTensor)],
    ['torch._utils._rebuild_tensor_v2', callable('torch._utils._rebuild_tensor_v2', rebuildTensor)],
    // A Parameter is its data tensor plus requires_grad: the data is all a weights file needs.
    ['torch._utils._rebuild_parameter', callable('torch._utils._rebuild_parameter', (args) => args[0])],
    ['torch._utils._rebuild_parameter_with_state', callable('torch._utils._rebuild_parameter_with_state', (args) => args[0])],
    ['argparse.Namespace', { qualifiedName: 'argparse.Namespace', newObj: () => new PickledNamespace() }],
  ]);

  const root = unpickle(
    zip.read(pkls[0]),
    {
      findGlobal: (module, name) => (module === 'torch' && /^[A-Za-z0-9]+Storage$/.test(name) ? storageType(name) : allowed.get(`${module}.${name}`)),
      persistentLoad,
      refusalHint: 'allowed: collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter, torch.*Storage, argparse.Namespace',
    },
    `${source} (${pkls[0]})`,
  );
  return { root, recordName, byteorder, source };
}
