/**
 * Pictures: colour-map tables at their published control points, a rendered map checked pixel by
 * pixel, overlay blending, PNG round trips, and the report page's building blocks.
 */
import { describe, expect, it } from 'vitest';
import { colorAt, colormap, cssGradient } from '../../src/render/colormap.js';
import { decodeImage } from '../../src/io/decode-node.js';
import { encodePng } from '../../src/io/encode-node.js';
import { attentionGridPicture, displaySize, heatmapImage, mapRange, overlayMap, tileImages, toImageData } from '../../src/render/picture.js';
import { base64, escapeHtml } from '../../src/report/html.js';

const hex = (rgb: number[]) => rgb.map((v) => v.toString(16).padStart(2, '0')).join('');
const grey = (w: number, h: number, v: number) => ({ data: new Uint8Array(w * h).fill(v), width: w, height: h, channels: 1 });

describe('colour maps', () => {
  it('hit the published colours at their ends and centre', () => {
    // matplotlib viridis entries 0, 128, 255; Turbo entries 0 and 255; ColorBrewer RdBu ends and centre.
    expect(hex(colorAt(colormap('viridis'), 0))).toBe('440154');
    expect(hex(colorAt(colormap('viridis'), 128 / 255))).toBe('21918c');
    expect(hex(colorAt(colormap('viridis'), 1))).toBe('fde725');
    expect(hex(colorAt(colormap('turbo'), 0))).toBe('30123b');
    expect(hex(colorAt(colormap('turbo'), 1))).toBe('7a0403');
    expect(hex(colorAt(colormap('rdbu'), 0))).toBe('053061');
    expect(hex(colorAt(colormap('rdbu'), 0.5))).toBe('f7f7f7');
    expect(hex(colorAt(colormap('rdbu'), 1))).toBe('67001f');
    expect(hex(colorAt(colormap('gray'), 0.5))).toBe('808080');
  });

  it('clamp out-of-range values and give the middle colour for NaN', () => {
    const m = colormap('viridis');
    expect(colorAt(m, -3)).toEqual(colorAt(m, 0));
    expect(colorAt(m, 7)).toEqual(colorAt(m, 1));
    expect(colorAt(m, NaN)).toEqual(colorAt(m, 128 / 255));
  });

  it('refuse unknown names', () => {
    expect(() => colormap('jet' as never)).toThrow(/unknown colour map "jet"/);
  });

  it('give a CSS gradient from the low to the high colour', () => {
    const g = cssGradient(colormap('viridis'), 4);
    expect(g.startsWith('linear-gradient(to right, rgb(68,1,84) 0.0%')).toBe(true);
    expect(g.endsWith('rgb(253,231,37) 100.0%)')).toBe(true);
  });
});

