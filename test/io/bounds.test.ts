/**
 * Every size a file or config declares is bounded before it is believed (issue 9): one test per
 * reproduced example, each with a small file made here. Each expects a typed error with the reason,
 * before any large allocation (the process would abort or take gigabytes otherwise).
 */
import { deflateSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointError, ConfigError, DeviceError, FileError, ImageError, InputError, SafetensorsError, WeightsError } from '../../src/errors.js';
import { decodeImage } from '../../src/io/decode-node.js';
import { DEFAULT_LIMITS, getLimits, parseLimits, setLimits } from '../../src/io/limits.js';
import { preprocess, resolveDataConfig } from '../../src/io/preprocess.js';
import { parseSafetensors, serializeSafetensors } from '../../src/io/safetensors.js';
import { convertCheckpoint } from '../../src/convert/convert.js';
import { readTorchCheckpoint } from '../../src/io/torch-checkpoint.js';
import { readZip } from '../../src/io/zip.js';
import { bufferNeeds, checkFitsDevice, configFromHub } from '../../src/model/config.js';
import { nodeInflate } from '../../src/node/convert.js';
import { asFileError } from '../../src/node/files.js';
import { writeZip } from '../../scripts/fuzz/zip-write.js';
import { TINY_CONFIG } from '../../scripts/fuzz/families.js';
import { craftPng } from '../../scripts/fuzz/png-craft.js';
import { fixture } from '../helpers/checkpoints.js';
import { thrown } from '../helpers/thrown.js';

afterEach(() => setLimits(DEFAULT_LIMITS));

/** A PNG declaring `w` x `h` (8-bit RGB) whose image data is `idat` (zlib stream). */
const png = (width: number, height: number, idat: Uint8Array, interlace = 0) => craftPng({ width, height, idat, interlace });

