/**
 * torch.save checkpoints read without Python: tensors identical to torch's values (strided views,
 * storage offsets, shared storages, f16 / bf16 / f64, big-endian archives, deflated archives),
 * crafted malicious pickles refused naming the global, and broken archives as typed errors.
 */
import { inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../../src/errors.js';
import { PickledNamespace, readTorchCheckpoint, TorchTensor } from '../../src/io/torch-checkpoint.js';
import { readZip } from '../../src/io/zip.js';
import { expectedTensors, fixture } from '../helpers/checkpoints.js';
import { thrown as thrownOf } from '../helpers/thrown.js';

const thrown = (f: () => unknown) => thrownOf(f, CheckpointError);

const inflate = (b: Uint8Array) => new Uint8Array(inflateRawSync(b));


const modelDict = (root: unknown) => (root as Map<string, unknown>).get('model') as Map<string, TorchTensor>;

describe('torch.save checkpoints', () => {
  it('reads every tensor of timm_tiny.pth exactly as torch holds it', () => {
    const ckpt = readTorchCheckpoint(fixture('timm_tiny.pth'), { source: 'timm_tiny.pth' });
    expect(ckpt.recordName).toBe('timm_tiny');
    expect(ckpt.byteorder).toBe('little');
    expect((ckpt.root as Map<string, unknown>).get('epoch')).toBe(7);
    const sd = modelDict(ckpt.root);
    const expected = expectedTensors('timm_tiny');
    for (const [name, exp] of expected) {
      const t = sd.get(name)!;
      expect(t, name).toBeInstanceOf(TorchTensor);
      expect([...t.shape], name).toEqual(exp.shape);
      expect(Array.from(t.toFloat32(name)), name).toEqual(Array.from(exp.data));
    }
    expect(sd.get('num_batches_tracked')!.dtype).toBe('I64');
  });

  it('keeps the views torch saved: strides, offsets, shared storages, dtypes', () => {
    const sd = modelDict(readTorchCheckpoint(fixture('timm_tiny.pth')).root);
    const qkv = sd.get('blocks.0.attn.qkv.weight')!;
    expect(qkv.isContiguous).toBe(false);
    expect([...qkv.stride]).toEqual([1, 24]);
    expect(sd.get('pos_embed')!.offset).toBe(40);
    expect(sd.get('blocks.0.attn.proj.bias')!.storage).toBe(sd.get('blocks.0.attn.qkv.bias')!.storage);
    expect(sd.get('blocks.1.mlp.fc1.weight')!.dtype).toBe('F16');
    expect(sd.get('blocks.1.mlp.fc1.weight')!.isContiguous).toBe(false);
    expect(sd.get('norm.weight')!.dtype).toBe('BF16');
    expect(sd.get('norm.bias')!.dtype).toBe('F64');
    expect(() => sd.get('num_batches_tracked')!.toFloat32('num_batches_tracked')).toThrow(/I64, not a floating-point tensor/);
  });

  it('reads a deflated archive through the injected inflate, and says so without one', () => {
    const sd = modelDict(readTorchCheckpoint(fixture('deflated.pth'), { inflate }).root);
    const exp = expectedTensors('timm_tiny');
    expect(Array.from(sd.get('head.weight')!.toFloat32())).toEqual(Array.from(exp.get('head.weight')!.data));
    expect(thrown(() => readTorchCheckpoint(fixture('deflated.pth'))).message).toMatch(/deflated and no inflate function/);
  });

  it('reads a big-endian archive', () => {
    const ckpt = readTorchCheckpoint(fixture('bigendian.pth'));
    expect(ckpt.byteorder).toBe('big');
    const root = ckpt.root as Map<string, TorchTensor>;
    for (const [name, exp] of expectedTensors('bigendian')) expect(Array.from(root.get(name)!.toFloat32()), name).toEqual(Array.from(exp.data));
  });

  it('reads a DINO training checkpoint: nested dicts, lists, tuples, argparse.Namespace as a record', () => {
    const root = readTorchCheckpoint(fixture('dino_tiny.pth')).root as Map<string, unknown>;
    expect([...root.keys()]).toEqual(['student', 'teacher', 'optimizer', 'epoch', 'args', 'dino_loss']);
    const args = root.get('args') as PickledNamespace;
    expect(args).toBeInstanceOf(PickledNamespace);
    expect(args.attrs.get('arch')).toBe('vit_tiny');
    expect(args.attrs.get('use_fp16')).toBe(false);
    const groups = (root.get('optimizer') as Map<string, unknown>).get('param_groups') as Map<string, unknown>[];
    expect(groups[0].get('betas')).toEqual([0.9, 0.999]);
    expect((root.get('teacher') as Map<string, unknown>).get('backbone.blocks.0.attn.q.weight')).toBeInstanceOf(TorchTensor);
  });
});

describe('malicious pickles are refused, naming the global', () => {
  it.each([
    ['evil_os_system.pth', /refuses global "os\.system"/],
    ['evil_eval.pth', /refuses global "builtins\.eval"/],
    ['evil_stack_global.pth', /refuses global "builtins\.exec"/],
    ['evil_inst.pth', /refuses instantiating "os\.system" \(INST\)/],
    ['evil_build.pth', /refuses setting the state of TorchTensor \(BUILD\)/],
  ])('%s', (name, message) => {
    const e = thrown(() => readTorchCheckpoint(fixture(name), { source: name }));
    expect(e.code).toBe('refused-global');
    expect(e.message).toMatch(message);
    expect(e.message.startsWith(name)).toBe(true);
  });
});

describe('broken checkpoints give typed errors', () => {
  it('a truncated file', () => {
    const full = fixture('timm_tiny.pth');
    for (const n of [10, 1000, full.length - 30]) {
      const e = thrown(() => readTorchCheckpoint(full.subarray(0, n), { source: 'cut.pth' }));
      expect(e.code, `${n} bytes`).toBe('truncated');
      expect(e.message).toMatch(/truncated/);
    }
  });

  it('a storage whose bytes were corrupted (CRC-32 check when the tensor is read)', () => {
    const bytes = fixture('timm_tiny.pth').slice();
    const entry = readZip(bytes).entries.get('timm_tiny/data/3')!;
    const h = new DataView(bytes.buffer).getUint16.bind(new DataView(bytes.buffer));
    const dataStart = entry.localHeaderOffset + 30 + h(entry.localHeaderOffset + 26, true) + h(entry.localHeaderOffset + 28, true);
    bytes[dataStart] ^= 0xff;
    const sd = modelDict(readTorchCheckpoint(bytes).root);
    const [name, t] = [...sd.entries()].find(([, x]) => x.storage.key === '3')!;
    const e = thrown(() => t.toFloat32(name));
    expect(e.code).toBe('crc-mismatch');
    expect(e.message).toMatch(/timm_tiny\/data\/3.*CRC-32/);
  });

  it('a missing data.pkl', () => expect(thrown(() => readTorchCheckpoint(fixture('no_pickle.pth'))).code).toBe('missing-pickle'));

  it('a missing storage entry', () => {
    const e = thrown(() => readTorchCheckpoint(fixture('missing_storage.pth')));
    expect(e.code).toBe('missing-storage');
    expect(e.message).toMatch(/storage 0 .* has no entry timm_tiny\/data\/0/);
  });

  it('an unknown storage type', () => {
    const e = thrown(() => readTorchCheckpoint(fixture('complex.pth')));
    expect(e.code).toBe('unsupported-storage');
    expect(e.message).toMatch(/torch\.ComplexFloatStorage/);
  });

  it('the legacy (pre-1.6) format, with how to re-save it', () => {
    const e = thrown(() => readTorchCheckpoint(fixture('legacy.pth')));
    expect(e.code).toBe('legacy-format');
    expect(e.message).toMatch(/Re-save it with a newer PyTorch/);
  });

  it('something that is no checkpoint at all', () => {
    expect(thrown(() => readTorchCheckpoint(new TextEncoder().encode('hello world, not a checkpoint'))).code).toBe('not-checkpoint');
    expect(thrown(() => readTorchCheckpoint(fixture('timm_tiny.expected.safetensors'))).code).toBe('not-checkpoint');
  });
});
