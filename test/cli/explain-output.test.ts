/**
 * What `vitlens explain` writes per image, without a GPU: a GradCAM map that its ReLU emptied is
 * named as such (with the raw range) in summary.json, in the PNG's metadata and on the tile;
 * concept maps get their own report group named after the concept.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { conceptName, ExplainOutput, type MethodRun } from '../../src/cli/explain-output.js';
import { decodeImage } from '../../src/io/decode-node.js';
import type { VisionTransformer } from '../../src/model/vit.js';
import { readPngText } from '../../src/render/png-text.js';

/** Just what the output needs of a model: patch size, label names, the grid of an image. */
const model = { config: { patchSize: [4, 4], labelNames: ['T-shirt/top', 'Trouser'] }, gridFor: () => [7, 7] } as unknown as VisionTransformer;
const view = { data: Uint8Array.from({ length: 784 }, (_, i) => i % 200), width: 28, height: 28, channels: 1 };

describe('explain output', () => {
  it('says why an emptied GradCAM map is empty, with the raw range, in summary.json, the PNG and on the tile', () => {
    const out = mkdtempSync(join(tmpdir(), 'vitlens-output-'));
    const raw = Float32Array.from({ length: 49 }, (_, i) => -0.5 + i / 100);
    const gradcam = { method: 'gradcam', grid: [7, 7] as [number, number], maps: [[new Float32Array(49)]], signed: false, classes: [[1]], raw: { method: 'gradcam-raw', grid: [7, 7], maps: [[raw]], signed: true } };
    const concept = { method: 'cdam-concept', grid: [7, 7] as [number, number], maps: [[Float32Array.from({ length: 49 }, (_, i) => i - 24)]], signed: true };
    const runs: MethodRun[] = [
      { method: { name: 'gradcam', title: 'GradCAM', description: '', classSpecific: true }, maps: gradcam },
      { method: { name: 'cdam-concept', title: 'Concept CDAM', description: '', classSpecific: false }, maps: concept, group: { label: `Concept “${conceptName(['examples/stripes/'], ['examples/stripes/a.png', 'examples/stripes/b.png'])}”` } },
    ];
    const o = new ExplainOutput({ outDir: out, model, pictures: { size: 56 }, reportLimit: 10 });
    o.addImage('img.png', 'img', view, runs, [[1]], 0, [{ classId: 1, label: 'Trouser', prob: 0.9, logit: 2 }]);
    const { summary } = o.finish({ model: 'toy', adapter: 'none', created: '', settings: [], timings: [] }, {});
    const [entry, conceptEntry] = JSON.parse(summary).images[0].maps;
    const note = 'empty: every value ≤ 0 before the ReLU (raw -0.5 … -0.02)';
    expect(entry).toMatchObject({ method: 'gradcam', class: 1, empty: note, range: [0, 0] });
    expect(entry.rawRange[0]).toBeCloseTo(-0.5, 6);
    expect(entry.rawRange[1]).toBeCloseTo(-0.02, 6);
    const png = new Uint8Array(readFileSync(entry.file));
    expect(readPngText(png)).toMatchObject({ Title: 'GradCAM, class 1 (Trouser)', Description: note });
    const tile = decodeImage(png, entry.file);
    expect(tile.data.every((v, i) => v === tile.data[i - (i % 3)])).toBe(true); // grey only
    expect(conceptEntry).toMatchObject({ method: 'cdam-concept', colormap: 'rdbu', range: [-24, 24] });
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain(note);
    expect(html).toContain('<h3>Concept “stripes”</h3>');
  });

  it('names a concept by its folder, or by its files', () => {
    expect(conceptName(['examples/stripes/'], ['examples/stripes/a.png', 'examples/stripes/b.png'])).toBe('stripes');
    expect(conceptName(['a.png', 'dir/b.jpg'], ['a.png', 'dir/b.jpg'])).toBe('a, b');
    expect(conceptName(['x/1.png', '2.png', '3.png', '4.png', '5.png'], ['x/1.png', '2.png', '3.png', '4.png', '5.png'])).toBe('1, 2, 3 and 2 more');
  });
});
