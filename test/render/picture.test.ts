/**
 * Pictures: colour-map tables at their published control points, the colour map chosen by
 * signedness, a rendered map checked pixel by pixel, the one resampling rule (nearest-neighbour
 * blocks for input and map alike), constant-opacity blending, empty-map detection, PNG text
 * chunks, and the report page's building blocks.
 */
import { describe, expect, it } from 'vitest';
import { colorAt, colormap, colormapFor, cssGradient, describeColormaps } from '../../src/render/colormap.js';
import { mapStatus } from '../../src/render/map-status.js';
import { readPngText, withPngText } from '../../src/render/png-text.js';
import { decodeImage } from '../../src/io/decode-node.js';
import { encodePng } from '../../src/io/encode-node.js';
import { attentionGridPicture, displaySize, heatmapImage, mapRange, nearestIndex, overlayMap, scaleImage, tileImages, toImageData } from '../../src/render/picture.js';
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

  it('are chosen by signedness in one place: signed maps always diverging, a requested sequential map only recolours unsigned maps', () => {
    for (const asked of [undefined, 'viridis', 'turbo', 'gray'] as const) expect(colormapFor(true, asked)).toBe('rdbu');
    expect(colormapFor(true, 'rdbu')).toBe('rdbu');
    expect(colormapFor(false)).toBe('turbo');
    expect(colormapFor(false, 'viridis')).toBe('viridis');
    expect(colormapFor(false, 'gray')).toBe('gray');
    // A diverging map asked for names the signed maps' map; unsigned maps keep their default.
    expect(colormapFor(false, 'rdbu')).toBe('turbo');
    expect(describeColormaps('viridis')).toMatch(/^viridis \(unsigned maps\), rdbu \(signed maps/);
    // What is drawn follows the same rule.
    const base = grey(4, 4, 0);
    expect(overlayMap(base, [-1, 0, 1, 2], [2, 2], true, { colormap: 'viridis' }).colormap).toBe('rdbu');
    expect(overlayMap(base, [-1, 0, 1, 2], [2, 2], false, { colormap: 'viridis' }).colormap).toBe('viridis');
    expect(heatmapImage([-1, 1], [1, 2], true, 2, 1, { colormap: 'turbo' }).colormap).toBe('rdbu');
  });

  it('give a CSS gradient from the low to the high colour', () => {
    const g = cssGradient(colormap('viridis'), 4);
    expect(g.startsWith('linear-gradient(to right, rgb(68,1,84) 0.0%')).toBe(true);
    expect(g.endsWith('rgb(253,231,37) 100.0%)')).toBe(true);
  });
});

