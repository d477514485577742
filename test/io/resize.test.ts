/**
 * Resampling against reference outputs computed by PyTorch 1.13 and Pillow 9.4
 * (test/fixtures/resize_fixture.safetensors, written by test/fixtures/make_resize_fixture.py;
 * every entry of the fixture is checked, its shapes say which sizes were used).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ImageError, InputError } from '../../src/errors.js';
import { toGray, type RawImage } from '../../src/io/image.js';
import { axisWeights, resizeFloatAntialiased, resizePil, upsampleBilinear, type PilFilter } from '../../src/io/resize.js';
import { parseSafetensors, toFloat32, type TensorEntry } from '../../src/io/safetensors.js';
import { maxAbsDiff } from '../helpers/compare.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = parseSafetensors(new Uint8Array(readFileSync(join(here, '../fixtures/resize_fixture.safetensors'))), 'resize_fixture.safetensors');
const tensor = (name: string): TensorEntry => {
  const t = fixture.tensors.get(name);
  if (!t) throw new Error(`fixture has no tensor ${name}`);
  return t;
};
/** Fixture names matching `prefix/<k>/input`, as k strings. */
const caseIds = (prefix: string) => [...fixture.tensors.keys()].filter((n) => n.startsWith(`${prefix}/`) && n.endsWith('/input')).map((n) => n.split('/')[1]);
const u8Image = (t: TensorEntry): RawImage => ({ data: new Uint8Array(t.bytes), height: t.shape[0], width: t.shape[1], channels: t.shape[2] });

function countDiffs(a: Uint8Array | Uint8ClampedArray, b: Uint8Array): { count: number; max: number } {
  let count = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d) count++;
    max = Math.max(max, d);
  }
  return { count, max };
}

describe('resizePil reproduces Pillow 9.4 Image.resize bit-exactly', () => {
  const ids = caseIds('pil');
  it('fixture has Pillow cases', () => expect(ids.length).toBeGreaterThan(0));
  for (const k of ids) {
    const input = u8Image(tensor(`pil/${k}/input`));
    const outputs = [...fixture.tensors.keys()].filter((n) => n.startsWith(`pil/${k}/`) && !n.endsWith('/input'));
    for (const name of outputs) {
      const filter = name.split('/')[2] as PilFilter;
      const expected = tensor(name);
      const [oh, ow] = expected.shape;
      it(`${input.width}x${input.height}x${input.channels} -> ${ow}x${oh} ${filter} (${name})`, () => {
        const out = resizePil(input, ow, oh, filter);
        expect([out.width, out.height, out.channels]).toEqual([ow, oh, input.channels]);
        expect(countDiffs(out.data, expected.bytes)).toEqual({ count: 0, max: 0 });
      });
    }
  }
});

describe('toGray reproduces Pillow convert("L")', () => {
  for (const k of caseIds('gray')) {
    it(`gray/${k}`, () => {
      const input = u8Image(tensor(`gray/${k}/input`));
      expect(countDiffs(toGray(input).data, tensor(`gray/${k}/L`).bytes)).toEqual({ count: 0, max: 0 });
    });
  }
});