describe('PNG: the declared size is bounded before anything is inflated', () => {
  it('a tiny PNG declaring a huge image gives an ImageError, not a native zlib abort', () => {
    const b = png(0x7fffffff, 0x7fffffff, new Uint8Array(deflateSync(new Uint8Array(16))));
    expect(b.length).toBeLessThan(100);
    const e = thrown(() => decodeImage(b, 'tiny.png'), ImageError);
    expect(e.code).toBe('too-large');
    expect(e.message).toMatch(/tiny\.png: PNG declares 2147483647x2147483647 .*pixel limit/);
  });

  it('30000 x 30000 is refused from its header (above the 50 MP limit), and the limit can be raised', () => {
    const b = png(30000, 30000, new Uint8Array(deflateSync(new Uint8Array(64))));
    expect(thrown(() => decodeImage(b, 'big.png'), ImageError).message).toMatch(/900000000 pixels, more than the 50000000-pixel limit \(raise it with setLimits/);
    setLimits({ maxImagePixels: 1e9 });
    // now the per-byte bound speaks: a 100-byte file cannot hold 900 MP
    expect(thrown(() => decodeImage(b, 'big.png'), ImageError).message).toMatch(/decompression bomb/);
  });

  it('an interlaced 8x8 PNG whose data inflates far beyond 8x8 is refused at the exact size the image needs', () => {
    const b = png(8, 8, new Uint8Array(deflateSync(new Uint8Array(16 << 20))), 1);
    const e = thrown(() => decodeImage(b, 'bomb.png'), ImageError);
    expect(e.message).toMatch(/inflates to more than the \d+ bytes a 8x8 image needs/);
  });

  it('data that ends early is a typed error', () => {
    const full = new Uint8Array(deflateSync(new Uint8Array(8 * (1 + 24))));
    expect(thrown(() => decodeImage(png(8, 8, full.subarray(0, full.length - 6)), 'short.png'), ImageError).message).toMatch(/short\.png: corrupt or truncated PNG/);
  });
});

describe('JPEG: the frame header is read and bounded before decoding', () => {
  /** A JPEG with SOF0 declaring `w` x `h` and nothing after it but end-of-image. */
  function jpegHeader(w: number, h: number): Uint8Array {
    return new Uint8Array([0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, h >> 8, h & 0xff, w >> 8, w & 0xff, 1, 1, 0x11, 0, 0xff, 0xd9]);
  }
  it('a 17-byte JPEG declaring 65535 x 65535 is refused before jpeg-js allocates', () => {
    expect(thrown(() => decodeImage(jpegHeader(65535, 65535), 'big.jpg'), ImageError).code).toBe('too-large');
  });
  it('a small file declaring 5000 x 5000 (under the pixel limit) is refused by the per-byte bound', () => {
    expect(thrown(() => decodeImage(jpegHeader(5000, 5000), 'lying.jpg'), ImageError).message).toMatch(/a 17-byte JPEG declares 5000x5000 pixels, more than 1024 per byte/);
  });
  it('no frame header before the scan is a typed error', () => {
    expect(thrown(() => decodeImage(new Uint8Array([0xff, 0xd8, 0xff, 0xda, 0, 2, 0xff, 0xd9]), 'nosof.jpg'), ImageError).code).toBe('corrupt-jpeg');
  });
});

describe('checkpoints: inflated sizes and tensor views are bounded', () => {
  /** The entries of a real checkpoint, so a crafted archive is otherwise valid. */
  const entries = () => {
    const z = readZip(fixture('timm_tiny.pth'), 'timm_tiny.pth');
    return z.names().map((name) => ({ name, data: z.read(name) }));
  };

  it('overlapping deflated entries (a zip bomb) are refused from the directory, before inflating', () => {
    const base = entries();
    const big = { name: 'x', data: new Uint8Array(8 << 20), deflate: true };
    const bomb = writeZip([...base, ...Array.from({ length: 30 }, (_, k) => ({ ...big, name: `${base[0].name.split('/')[0]}/data/bomb${k}` }))]);
    expect(bomb.length).toBeLessThan(2 << 20);
    const e = thrown(() => readTorchCheckpoint(bomb, { source: 'bomb.pth', inflate: nodeInflate }), CheckpointError);
    expect(e.code).toBe('too-large');
    expect(e.message).toMatch(/ratio above 200/);
  });

  it('a directory that declares a huge entry is refused; one that declares too little fails the inflate limit', () => {
    const base = entries();
    const storage = base.find((e) => /\/data\/\d+$/.test(e.name))!;
    const lying = writeZip(base.map((e) => (e === storage ? { ...e, deflate: true, declaredSize: 0xfffffff0 } : e)));
    expect(thrown(() => readTorchCheckpoint(lying, { source: 'lying.pth', inflate: nodeInflate }), CheckpointError).code).toBe('too-large');
    // declared as its true size, but the deflated data goes on for 1 MiB more: inflating stops at the declared size
    const padded = new Uint8Array(storage.data.length + (1 << 20));
    padded.set(storage.data);
    const long = writeZip(base.map((e) => (e === storage ? { ...e, data: padded, deflate: true, declaredSize: storage.data.length } : e)));
    const e = thrown(() => convertCheckpoint(long, { source: 'long.pth', inflate: nodeInflate, numHeads: 2 }), CheckpointError);
    expect(e.message).toMatch(/long\.pth: entry ".*" does not inflate/);
  });

  it('a stride-0 view with more elements than its storage is refused', () => {
    // {'w': _rebuild_tensor_v2(FloatStorage '0' of 4 elements, 0, (100000000,), (0,), False, OrderedDict())}
    const enc = (s: string) => [...new TextEncoder().encode(s)];
    const str = (s: string) => [0x58, s.length, 0, 0, 0, ...enc(s)];
    const i32 = (v: number) => [0x4a, v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
    const p = [
      0x80, 2, 0x7d, ...str('w'),
      0x63, ...enc('torch._utils\n_rebuild_tensor_v2\n'), 0x28,
      0x28, ...str('storage'), 0x63, ...enc('torch\nFloatStorage\n'), ...str('0'), ...str('cpu'), 0x4b, 4, 0x74, 0x51,
      0x4b, 0, 0x28, ...i32(100_000_000), 0x74, 0x28, 0x4b, 0, 0x74, 0x89,
      0x63, ...enc('collections\nOrderedDict\n'), 0x29, 0x52,
      0x74, 0x52, 0x73, 0x2e,
    ];
    const zip = writeZip([
      { name: 'archive/data.pkl', data: Uint8Array.from(p) },
      { name: 'archive/data/0', data: new Uint8Array(16) },
      { name: 'archive/version', data: new TextEncoder().encode('3\n') },
    ]);
    const e = thrown(() => readTorchCheckpoint(zip, { source: 'stride0.pth' }), CheckpointError);
    expect(e.message).toMatch(/shape \[100000000\] has 100000000 elements, more elements than its storage 0 holds \(4\).*stride \[0\]/);
  });
});

describe('safetensors', () => {
  it('a tensor name declared twice in the header is refused', () => {
    const one = serializeSafetensors({ a: { dtype: 'F32', shape: [1], data: new Float32Array([1]) } });
    const text = new TextDecoder().decode(one.subarray(8, 8 + Number(new DataView(one.buffer).getBigUint64(0, true))));
    const dup = text.trim().replace(/^\{/, `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},`);
    const json = new TextEncoder().encode(dup);
    const b = new Uint8Array(8 + json.length + 4);
    new DataView(b.buffer).setBigUint64(0, BigInt(json.length), true);
    b.set(json, 8);
    const e = thrown(() => parseSafetensors(b, 'dup.safetensors'), SafetensorsError);
    expect(e.code).toBe('duplicate-name');
    expect(e.message).toMatch(/tensor "a" is declared twice/);
  });
});

describe('config.json values are bounded, with short messages', () => {
  const withArgs = (args: Record<string, unknown>, pre?: Record<string, unknown>) => ({ ...TINY_CONFIG, model_args: { ...TINY_CONFIG.model_args, ...args }, pretrained_cfg: { ...TINY_CONFIG.pretrained_cfg, ...pre } });

  it.each([
    ['depth 1e8', { depth: 1e8 }, /depth must be between 1 and 256, got 100000000 \(raise it with setLimits\(\{ maxDepth/],
    ['depth 1e6', { depth: 1e6 }, /depth must be between 1 and 256/],
    ['in_chans 1e308', { in_chans: 1e308 }, /in_chans must be between 1 and 64/],
    ['embed_dim 1e9', { embed_dim: 1e9 }, /embed_dim must be between 1 and 16384/],
    ['num_heads > embed_dim', { num_heads: 16 }, /num_heads must be between 1 and 8/],
    ['img_size 100000', { img_size: 100000 }, /img_size must be between 1 and 4096/],
    ['patch_size > img_size', { patch_size: 16 }, /patch_size must be between 1 and 8/],
    ['mlp_ratio Infinity-like', { mlp_ratio: 1e300 }, /mlp_ratio must be between/],
    ['img_size "NaN"', { img_size: 'NaN' }, /img_size must be an integer or \[h, w\] integers, got "NaN"/],
  ])('%s', (_, args, message) => {
    const e = thrown(() => configFromHub(withArgs(args)), ConfigError);
    expect(e.message).toMatch(message);
    expect(e.message.length).toBeLessThan(300);
  });

  it.each([
    ['crop_pct 1e-9', { crop_pct: 1e-9 }, /crop_pct must be a number between 0.1 and 4, got 1e-9/],
    ['input_size "NaN"', { input_size: 'NaN' }, /input_size must be \[C, H, W\] positive integers, got "NaN"/],
    ['input_size [1, 100000, 100000]', { input_size: [1, 100000, 100000] }, /larger than 4096 on a side/],
    ['input_size 8192^2', { input_size: [3, 8192, 8192] }, /larger than 4096 on a side/],
    ['mean as a number', { mean: 5 }, /mean must be a list of numbers/],
  ])('pretrained_cfg %s', (_, pre, message) => {
    expect(thrown(() => configFromHub(withArgs({}, pre)), ConfigError).message).toMatch(message);
  });

  it('a huge value is quoted in at most 80 characters', () => {
    const e = thrown(() => configFromHub(withArgs({ img_size: Array(100000).fill(7) })), ConfigError);
    expect(e.message.length).toBeLessThan(300);
  });

  it('preprocessing refuses a resize target above the pixel limit (an extreme aspect ratio)', () => {
    const dc = resolveDataConfig({ input_size: [3, 224, 224] });
    const img = { data: new Uint8Array(1 * 40000 * 3), width: 1, height: 40000, channels: 3 };
    expect(thrown(() => preprocess(img, dc), ImageError).message).toMatch(/1x40000 image would be resized to 256x10240000/);
  });
});

describe('device fit is computed from the config, naming the dimension', () => {
  const cfgAt = (side: number) => {
    setLimits({ maxInputSide: 8192 });
    return configFromHub({ architecture: 'vit_base_patch16_224', num_classes: 10, model_args: { img_size: side }, pretrained_cfg: { input_size: [3, side, side] } });
  };
  it('an 8192^2 input: the attention over 262,145 tokens is too large, and batch 1 is not told to shrink its batch', () => {
    const e = thrown(() => checkFitsDevice(cfgAt(8192), 1, 128 * 2 ** 20), DeviceError);
    expect(e.message).toMatch(/attention probabilities .* \[1, 12, 262145, 262145\] .*caused by 262145 tokens from a 8192x8192 input with 16x16 patches/);
    expect(e.message).not.toMatch(/smaller batch/);
  });
  it('a batch that does not fit is told the largest batch that does', () => {
    const cfg = cfgAt(224);
    const one = bufferNeeds(cfg, 1).reduce((a, b) => Math.max(a, b.bytes), 0);
    expect(thrown(() => checkFitsDevice(cfg, 64, one * 10), DeviceError).message).toMatch(/64 images at once; use a batch of at most \d+/);
    expect(() => checkFitsDevice(cfg, 1, one)).not.toThrow();
  });
});

describe('limits', () => {
  it('setLimits returns the previous limits and refuses unknown names and non-positive values', () => {
    const before = setLimits({ maxDepth: 1000 });
    expect(before.maxDepth).toBe(256);
    expect(getLimits().maxDepth).toBe(1000);
    expect(thrown(() => setLimits({ maxDpeth: 3 } as never), InputError).message).toMatch(/unknown limit "maxDpeth"/);
    expect(thrown(() => setLimits({ maxDepth: -1 }), InputError).code).toBe('bad-limit');
  });
  it('VITLENS_LIMITS syntax', () => {
    expect(parseLimits('maxImagePixels=2e8, maxDepth=300')).toEqual({ maxImagePixels: 2e8, maxDepth: 300 });
    expect(thrown(() => parseLimits('maxImagePixels'), InputError).message).toMatch(/cannot read "maxImagePixels"/);
  });
});

describe('errors as the CLI reports them', () => {
  it('WeightsError keeps the full lists and spells them out in details', () => {
    const missing = Array.from({ length: 40 }, (_, i) => `blocks.${i}.attn.qkv.weight`);
    const e = new WeightsError('m.safetensors does not fit vit (embed 8): missing (40): ...', missing, ['extra'], []);
    expect(e.missing).toHaveLength(40);
    expect(e.details.split('\n')).toHaveLength(41);
    expect(e.details).toContain('  missing: blocks.39.attn.qkv.weight');
    expect(e.details).toContain('  unexpected: extra');
  });
  it('file-system errors become FileError naming the path', () => {
    const err = Object.assign(new Error('EISDIR: illegal operation on a directory, read'), { code: 'EISDIR', syscall: 'read' });
    const f = asFileError(err, '/m/model.safetensors');
    expect(f).toBeInstanceOf(FileError);
    expect(f!.message).toBe('/m/model.safetensors: is a folder, expected a file (EISDIR in read)');
    expect(asFileError(new TypeError('x'))).toBeNull();
  });
});
