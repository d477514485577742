/**
 * `vitlens explain` end to end on the bundled model: the pictures and the report exist, decode,
 * and have the sizes asked for; bad input exits non-zero with one clear line.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { METHODS } from '../../src/explain/registry.js';
import { decodeImage } from '../../src/io/decode-node.js';
import { readPngText } from '../../src/render/png-text.js';
import { encodePng } from '../../src/io/encode-node.js';
import { repoRoot, runCli, type CliResult } from '../helpers/cli.js';

const images = ['assets/images/1-trouser.png', 'assets/images/7-sneaker.png'];

describe('vitlens explain on the bundled model', () => {
  const out = mkdtempSync(join(tmpdir(), 'vitlens-explain-'));
  let r: CliResult;
  let summary: {
    report: string;
    adapter: string;
    images: { image: string; predictions: { classId: number }[]; files: string[]; maps: { file: string; method: string; class?: number; signed: boolean; colormap: string; range: [number, number]; empty?: string }[] }[];
  };

  beforeAll(async () => {
    r = await runCli(['explain', ...images, '--out', out, '--size', '112', '--class', 'top2', '--concept', 'assets/images/9-ankle-boot.png', '--colormap', 'viridis', '--json']);
    summary = JSON.parse(r.stdout);
  }, 180_000);

  it('exits 0 and reports progress per method on stderr', () => {
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^forward {2}\d+ ms/m);
    for (const m of METHODS) expect(r.stderr).toContain(`${m.name} (`);
  });

  it('writes one picture per image, method and class, each a 112x112 PNG', () => {
    expect(summary.images.map((i) => i.image)).toEqual(images);
    for (const img of summary.images) {
      const [top1, top2] = img.predictions.map((p) => p.classId);
      const names = img.files.map((f) => f.split('/').pop());
      for (const m of METHODS) {
        if (m.classSpecific) expect(names).toEqual(expect.arrayContaining([`${m.name}-class${top1}.png`, `${m.name}-class${top2}.png`]));
        else expect(names).toContain(`${m.name}.png`);
      }
      expect(names).toEqual(expect.arrayContaining(['input.png', 'cdam-concept.png', 'attention-grid.png']));
      for (const f of img.files) {
        const png = decodeImage(new Uint8Array(readFileSync(f)), f);
        if (!f.endsWith('attention-grid.png')) expect([png.width, png.height, png.channels], f).toEqual([112, 112, 3]);
      }
    }
  });

  it('lists every picture in summary.json with its colour map (by signedness), value range, and PNG metadata to match', () => {
    for (const img of summary.images) {
      expect(img.maps.map((m) => m.file).sort()).toEqual(img.files.filter((f) => !/(input|attention-grid)\.png$/.test(f)).sort());
      for (const m of img.maps) {
        // --colormap viridis recolours unsigned maps only; signed ones stay diverging.
        expect(m.colormap, m.method).toBe(m.signed ? 'rdbu' : 'viridis');
        if (m.signed && !m.empty) expect(m.range[0]).toBe(-m.range[1]);
        const text = readPngText(new Uint8Array(readFileSync(m.file)));
        const { file, ...entry } = m;
        expect(JSON.parse(text['vitlens:map']), file).toEqual(entry);
        if (m.empty) expect(text.Description).toBe(m.empty);
        else expect(text.Description).toContain(`colour map ${m.colormap}`);
      }
    }
  });

  it('writes a self-contained report naming every method, the classes and the adapter', () => {
    const html = readFileSync(summary.report, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    for (const m of METHODS) expect(html).toContain(m.title.replace(/&/g, '&amp;'));
    expect(html).toContain('Trouser');
    expect(html).toContain(summary.adapter);
    expect(html).toContain('Timings');
    // Offline: nothing is fetched from anywhere.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toContain('<script');
    const inline = html.match(/src="data:image\/png;base64,/g) ?? [];
    expect(inline.length).toBeGreaterThan(2 * METHODS.length);
    // Overview on top, concept maps in their own group named after the concept, truthful settings.
    expect(html).toContain('id="overview"');
    expect(html).toContain('Concept “9-ankle-boot”');
    expect(html).toMatch(/<h3>Concept “9-ankle-boot”<small>[^<]*<\/small><\/h3><div class="panels"><figure class="panel" title="CDAM towards/);
    expect(html).toContain('viridis (unsigned maps), rdbu (signed maps');
  });

  it('says on the tile, in the PNG and in summary.json when a map is empty (GradCAM of a blank image)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitlens-empty-'));
    const white = join(dir, 'white.png');
    writeFileSync(white, encodePng({ data: new Uint8Array(28 * 28).fill(255), width: 28, height: 28, channels: 1 }));
    // On the bundled model, GradCAM for class 1 of an all-white image is ≤ 0 everywhere before its ReLU.
    const res = await runCli(['explain', white, '--method', 'gradcam', '--class', '1', '--size', '224', '--no-attention', '--out', join(dir, 'out'), '--json']);
    expect(res.code, res.stderr).toBe(0);
    const [entry] = JSON.parse(res.stdout).images[0].maps;
    expect(entry.empty).toMatch(/^empty: every value ≤ 0 before the ReLU \(raw -[\d.e-]+ … -[\d.e-]+\)$/);
    const png = new Uint8Array(readFileSync(entry.file));
    expect(readPngText(png).Description).toBe(entry.empty);
    const tile = decodeImage(png, entry.file);
    let coloured = 0;
    for (let i = 0; i < tile.data.length; i += 3) if (tile.data[i] !== tile.data[i + 1] || tile.data[i + 1] !== tile.data[i + 2]) coloured++;
    expect(coloured).toBe(0);
    const html = readFileSync(join(dir, 'out', 'report.html'), 'utf8');
    expect(html).toContain(entry.empty);
  }, 60_000);
});

describe('vitlens explain on models without a classifier or a class token', () => {
  it('leaves out, with a note, the methods such a model cannot run', async () => {
    const out = mkdtempSync(join(tmpdir(), 'vitlens-variants-'));
    const noCls = await runCli(['explain', images[0], '--model', join(repoRoot, 'test/fixtures/golden-variants/avgpool_fcnorm_noclass'), '--out', out, '--size', '32', '--json']);
    expect(noCls.code, noCls.stderr).toBe(0);
    expect(noCls.stderr).toMatch(/skipping attention, rollout.*: it has no class token/);
    const names = JSON.parse(noCls.stdout).images[0].files.map((f: string) => f.split('/').pop());
    expect(names).toEqual(expect.arrayContaining(['cdam-class' + JSON.parse(noCls.stdout).images[0].predictions[0].classId + '.png']));
    expect(names.some((n: string) => n.startsWith('rollout'))).toBe(false);
  }, 60_000);
});

describe('vitlens explain: bad input gives one clear line and a non-zero exit', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'vitlens-bad-'));
  const oneLine = (res: CliResult, code: number, pattern: RegExp) => {
    expect(res.code, res.stderr).toBe(code);
    const lines = res.stderr.split('\n').filter(Boolean);
    expect(lines, res.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^vitlens explain: /);
    expect(lines[0]).toMatch(pattern);
  };

  it('missing image file', async () => {
    oneLine(await runCli(['explain', join(tmp, 'nope.png'), '--out', tmp]), 1, /nope\.png: no such file/);
  });

  it('unreadable image', async () => {
    const bad = join(tmp, 'broken.png');
    writeFileSync(bad, 'this is not a picture');
    oneLine(await runCli(['explain', bad, '--out', tmp]), 1, /broken\.png: not a PNG or JPEG/);
  });

  it('unknown method', async () => {
    oneLine(await runCli(['explain', images[0], '--method', 'rollout,lime', '--out', tmp]), 2, /unknown method "lime"/);
  });

  it('class id out of range (a usage error: the command line names it)', async () => {
    oneLine(await runCli(['explain', images[0], '--class', '10', '--method', 'cdam', '--out', tmp]), 2, /class id 10 is out of range: this model has 10 classes \(0\.\.9\)/);
  });

  it('model folder without weights', async () => {
    const dir = join(tmp, 'no-weights');
    mkdirSync(dir);
    copyFileSync(join(repoRoot, 'assets/fmnist-vit/config.json'), join(dir, 'config.json'));
    oneLine(await runCli(['explain', images[0], '--model', dir, '--out', tmp]), 1, /has no model\.safetensors/);
  });

  it('a class-specific method on a feature model (no classifier)', async () => {
    const model = join(repoRoot, 'test/fixtures/golden-variants/features_only');
    oneLine(await runCli(['explain', images[0], '--model', model, '--method', 'cdam', '--out', tmp]), 1, /cdam need class scores, but .* has no classifier/);
  });

  it('unknown option', async () => {
    oneLine(await runCli(['explain', '--colour', 'red']), 2, /unknown option --colour/);
  });

  it('writes nothing for a failed run', () => {
    expect(existsSync(join(tmp, 'report.html'))).toBe(false);
  });
});