describe('float resampling matches torch F.interpolate to 1e-6', () => {
  const ids = caseIds('float');
  let worstAa = 0;
  let worstBilinear = 0;
  for (const k of ids) {
    const input = tensor(`float/${k}/input`);
    const [c, ih, iw] = input.shape;
    const x = toFloat32(input);
    for (const mode of ['bicubic', 'bilinear'] as const) {
      const expected = tensor(`float/${k}/${mode}_aa`);
      const [, oh, ow] = expected.shape;
      it(`antialiased ${mode} (${c},${ih},${iw}) -> (${oh},${ow})`, () => {
        const d = maxAbsDiff(resizeFloatAntialiased(x, c, ih, iw, oh, ow, mode), toFloat32(expected)).max;
        worstAa = Math.max(worstAa, d);
        expect(d).toBeLessThanOrEqual(1e-6);
      });
    }
    const expected = tensor(`float/${k}/bilinear`);
    const [, oh, ow] = expected.shape;
    it(`upsampleBilinear (align_corners=False) (${ih},${iw}) -> (${oh},${ow}) per channel`, () => {
      const ref = toFloat32(expected);
      for (let ch = 0; ch < c; ch++) {
        const out = upsampleBilinear(x.subarray(ch * ih * iw, (ch + 1) * ih * iw), ih, iw, oh, ow);
        const d = maxAbsDiff(out, ref.subarray(ch * oh * ow, (ch + 1) * oh * ow)).max;
        worstBilinear = Math.max(worstBilinear, d);
        expect(d).toBeLessThanOrEqual(1e-6);
      }
    });
  }
  it('reports the worst errors', () => {
    console.log(`[resize] max |ours - torch|: antialiased ${worstAa.toExponential(2)}, bilinear ${worstBilinear.toExponential(2)} over ${ids.length} fixture cases`);
    expect(ids.length).toBeGreaterThan(0);
  });
});

describe('resampling properties', () => {
  it('filter weights sum to 1 and stay inside the input', () => {
    for (const [inS, outS] of [[224, 248], [224, 32], [7, 3], [3, 11], [1, 5]]) {
      for (const mode of ['bicubic', 'bilinear'] as const) {
        const w = axisWeights(inS, outS, mode);
        for (let i = 0; i < outS; i++) {
          expect(w.first[i]).toBeGreaterThanOrEqual(0);
          expect(w.first[i] + w.count[i]).toBeLessThanOrEqual(inS);
          let s = 0;
          for (let j = 0; j < w.count[i]; j++) s += w.weights[i * w.taps + j];
          expect(Math.abs(s - 1)).toBeLessThan(1e-12);
        }
      }
    }
  });

  it('a constant image stays constant (up, down, every filter)', () => {
    const img: RawImage = { data: new Uint8Array(6 * 5 * 3).fill(173), width: 6, height: 5, channels: 3 };
    for (const f of ['bicubic', 'bilinear', 'nearest'] as const) {
      for (const [w, h] of [[13, 2], [3, 17], [1, 1]]) {
        expect(resizePil(img, w, h, f).data.every((v) => v === 173)).toBe(true);
      }
    }
    const map = new Float32Array(12).fill(-0.25);
    expect(resizeFloatAntialiased(map, 1, 3, 4, 9, 2, 'bicubic').every((v) => Math.abs(v + 0.25) < 1e-7)).toBe(true);
    expect(upsampleBilinear(map, 3, 4, 7, 11).every((v) => v === -0.25)).toBe(true);
  });

  it('same size returns an equal copy', () => {
    const img: RawImage = { data: Uint8ClampedArray.from([1, 2, 3, 4, 5, 6]), width: 2, height: 1, channels: 3 };
    const out = resizePil(img, 2, 1, 'bicubic');
    expect(out.data).not.toBe(img.data);
    expect(Array.from(out.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('rejects bad images and sizes with ImageError / InputError', () => {
    const ok: RawImage = { data: new Uint8Array(12), width: 2, height: 2, channels: 3 };
    expect(() => resizePil({ ...ok, channels: 5, data: new Uint8Array(20) }, 3, 3, 'bicubic')).toThrow(ImageError);
    expect(() => resizePil({ ...ok, data: new Uint8Array(11) }, 3, 3, 'bicubic')).toThrow(/needs 12 bytes/);
    expect(() => resizePil(ok, 0, 3, 'bicubic')).toThrow(ImageError);
    expect(() => resizePil(ok, 3, 3, 'lanczos' as PilFilter)).toThrow(InputError);
    expect(() => resizeFloatAntialiased(new Float32Array(5), 1, 2, 3, 4, 4, 'bicubic')).toThrow(InputError);
    expect(() => upsampleBilinear(new Float32Array(4), 2, 2, 0, 4)).toThrow(InputError);
  });
});
