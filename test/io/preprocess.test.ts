/**
 * timm eval preprocessing: the golden cases' photos (source_u8 -> photo_u8 -> input) reproduced from
 * each case's own config.json pretrained_cfg, plus timm create_transform outputs on small awkward
 * images (test/fixtures/preprocess_fixture.safetensors, written by make_preprocess_fixture.py with
 * timm + torchvision + Pillow 9.4).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, ImageError, InputError } from '../../src/errors.js';
import { flattenAlpha, fromImageData, stackBatch, toRgb, type RawImage } from '../../src/io/image.js';
import { describePreprocessing, evalGeometry, normalizeToTensor, preprocess, resizeAndCrop, resolveDataConfig, roundHalfEven, type PretrainedCfg } from '../../src/io/preprocess.js';
import { parseSafetensors, toFloat32, toIntArray, type TensorEntry } from '../../src/io/safetensors.js';
import { maxAbsDiff } from '../helpers/compare.js';
import { goldenCases, type GoldenCase } from '../helpers/golden.js';

/** Image k of a stacked U8 tensor (N, H, W, C). */
function u8At(t: TensorEntry, k: number): RawImage {
  const [, h, w, c] = t.shape;
  const per = h * w * c;
  return { data: t.bytes.subarray(k * per, (k + 1) * per), width: w, height: h, channels: c };
}