describe('rendering a known map', () => {
  it('maps min, middle and max of an unsigned map to the ends and centre of the colour map', () => {
    // A 1x3 map drawn with nearest sampling at 3x1 pixels: one pixel per value.
    const pic = heatmapImage([2, 3, 4], [1, 3], false, 3, 1, { nearest: true, colormap: 'viridis' });
    expect(pic.range).toEqual([2, 4]);
    const px = (i: number) => hex(Array.from(pic.image.data.subarray(i * 3, i * 3 + 3)));
    expect([px(0), px(1), px(2)]).toEqual(['440154', hex(colorAt(colormap('viridis'), 0.5)), 'fde725']);
  });

  it('centres signed maps on zero with a symmetric range', () => {
    expect(mapRange([-1, 0.25, 3], true)).toEqual([-3, 3]);
    const pic = heatmapImage([-2, 0, 1], [1, 3], true, 3, 1, { nearest: true });
    const px = (i: number) => hex(Array.from(pic.image.data.subarray(i * 3, i * 3 + 3)));
    expect(pic.colormap).toBe('rdbu');
    expect([px(0), px(1)]).toEqual(['053061', 'f7f7f7']);
    expect(px(2)).toBe(hex(colorAt(colormap('rdbu'), 0.75)));
  });

  it('blends over the image: full opacity at the maximum, the image itself where a signed map is zero', () => {
    const base = grey(4, 4, 100);
    const up = overlayMap(base, [1, 1, 1, 1], [2, 2], false, { size: 4, alpha: 0.5, colormap: 'gray', range: [0, 1] });
    // gray at t = 1 is white; unsigned opacity at t = 1 is alpha: 100 * 0.5 + 255 * 0.5.
    expect(Array.from(up.image.data.subarray(0, 3))).toEqual([178, 178, 178]);
    const zero = overlayMap(base, [0, 0, 0, 0], [2, 2], true, { size: 4 });
    expect(zero.image.data.every((v) => v === 100)).toBe(true);
  });

  it('upsamples bilinearly between patch centres', () => {
    // 1x2 map [0, 1] at width 4: bilinear (align_corners=False) samples 0, 0.25, 0.75, 1.
    const pic = heatmapImage([0, 1], [1, 2], false, 4, 1, { colormap: 'gray' });
    expect(Array.from({ length: 4 }, (_, i) => pic.image.data[i * 3])).toEqual([0, 64, 191, 255]);
  });

  it('leaves pixels outside the patch grid uncoloured', () => {
    const base = grey(5, 4, 50);
    // Patch 2: the grid covers 4x4 of the 5x4 image; column 4 is dropped by the patch embedding.
    const pic = overlayMap(base, [1, 1, 1, 1], [2, 2], false, { size: 5, alpha: 1, colormap: 'gray', range: [0, 1], mapArea: [4, 4] });
    expect(pic.image.data[(0 * 5 + 4) * 3]).toBe(50);
    expect(pic.image.data[(0 * 5 + 3) * 3]).toBe(255);
  });

  it('sizes pictures by their longer side and refuses bad sizes and shapes', () => {
    expect(displaySize(28, 28)).toEqual([224, 224]);
    expect(displaySize(640, 480, 320)).toEqual([320, 240]);
    expect(() => displaySize(10, 10, 0)).toThrow(/positive integer/);
    expect(() => overlayMap(grey(4, 4, 0), [1, 2, 3], [2, 2], false)).toThrow(/2x2 grid needs 4 values, got 3/);
  });

  it('tiles attention grids: blocks as rows, heads plus their mean as columns', () => {
    const perHead = [[[0, 1, 0, 1], [1, 0, 1, 0]], [[0, 0, 1, 1], [1, 1, 0, 0]], [[1, 1, 1, 1], [0, 1, 2, 3]]];
    const grid = attentionGridPicture(grey(8, 8, 0), perHead, [2, 2], { tile: 10 });
    expect([grid.width, grid.height]).toEqual([3 * 10 + 4 * 3, 3 * 10 + 4 * 3]);
    expect(tileImages([[heatmapImage([0], [1, 1], false, 2, 2).image]], 1).width).toBe(4);
  });

  it('gives canvas RGBA data', () => {
    const d = toImageData(grey(2, 1, 9));
    expect(Array.from(d.data)).toEqual([9, 9, 9, 255, 9, 9, 9, 255]);
  });
});

describe('PNG and HTML pieces', () => {
  it('PNG encoding round-trips grey, grey+alpha, RGB and RGBA', () => {
    for (const channels of [1, 2, 3, 4]) {
      const img = { data: Uint8Array.from({ length: 7 * 5 * channels }, (_, i) => (i * 37) % 256), width: 7, height: 5, channels };
      const back = decodeImage(encodePng(img), 'roundtrip.png');
      expect([back.width, back.height, back.channels]).toEqual([7, 5, channels]);
      expect(Array.from(back.data)).toEqual(Array.from(img.data));
    }
  });

  it('base64 equals Node’s for every padding case', () => {
    for (let n = 0; n < 12; n++) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 91 + 7) % 256);
      expect(base64(b)).toBe(Buffer.from(b).toString('base64'));
    }
  });

  it('escapes HTML', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