describe('rendering a known map', () => {
  it('maps min, middle and max of an unsigned map to the ends and centre of the colour map', () => {
    // A 1x3 map at 3x1 pixels: one pixel per value.
    const pic = heatmapImage([2, 3, 4], [1, 3], false, 3, 1, { colormap: 'viridis' });
    expect(pic.range).toEqual([2, 4]);
    const px = (i: number) => hex(Array.from(pic.image.data.subarray(i * 3, i * 3 + 3)));
    expect([px(0), px(1), px(2)]).toEqual(['440154', hex(colorAt(colormap('viridis'), 0.5)), 'fde725']);
  });

  it('centres signed maps on zero with a symmetric range', () => {
    expect(mapRange([-1, 0.25, 3], true)).toEqual([-3, 3]);
    const pic = heatmapImage([-2, 0, 1], [1, 3], true, 3, 1);
    const px = (i: number) => hex(Array.from(pic.image.data.subarray(i * 3, i * 3 + 3)));
    expect(pic.colormap).toBe('rdbu');
    expect([px(0), px(1)]).toEqual(['053061', 'f7f7f7']);
    expect(px(2)).toBe(hex(colorAt(colormap('rdbu'), 0.75)));
  });

  it('blends at one constant opacity over the grey input: no rims where a signed map crosses zero', () => {
    const base = grey(4, 4, 100);
    const up = overlayMap(base, [1, 1, 1, 1], [2, 2], false, { size: 4, alpha: 0.5, colormap: 'gray', range: [0, 1] });
    // gray at t = 1 is white: 100 * 0.5 + 255 * 0.5.
    expect(Array.from(up.image.data.subarray(0, 3))).toEqual([178, 178, 178]);
    // Signed, 1x4 map crossing zero: every pixel is the same blend of the grey image and the
    // value's colour (the old opacity ~ |value| dimmed the colour towards the image near zero).
    const values = [-1, -0.02, 0.02, 1];
    const pic = overlayMap(grey(4, 1, 100), values, [1, 4], true, { size: 4, alpha: 0.5 });
    values.forEach((v, i) => {
      const want = colorAt(colormap('rdbu'), (v + 1) / 2).map((c) => Math.round(100 * 0.5 + c * 0.5));
      expect(Array.from(pic.image.data.subarray(i * 3, i * 3 + 3)), `value ${v}`).toEqual(want);
    });
    // Colour of the input does not leak into the map's colours: the input is greyed first.
    const red = { data: new Uint8Array(4 * 3).fill(0).map((_, i) => (i % 3 === 0 ? 200 : 0)), width: 2, height: 2, channels: 3 };
    const onRed = overlayMap(red, [1, 1, 1, 2], [2, 2], false, { size: 2, alpha: 0.5, colormap: 'gray', range: [0, 2] });
    const l = Math.round((200 * 299) / 1000);
    expect(Array.from(onRed.image.data.subarray(0, 3))).toEqual([0, 1, 2].map(() => Math.round(l * 0.5 + 128 * 0.5)));
  });

  it('one resampling rule: the input and the map are enlarged nearest-neighbour onto the same pixel blocks', () => {
    // A 4x4 image (values 0..15) and a 2x2 patch map, shown at 8x8: every input pixel is a 2x2
    // block, every patch a 4x4 block, and patch edges fall on input pixel edges.
    const img = { data: Uint8Array.from({ length: 16 }, (_, i) => i * 16), width: 4, height: 4, channels: 1 };
    const big = scaleImage(img, 8, 8);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) expect(big.data[(y * 8 + x) * 3]).toBe(img.data[(y >> 1) * 4 + (x >> 1)]);
    const pic = overlayMap(grey(4, 4, 0), [0, 1, 2, 3], [2, 2], false, { size: 8, alpha: 1, colormap: 'gray', range: [0, 3] });
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        const patch = (y >> 2) * 2 + (x >> 2);
        expect(pic.image.data[(y * 8 + x) * 3], `pixel ${x},${y}`).toBe(colorAt(colormap('gray'), patch / 3)[0]);
      }
    }
    // Non-integer factors: display pixel i (centre (i + 0.5) * 3 / 7) shows the source pixel under its centre.
    expect([0, 1, 2, 3, 4, 5, 6].map((i) => nearestIndex(i, 7, 3))).toEqual([0, 0, 1, 1, 1, 2, 2]);
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

describe('empty maps', () => {
  it('are detected: all zero, constant, not finite; and after a ReLU that removed everything', () => {
    expect(mapStatus([0, 0, 0, 0])).toMatchObject({ empty: true, note: 'constant map: value 0', range: [0, 0] });
    expect(mapStatus([3.5, 3.5, 3.5])).toMatchObject({ empty: true, note: 'constant map: value 3.5' });
    expect(mapStatus([NaN, Infinity])).toMatchObject({ empty: true, note: 'no finite value (2 NaN or infinite)', nonFinite: 2 });
    expect(mapStatus([0, 0], { beforeRelu: [-0.5, -0.0125] })).toMatchObject({
      empty: true,
      note: 'empty: every value ≤ 0 before the ReLU (raw -0.5 … -0.0125)',
      rawRange: [-0.5, -0.0125],
    });
    // A raw map with a positive value was not emptied by the ReLU: then it is just constant.
    expect(mapStatus([0.2, 0.2], { beforeRelu: [0.2, 0.2] }).note).toBe('constant map: value 0.2');
    expect(mapStatus([0, 1, NaN])).toMatchObject({ empty: false, range: [0, 1], nonFinite: 1 });
    expect(mapStatus([1, 1 + 1e-9]).empty).toBe(true); // float noise
    expect(mapStatus([1, 1.001]).empty).toBe(false);
  });

  it('are drawn as the grey input with the reason written on the tile, not as a flat colour', () => {
    const base = grey(28, 28, 90);
    const pic = overlayMap(base, new Float32Array(49), [7, 7], false, { size: 224, beforeRelu: new Float32Array(49).fill(-1) });
    expect(pic.status.note).toMatch(/^empty: every value ≤ 0 before the ReLU/);
    const px = pic.image.data;
    let white = 0;
    for (let i = 0; i < px.length; i += 3) {
      expect(px[i] === px[i + 1] && px[i + 1] === px[i + 2], `pixel ${i / 3} is grey`).toBe(true);
      if (px[i] === 255) white++;
    }
    // The label: white glyph pixels on a dark band at the top.
    expect(white).toBeGreaterThan(200);
    expect(px[(10 * 224 + 0) * 3]).toBeLessThan(60);
    expect(pic.range).toEqual([0, 0]);
  });
});

describe('PNG and HTML pieces', () => {
  it('PNG text chunks carry UTF-8 metadata and leave the image decodable', () => {
    const img = { data: Uint8Array.from({ length: 5 * 4 * 3 }, (_, i) => i * 3), width: 5, height: 4, channels: 3 };
    const png = withPngText(encodePng(img), { Title: 'GradCAM, class 1', Description: 'empty: every value ≤ 0 before the ReLU' });
    expect(readPngText(png)).toEqual({ Title: 'GradCAM, class 1', Description: 'empty: every value ≤ 0 before the ReLU' });
    expect(Array.from(decodeImage(png, 'text.png').data)).toEqual(Array.from(img.data));
    expect(() => withPngText(new Uint8Array(40), {})).toThrow(/not a PNG/);
  });


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
