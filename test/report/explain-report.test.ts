/**
 * The explanation report without a GPU: the overview (image x method thumbnails linking to each
 * image's section, or to its PNG past the detail limit), the legend and settings at the top, and
 * the bounds that keep a page of many images small: sections up to the detail limit, pictures
 * inlined up to a byte budget and linked as files after it.
 */
import { describe, expect, it } from 'vitest';
import { encodePng } from '../../src/io/encode-node.js';
import { overlayMap } from '../../src/render/picture.js';
import { ExplainReportBuilder, renderExplainReport, type ReportImage } from '../../src/report/explain-report.js';

const meta = { model: 'toy', adapter: 'cpu', created: '2026-12-01T00:00:00Z', settings: [['colour maps', 'turbo (unsigned maps), rdbu (signed maps)']] as [string, string][], timings: [['total', 12]] as [string, number][] };

/** A 28x28 image with a ramp, and a signed and an unsigned map on a 7x7 grid. */
function image(i: number): ReportImage {
  const input = { data: Uint8Array.from({ length: 28 * 28 }, (_, k) => (k * 7 + i * 13) % 256), width: 28, height: 28, channels: 1 };
  const ramp = Float32Array.from({ length: 49 }, (_, k) => Math.sin(k + i));
  const panel = (method: string, signed: boolean, map: Float32Array) => ({ method, title: method.toUpperCase(), picture: overlayMap(input, map, [7, 7], signed, { size: 112 }), signed, file: `im${i}/${method}.png` });
  return {
    name: `im${i}`,
    input,
    inputFile: `im${i}/input.png`,
    predictions: [{ classId: 1, label: 'Trouser', prob: 0.9, logit: 3 }],
    rows: [
      { label: 'Class-independent', detail: 'attention-based maps', panels: [panel('rollout', false, ramp.map(Math.abs))] },
      { label: 'Concept “stripes”', panels: [panel('cdam-concept', true, ramp)] },
      { label: 'Class 1 · Trouser', panels: [panel('cdam', true, ramp), panel('gradcam', false, new Float32Array(49))] },
    ],
  };
}

const count = (html: string, re: RegExp) => (html.match(re) ?? []).length;

describe('explanation report', () => {
  it('puts the legend, the settings and an overview with links to each section at the top', () => {
    const html = renderExplainReport({ ...meta, images: [image(0), image(1)] }, encodePng);
    const overview = html.indexOf('id="overview"');
    expect(html.indexOf('Legend')).toBeGreaterThan(0);
    expect(html.indexOf('Legend')).toBeLessThan(overview);
    expect(html.indexOf('Settings')).toBeLessThan(overview);
    expect(overview).toBeLessThan(html.indexOf('id="img-0"'));
    // Each image's row: name, input and 4 thumbnails, each linking to its section.
    expect(count(html, /href="#img-0"/g)).toBe(1 + 1 + 4);
    expect(count(html, /href="#img-1"/g)).toBe(6);
    // Concept maps have their own group named after the concept.
    expect(html).toContain('Concept “stripes”');
    // Pictures are shown pixel for pixel; the empty GradCAM map says so instead of a colour bar.
    expect(html).toContain('image-rendering:pixelated');
    expect(html).toContain('constant map: value 0');
    expect(count(html, /class="section|<section class="image"/g)).toBe(2);
  });

  it('keeps sections to the detail limit and links the other images to their PNGs', () => {
    const b = new ExplainReportBuilder(encodePng, { detailLimit: 1 });
    for (let i = 0; i < 3; i++) b.add(image(i));
    const html = b.html(meta);
    expect(count(html, /<section class="image"/g)).toBe(1);
    expect(html).toContain('href="im2/cdam.png"');
    expect(html).toContain('Sections for the first 1 of 3 images');
  });

  it('stays bounded: past the inline budget, pictures are linked files, and the page grows by HTML only', () => {
    const images = Array.from({ length: 4 }, (_, i) => image(i));
    const size = (n: number, budget: number) => {
      const b = new ExplainReportBuilder(encodePng, { inlineBudget: budget });
      for (let i = 0; i < n; i++) b.add({ ...images[i % 4], name: `im${i}` });
      return b.html(meta);
    };
    const inline = size(4, Infinity);
    expect(inline).not.toMatch(/src="im\d/);
    const small = size(4, 20_000);
    expect(small).toMatch(/src="im3\/cdam\.png"/);
    expect(small).toContain('keep the folder together');
    expect(small.length).toBeLessThan(inline.length);
    // Past the budget each further image adds only markup: well under its pictures' size.
    const perImage = (size(12, 20_000).length - size(8, 20_000).length) / 4;
    expect(perImage).toBeLessThan(8_000);
    expect(inline.length / 4).toBeGreaterThan(3 * perImage);
  });
});