function mismatches(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

const PHOTO_TENSORS = ['source_u8', 'photo_u8', 'photo_batch_index', 'input'];

describe('golden photos: source_u8 -> photo_u8 -> input, from each case config', () => {
  const cases = goldenCases().filter((gc) => PHOTO_TENSORS.every((n) => gc.has(n)));
  it('golden cases with photos exist', () => expect(cases.length).toBeGreaterThan(0));

  for (const gc of cases) {
    const cfg: PretrainedCfg = gc.config.pretrained_cfg;
    const sources = gc.expected.tensors.get('source_u8')!;
    const photos = gc.expected.tensors.get('photo_u8')!;
    const batchIndex = toIntArray(gc.expected.tensors.get('photo_batch_index')!);
    const input = gc.f32('input');
    const [, c, h, w] = gc.shape('input');
    const plane = c * h * w;

    // For micro (crop_pct 1.0, recipe "PIL resize((32, 32)) of the whole image, no crop"), timm's
    // center rule gives Resize(shorter side -> 32) + CenterCrop(32): the same thing for its square
    // 224x224 photo. For a non-square photo the micro recipe would be crop mode 'squash' (see
    // PreprocessOptions.cropMode), which is also checked below whenever crop_pct is 1.
    for (let k = 0; k < sources.shape[0]; k++) {
      const b = batchIndex[k];
      it(`${gc.name} photo ${k}: resize + crop per pretrained_cfg reproduces photo_u8 exactly`, () => {
        const out = resizeAndCrop(u8At(sources, k), cfg);
        const expected = u8At(photos, k);
        expect([out.width, out.height, out.channels]).toEqual([expected.width, expected.height, expected.channels]);
        expect(mismatches(out.data, expected.data)).toBe(0);
        if (resolveDataConfig(cfg).cropPct === 1) {
          expect(mismatches(resizeAndCrop(u8At(sources, k), cfg, { cropMode: 'squash' }).data, expected.data)).toBe(0);
        }
      });

      it(`${gc.name} photo ${k}: ToTensor + Normalize of photo_u8 reproduces input[${b}] bit-exactly`, () => {
        const dc = resolveDataConfig(cfg);
        const x = normalizeToTensor(u8At(photos, k), dc.mean, dc.std);
        const ref = input.subarray(b * plane, (b + 1) * plane);
        expect(x.length).toBe(plane);
        expect(mismatches(x, ref)).toBe(0);
      });

      it(`${gc.name} photo ${k}: preprocess(source) end to end equals input[${b}]`, () => {
        const x = preprocess(u8At(sources, k), cfg);
        const d = maxAbsDiff(x, input.subarray(b * plane, (b + 1) * plane));
        console.log(`[preprocess] ${gc.name} photo ${k}: max |preprocess(source_u8) - input[${b}]| = ${d.max}`);
        expect(d.max).toBe(0);
      });
    }

    it(`${gc.name}: skipGeometryAtTargetSize feeds an image of the input size unchanged`, () => {
      const photo = u8At(photos, 0);
      expect(mismatches(resizeAndCrop(photo, cfg, { skipGeometryAtTargetSize: true }).data, photo.data)).toBe(0);
      expect(mismatches(preprocess(photo, cfg, { skipGeometryAtTargetSize: true }), input.subarray(batchIndex[0] * plane, (batchIndex[0] + 1) * plane))).toBe(0);
    });
  }
});

// --- timm create_transform on awkward images ------------------------------------------------

const here = dirname(fileURLToPath(import.meta.url));
const fixture = parseSafetensors(new Uint8Array(readFileSync(join(here, '../fixtures/preprocess_fixture.safetensors'))), 'preprocess_fixture.safetensors');
const fixtureCases: { pretrained_cfg: PretrainedCfg; mode: string }[] = JSON.parse(fixture.metadata.cases);

describe('timm create_transform(is_training=False) on non-square, padded, grey and RGBA images', () => {
  fixtureCases.forEach(({ pretrained_cfg: cfg, mode }, k) => {
    const t = (n: string) => fixture.tensors.get(`case/${k}/${n}`)!;
    const [sh, sw, sc] = t('source').shape;
    const source: RawImage = { data: t('source').bytes, width: sw, height: sh, channels: sc };
    const label = `${k}: ${mode} ${sw}x${sh} -> ${JSON.stringify(cfg.input_size)} ${cfg.crop_mode} crop_pct ${cfg.crop_pct} ${cfg.interpolation}`;
    it(`${label}: uint8 image before ToTensor`, () => {
      const [h, w, c] = t('u8').shape;
      const out = resizeAndCrop(source, cfg);
      expect([out.height, out.width, out.channels]).toEqual([h, w, c]);
      expect(mismatches(out.data, t('u8').bytes)).toBe(0);
    });
    if (fixture.tensors.has(`case/${k}/tensor`)) {
      it(`${label}: normalised tensor`, () => {
        expect(mismatches(preprocess(source, cfg), toFloat32(t('tensor')))).toBe(0);
      });
    }
  });
});

describe('geometry rules', () => {
  it('Python rounding: halves to even', () => {
    expect([0.5, 1.5, 2.5, 12.5, 13.5, 58.5, 3, 2.4999, 2.5001].map(roundHalfEven)).toEqual([0, 2, 2, 12, 14, 58, 3, 2, 3]);
  });

  it('DeiT: 224x224 -> Resize(248) -> CenterCrop(224) at offset 12', () => {
    const dc = resolveDataConfig({ input_size: [3, 224, 224], crop_pct: 0.9, interpolation: 'bicubic' });
    expect(evalGeometry(224, 224, dc)).toEqual([
      { op: 'resize', width: 248, height: 248, filter: 'bicubic' },
      { op: 'crop', left: 12, top: 12, width: 224, height: 224 },
    ]);
  });

  it('shorter side to floor(224 / 0.875) = 256, longer side truncated; crop offset rounds half to even', () => {
    const dc = resolveDataConfig({ input_size: [3, 224, 224] });
    // 500x375: long side int(256 * 500 / 375) = 341; left = round(117 / 2 = 58.5) = 58
    expect(evalGeometry(500, 375, dc)).toEqual([
      { op: 'resize', width: 341, height: 256, filter: 'bicubic' },
      { op: 'crop', left: 58, top: 16, width: 224, height: 224 },
    ]);
  });

  it('resolveDataConfig applies timm defaults and rejects what it cannot honour', () => {
    expect(resolveDataConfig({})).toEqual({ inputSize: [3, 224, 224], interpolation: 'bicubic', cropPct: 0.875, cropMode: 'center', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    expect(resolveDataConfig({ input_size: [1, 28, 28], mean: [0.5], std: [0.5] }).mean).toEqual([0.5]);
    expect(() => resolveDataConfig({ interpolation: 'lanczos' })).toThrow(ConfigError);
    expect(() => resolveDataConfig({ crop_mode: 'random' })).toThrow(ConfigError);
    expect(() => resolveDataConfig({ input_size: [1, 28, 28] })).toThrow(/mean needs 1 value/);
    expect(() => resolveDataConfig({ input_size: [3, 0, 28] })).toThrow(ConfigError);
  });
});

describe('bad images give ImageError saying what was expected', () => {
  const cfg: PretrainedCfg = { input_size: [3, 8, 8] };
  const img = (width: number, height: number, channels: number, len = width * height * channels): RawImage => ({ data: new Uint8Array(len), width, height, channels });
  it('grey + alpha converts like PIL LA -> RGB', () => {
    const la: RawImage = { data: Uint8Array.from([10, 255, 200, 0]), width: 2, height: 1, channels: 2 };
    expect(preprocess(la, { input_size: [3, 1, 2], crop_pct: 1, mean: [0, 0, 0], std: [1, 1, 1] }, { skipGeometryAtTargetSize: true })).toEqual(
      Float32Array.from([10 / 255, 200 / 255, 10 / 255, 200 / 255, 10 / 255, 200 / 255].map(Math.fround)),
    );
  });
  it('wrong channel counts', () => {
    expect(() => preprocess(img(4, 4, 5), cfg)).toThrow(ImageError);
    expect(() => preprocess(img(4, 4, 5), cfg)).toThrow(/expected 1 \(L\), 2 \(LA\), 3 \(RGB\), 4 \(RGBA\) channels, got 5/);
    expect(() => preprocess(img(4, 4, 0), cfg)).toThrow(ImageError);
  });
  it('zero or non-integer sizes', () => {
    expect(() => preprocess(img(0, 4, 3), cfg)).toThrow(/width and height must be positive integers, got 0x4/);
    expect(() => preprocess(img(4, 0, 3), cfg)).toThrow(ImageError);
    expect(() => preprocess({ ...img(4, 4, 3), width: 4.5 }, cfg)).toThrow(ImageError);
  });
  it('data length not width * height * channels', () => {
    expect(() => preprocess(img(4, 4, 3, 47), cfg)).toThrow(/4x4x3 needs 48 bytes of data, got 47/);
    expect(() => preprocess({ data: [1, 2, 3] as unknown as Uint8Array, width: 1, height: 1, channels: 3 }, cfg)).toThrow(ImageError);
  });
});

describe('browser-side helpers', () => {
  it('fromImageData wraps RGBA without copying; dropping alpha equals preprocessing the RGB image', () => {
    const rgba = new Uint8ClampedArray(5 * 3 * 4).map((_, i) => (i * 37) % 256);
    const wrapped = fromImageData({ data: rgba, width: 5, height: 3 });
    expect(wrapped.data).toBe(rgba);
    expect(wrapped.channels).toBe(4);
    const rgb = fromImageData({ data: rgba, width: 5, height: 3 }, { alpha: 'drop' });
    expect(rgb.channels).toBe(3);
    const cfg: PretrainedCfg = { input_size: [3, 4, 4], crop_pct: 1 };
    expect(preprocess(wrapped, cfg)).toEqual(preprocess(rgb, cfg));
    expect(() => fromImageData({ data: rgba.subarray(1), width: 5, height: 3 })).toThrow(ImageError);
  });

  it('toRgb replicates grey like PIL convert("RGB")', () => {
    expect(Array.from(toRgb({ data: Uint8Array.from([7, 200]), width: 2, height: 1, channels: 1 }).data)).toEqual([7, 7, 7, 200, 200, 200]);
    expect(Array.from(toRgb({ data: Uint8Array.from([7, 0, 200, 255]), width: 2, height: 1, channels: 2 }).data)).toEqual([7, 7, 7, 200, 200, 200]);
  });

  it('stackBatch builds NCHW in order and checks sizes', () => {
    const a = new Float32Array([1, 2, 3, 4]);
    const b = new Float32Array([5, 6, 7, 8]);
    const batch = stackBatch([a, b], [1, 2, 2]);
    expect(batch.shape).toEqual([2, 1, 2, 2]);
    expect(Array.from(batch.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(() => stackBatch([a, new Float32Array(3)], [1, 2, 2])).toThrow(InputError);
    expect(() => stackBatch([], [1, 2, 2])).toThrow(InputError);
  });

  it('golden inputs rebuild as one batch from preprocessed photos', () => {
    for (const gc of goldenCases().filter((g: GoldenCase) => PHOTO_TENSORS.every((n) => g.has(n)))) {
      const [, c, h, w] = gc.shape('input');
      const sources = gc.expected.tensors.get('source_u8')!;
      const xs = Array.from({ length: sources.shape[0] }, (_, k) => preprocess(u8At(sources, k), gc.config.pretrained_cfg));
      const batch = stackBatch(xs, [c, h, w]);
      const idx = toIntArray(gc.expected.tensors.get('photo_batch_index')!);
      const input = gc.f32('input');
      idx.forEach((b, k) => expect(mismatches(batch.data.subarray(k * c * h * w, (k + 1) * c * h * w), input.subarray(b * c * h * w, (b + 1) * c * h * w))).toBe(0));
    }
  });
});

describe('describePreprocessing: where the model\'s view lies in the original, and what changed', () => {
  /** R = x, G = y: with nearest resizing every output pixel names the source pixel it came from. */
  const coordinates = (w: number, h: number): RawImage => {
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x, y, 7], (y * w + x) * 3);
    return { data, width: w, height: h, channels: 3 };
  };

  it('the view rectangle is where resizeAndCrop samples from (nearest resize, centre crop)', () => {
    const cfg: PretrainedCfg = { input_size: [3, 32, 32], interpolation: 'nearest', crop_pct: 0.875 };
    for (const [w, h] of [[200, 120], [90, 250], [37, 37]]) {
      const img = coordinates(w, h);
      const d = describePreprocessing(img, cfg);
      const out = resizeAndCrop(img, cfg);
      for (let j = 0; j < 32; j++) {
        // Output pixel j shows the source pixel under its centre, within one pixel (Pillow's
        // nearest rounds at exact pixel boundaries its own way).
        expect(Math.abs(out.data[j * 3] - Math.floor(d.view.left + ((j + 0.5) * d.view.width) / 32))).toBeLessThanOrEqual(1);
        expect(Math.abs(out.data[j * 32 * 3 + 1] - Math.floor(d.view.top + ((j + 0.5) * d.view.height) / 32))).toBeLessThanOrEqual(1);
      }
      expect(d.cropped).toBe(true); // crop_pct 0.875 always cuts something
      expect(d.padded).toBe(false);
      expect(d.notes.some((n) => n.startsWith('cropped:'))).toBe(true);
    }
  });

  it('a model-sized image with crop_pct 1 is used as is; squash and border say so', () => {
    const img = coordinates(28, 28);
    expect(describePreprocessing(img, { input_size: [3, 28, 28], crop_pct: 1 })).toMatchObject({ cropped: false, padded: false, squashed: false, view: { left: 0, top: 0, width: 28, height: 28 } });
    const squash = describePreprocessing(coordinates(60, 30), { input_size: [3, 28, 28], crop_pct: 1, crop_mode: 'squash' });
    expect(squash).toMatchObject({ cropped: false, squashed: true });
    const border = describePreprocessing(coordinates(60, 30), { input_size: [3, 28, 28], crop_pct: 1, crop_mode: 'border' });
    expect(border.padded).toBe(true);
    expect(border.view.top).toBeLessThan(0);
    expect(border.notes.some((n) => n.startsWith('padded'))).toBe(true);
  });

  it('grey conversion and transparency are reported only when they change something', () => {
    const grey1 = { input_size: [1, 28, 28], crop_pct: 1, mean: [0.5], std: [0.5] };
    const colour = coordinates(28, 28);
    expect(describePreprocessing(colour, grey1).toGrey).toBe(true);
    const greyRgb: RawImage = { data: new Uint8Array(28 * 28 * 3).fill(90), width: 28, height: 28, channels: 3 };
    expect(describePreprocessing(greyRgb, grey1).toGrey).toBe(false);
    const rgba: RawImage = { data: new Uint8Array(28 * 28 * 4).fill(255), width: 28, height: 28, channels: 4 };
    expect(describePreprocessing(rgba, grey1).transparency).toBe(false);
    rgba.data[3] = 0;
    const d = describePreprocessing(rgba, grey1, { flattenedOnto: 255 });
    expect(d.transparency).toBe(true);
    expect(d.notes[0]).toBe('transparent areas flattened onto white');
  });

  it('flattenAlpha composites onto the background and drops the alpha channel', () => {
    const img: RawImage = { data: new Uint8Array([10, 20, 30, 255, 10, 20, 30, 0, 200, 100, 0, 51]), width: 3, height: 1, channels: 4 };
    const { image, hadTransparency } = flattenAlpha(img, 255);
    expect(hadTransparency).toBe(true);
    expect(image.channels).toBe(3);
    // alpha 51 = 0.2: 0.2 * 200 + 0.8 * 255 = 244, 0.2 * 100 + 204 = 224, 0 + 204 = 204
    expect(Array.from(image.data)).toEqual([10, 20, 30, 255, 255, 255, 244, 224, 204]);
    expect(flattenAlpha(toRgb(img)).hadTransparency).toBe(false);
  });
});
