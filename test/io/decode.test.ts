/**
 * Node decoding: every golden case's PNGs decode to its `source_u8` pixels; every colour type / bit
 * depth in test/fixtures/decode_fixture.safetensors decodes as PIL 9.4 does (PNG exactly, JPEG
 * within a few levels: jpeg-js is not libjpeg); bad files give ImageError naming the file.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ImageError } from '../../src/errors.js';
import { decodeImage, readImageFile, readImageFileSync, sniffImageFormat } from '../../src/io/decode-node.js';
import { parseSafetensors } from '../../src/io/safetensors.js';
import { goldenCases } from '../helpers/golden.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = parseSafetensors(new Uint8Array(readFileSync(join(here, '../fixtures/decode_fixture.safetensors'))), 'decode_fixture.safetensors');
const bytesOf = (name: string) => {
  const t = fixture.tensors.get(name);
  if (!t) throw new Error(`fixture has no tensor ${name}`);
  return t;
};

function diffStats(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; mean: number } {
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
}

describe('golden PNGs decode to source_u8', () => {
  const cases = goldenCases().filter((c) => c.has('source_u8'));
  it('golden cases with photos exist', () => expect(cases.length).toBeGreaterThan(0));
  for (const gc of cases) {
    it(`${gc.name}: every PNG is one of the source photos, every source photo has its PNG`, () => {
      const [count, h, w, c] = gc.shape('source_u8');
      const src = gc.expected.tensors.get('source_u8')!.bytes;
      const per = h * w * c;
      const pngs = readdirSync(gc.dir).filter((f) => sniffImageFormat(readFileSync(join(gc.dir, f)).subarray(0, 8)) === 'png');
      expect(pngs.length).toBeGreaterThan(0);
      const matched = new Set<number>();
      for (const f of pngs) {
        const img = readImageFileSync(join(gc.dir, f));
        expect([img.height, img.width, img.channels]).toEqual([h, w, c]);
        // match by content, not by name
        const k = Array.from({ length: count }, (_, i) => i).find((i) => diffStats(img.data, src.subarray(i * per, (i + 1) * per)).max === 0);
        expect(k, `${gc.name}/${f} equals none of the ${count} source_u8 images`).toBeDefined();
        matched.add(k!);
      }
      expect(matched.size).toBe(count);
    });
  }
});

describe('decoding matches PIL 9.4', () => {
  const names = [...fixture.tensors.keys()].filter((n) => n.startsWith('file/')).map((n) => n.slice(5));
  const jpegStats: string[] = [];
  for (const name of names) {
    const file = bytesOf(`file/${name}`).bytes;
    const pil = bytesOf(`pil/${name}`);
    const [h, w, c] = pil.shape;
    if (name.endsWith('.png')) {
      it(`${name} (PNG) decodes bit-exactly to PIL's ${c}-channel image`, () => {
        const img = decodeImage(file, name);
        expect([img.height, img.width, img.channels]).toEqual([h, w, c]);
        const expected = fixture.tensors.has(`high/${name}`) ? bytesOf(`high/${name}`).bytes : pil.bytes;
        expect(diffStats(img.data, expected).max).toBe(0);
        if (fixture.tensors.has(`high/${name}`)) {
          expect(diffStats(decodeImage(file, name, { sixteenBitGray: 'pil-clamp' }).data, pil.bytes).max).toBe(0);
        }
      });
    } else {
      it(`${name} (JPEG) decodes close to PIL's libjpeg`, () => {
        const img = decodeImage(file, name);
        expect([img.height, img.width, img.channels]).toEqual([h, w, c]);
        const s = diffStats(img.data, pil.bytes);
        jpegStats.push(`${name}: max ${s.max}, mean ${s.mean.toFixed(3)}`);
        // jpeg-js differs from libjpeg-turbo in IDCT / colour-conversion rounding (a few levels) and, for
        // 4:2:0 chroma, upsamples by pixel replication where libjpeg uses its "fancy" triangle filter
        // (measured on this deliberately noisy 32x24 picture: max 16, mean 3.5; 4:4:4 max 3, mean 0.5)
        const subsampled = name.includes('420');
        expect(s.mean).toBeLessThan(subsampled ? 5 : 1);
        expect(s.max).toBeLessThanOrEqual(subsampled ? 32 : 4);
      });
    }
  }
  it('reports JPEG differences', () => {
    console.log(`[decode] |jpeg-js - PIL| per sample: ${jpegStats.join('; ')}`);
  });
});

// --- bad input -------------------------------------------------------------------------------

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  out.set(Buffer.from(type, 'latin1'), 4);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A minimal 8-bit RGB PNG with the given (possibly invalid) size. */
function tinyPng(width: number, height: number): Uint8Array {
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = new Uint8Array(height * (1 + 3 * width));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(raw)), pngChunk('IEND', new Uint8Array(0))]);
}

describe('bad files give ImageError naming the file and the reason', () => {
  const goodPng = bytesOf('file/rgb8.png').bytes;
  const goodJpeg = bytesOf('file/rgb444.jpg').bytes;
  const dir = mkdtempSync(join(tmpdir(), 'vitlens-decode-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a tiny PNG built here decodes (sanity check of the builder)', () => {
    expect(decodeImage(tinyPng(2, 3), 'tiny.png')).toMatchObject({ width: 2, height: 3, channels: 3 });
  });

  it('truncated PNG', () => {
    for (const cut of [8, 30, goodPng.length - 20]) {
      expect(() => decodeImage(goodPng.subarray(0, cut), 'cut.png')).toThrow(ImageError);
    }
    expect(() => decodeImage(goodPng.subarray(0, goodPng.length - 20), 'cut.png')).toThrow(/cut\.png: corrupt or truncated PNG/);
  });

  it('PNG with a damaged chunk (CRC mismatch)', () => {
    const bad = new Uint8Array(goodPng);
    bad[40] ^= 0xff;
    expect(() => decodeImage(bad, 'crc.png')).toThrow(/crc\.png: corrupt or truncated PNG/);
  });

  it('zero-size PNG', () => {
    expect(() => decodeImage(tinyPng(0, 3), 'empty.png')).toThrow(ImageError);
  });

  it('truncated and damaged JPEG', () => {
    expect(() => decodeImage(goodJpeg.subarray(0, Math.floor(goodJpeg.length / 2)), 'half.jpg')).toThrow(/half\.jpg: corrupt, truncated or unsupported JPEG/);
    expect(() => decodeImage(goodJpeg.subarray(0, 3), 'head.jpg')).toThrow(ImageError);
  });

  it('random bytes, empty data, other formats', () => {
    let seed = 12345;
    const random = Uint8Array.from({ length: 512 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24));
    random[0] = 0x00; // make sure it is not a JPEG/PNG signature by chance
    expect(() => decodeImage(random, 'noise.bin')).toThrow(/noise\.bin: not a PNG or JPEG file/);
    expect(() => decodeImage(new Uint8Array(0), 'nothing.png')).toThrow(/nothing\.png: file is empty/);
    const gif = new Uint8Array(32);
    gif.set(Buffer.from('GIF89a', 'latin1'));
    expect(() => decodeImage(gif, 'anim.gif')).toThrow(/anim\.gif: GIF images are not supported/);
  });

  it('reads files by content, not extension; missing files are ImageError', async () => {
    const p = join(dir, 'actually-a-png.jpg');
    writeFileSync(p, goodPng);
    expect((await readImageFile(p)).channels).toBe(3);
    expect(readImageFileSync(p).width).toBe(7);
    await expect(readImageFile(join(dir, 'missing.png'))).rejects.toThrow(/missing\.png: cannot read the file \(ENOENT\)/);
    expect(() => readImageFileSync(join(dir, 'missing.png'))).toThrow(ImageError);
  });
});
