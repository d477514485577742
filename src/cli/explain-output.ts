/**
 * What `vitlens explain` writes for each image: its PNGs (each with its metadata: method, class,
 * value range, or why the map is empty), its entries in summary.json and its part of
 * report.html. Images are handed over one at a time and their pixels are not kept: the report
 * keeps HTML (bounded, see report/explain-report.ts), summary.json a few numbers per picture.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExplanationMaps } from '../explain/maps.js';
import { encodePng } from '../io/encode-node.js';
import type { RawImage, RgbImage } from '../io/image.js';
import { classNames } from '../model/class-names.js';
import type { Prediction } from '../model/predict.js';
import type { VisionTransformer } from '../model/vit.js';
import { colormapFor } from '../render/colormap.js';
import { formatValue } from '../render/map-status.js';
import { attentionTiles, displaySize, overlayMap, scaleImage, tileImages, type MapPicture, type PictureOptions } from '../render/picture.js';
import { withPngText } from '../render/png-text.js';
import { ExplainReportBuilder, type ReportMeta, type ReportPanel, type ReportRow } from '../report/explain-report.js';

export interface MethodRun {
  method: { name: string; title: string; description: string; classSpecific: boolean };
  maps: ExplanationMaps;
  /** A row of its own in the report (concept CDAM: the concept's name); default: by class-specificity. */
  group?: { label: string; detail?: string };
}

/** One picture as summary.json lists it. */
export interface MapEntry {
  file: string;
  method: string;
  class?: number;
  signed: boolean;
  colormap: string;
  /** The values at the two ends of the colour map; for an empty map its finite range. */
  range: [number, number];
  /** Present when the map had nothing to draw: why ("constant map: value 0", "empty: every value ≤ 0 before the ReLU …"). */
  empty?: string;
  /** The map's range before the method's ReLU, when that is why it is empty. */
  rawRange?: [number, number];
  /** NaN or infinite values in the map, when there are any. */
  nonFinite?: number;
}

export interface Written {
  image: string;
  predictions: Prediction[];
  files: string[];
  maps: MapEntry[];
}

const slug = (s: string) => s.replace(/[^\w.-]+/g, '_');

/**
 * The map before the method's ReLU, where the method returns it as an extra: GradCAM's `raw`
 * (signed weighted sum of activations) says whether an all-zero map means "every value ≤ 0".
 */
function beforeRelu(maps: ExplanationMaps, t: number, b: number): Float32Array | undefined {
  const raw = (maps as ExplanationMaps & { raw?: ExplanationMaps | Float32Array[][] }).raw;
  const rows = Array.isArray(raw) ? raw : raw?.maps;
  return rows?.[t]?.[b];
}

function classLabel(model: VisionTransformer, id: number, pred: Prediction[]): { label: string; detail: string } {
  const name = classNames(model.config)?.[id];
  const p = pred.find((q) => q.classId === id);
  return { label: `Class ${id}${name ? ` · ${name}` : ''}`, detail: p ? `${(100 * p.prob).toFixed(1)} %` : '' };
}

/** The PNG metadata of a map picture (iTXt: Title, Description, and the summary entry as JSON). */
function pictureText(title: string, entry: Omit<MapEntry, 'file'>, p: MapPicture): Record<string, string> {
  const description = p.status.empty ? p.status.note! : `${entry.signed ? 'signed' : 'unsigned'} map, colour map ${p.colormap} from ${formatValue(p.range[0])} to ${formatValue(p.range[1])}`;
  return { Title: title, Description: description, Software: 'vitlens', 'vitlens:map': JSON.stringify(entry) };
}

export interface ExplainOutputOptions {
  outDir: string;
  model: VisionTransformer;
  pictures: PictureOptions;
  /** Images with a section in report.html (the overview lists all). */
  reportLimit: number;
}

export class ExplainOutput {
  readonly written: Written[] = [];
  private readonly report: ExplainReportBuilder;
  /** Each picture is written to disk and inlined in the report: encode it once. */
  private readonly pngs = new WeakMap<RawImage, Uint8Array>();
  private readonly png = (img: RawImage) => {
    let bytes = this.pngs.get(img);
    if (!bytes) this.pngs.set(img, (bytes = encodePng(img)));
    return bytes;
  };

  constructor(private readonly o: ExplainOutputOptions) {
    this.report = new ExplainReportBuilder(this.png, { detailLimit: o.reportLimit });
  }

  /** Writes image b of a batch: input.png, one PNG per method (and class), attention-grid.png. */
  addImage(path: string, stem: string, view: RawImage, runs: MethodRun[], ids: number[][], b: number, pred: Prediction[], attention?: { perHead: Float32Array[][]; grid: [number, number] }): void {
    const { model, outDir } = this.o;
    const dir = join(outDir, stem);
    mkdirSync(dir, { recursive: true });
    const files: string[] = [];
    const maps: MapEntry[] = [];
    const save = (name: string, img: RawImage, text?: Record<string, string>) => {
      const bytes = this.png(img);
      writeFileSync(join(dir, name), text ? withPngText(bytes, text) : bytes);
      files.push(join(dir, name));
      return `${stem}/${name}`;
    };
    const [W, H] = displaySize(view.width, view.height, this.o.pictures.size);
    const input = scaleImage(view, W, H);
    const inputFile = save('input.png', input, { Title: 'the input as the model saw it (after resize and crop), enlarged nearest-neighbour', Software: 'vitlens' });
    const [ph, pw] = model.config.patchSize;
    const grid = runs[0]?.maps.grid ?? model.gridFor(view.height, view.width);
    const pictureOpts: PictureOptions = { ...this.o.pictures, mapArea: [grid[0] * ph, grid[1] * pw] };
    const independent: ReportPanel[] = [];
    const groups = new Map<string, ReportRow>();
    const perClass: ReportPanel[][] = ids.map(() => []);
    for (const { method, maps: m, group } of runs) {
      const rows = method.classSpecific ? m.maps : [m.maps[0]];
      rows.forEach((row, t) => {
        const picture = overlayMap(view, row[b], m.grid, m.signed, { ...pictureOpts, beforeRelu: beforeRelu(m, t, b) });
        const classId = method.classSpecific ? m.classes?.[t]?.[b] : undefined;
        const name = classId !== undefined ? `${slug(method.name)}-class${classId}.png` : `${slug(method.name)}.png`;
        const { status } = picture;
        const entry: Omit<MapEntry, 'file'> = {
          method: method.name,
          ...(classId !== undefined && { class: classId }),
          signed: m.signed,
          colormap: colormapFor(m.signed, this.o.pictures.colormap),
          range: picture.range,
          ...(status.empty && { empty: status.note }),
          ...(status.rawRange && { rawRange: status.rawRange }),
          ...(status.nonFinite > 0 && { nonFinite: status.nonFinite }),
        };
        const label = classId !== undefined ? classNames(model.config)?.[classId] : undefined;
        const title = `${method.title}${classId !== undefined ? `, class ${classId}${label ? ` (${label})` : ''}` : ''}`;
        const file = save(name, picture.image, pictureText(title, entry, picture));
        maps.push({ file: join(dir, name), ...entry });
        const p: ReportPanel = { method: method.name, title: method.title, description: method.description, picture, signed: m.signed, file };
        if (group) {
          const row = groups.get(group.label) ?? { ...group, panels: [] };
          row.panels.push(p);
          groups.set(group.label, row);
        } else (method.classSpecific ? perClass[t] : independent).push(p);
      });
    }
    let tiles: RgbImage[][] | undefined;
    let attentionFile: string | undefined;
    if (attention) {
      tiles = attentionTiles(view, attention.perHead, attention.grid, pictureOpts);
      attentionFile = save('attention-grid.png', tileImages(tiles, 3));
    }
    this.written.push({ image: path, predictions: pred, files, maps });
    this.report.add({
      name: stem,
      input,
      inputFile,
      predictions: pred,
      rows: [{ label: 'Class-independent', detail: 'attention-based maps', panels: independent }, ...groups.values(), ...perClass.map((panels, t) => ({ ...classLabel(model, ids[t][b], pred), group: ids.length > 1 ? `explained class #${t + 1}` : 'explained class', panels }))],
      attention: tiles,
      attentionFile,
    });
  }

  /** Writes report.html and summary.json; returns the report's path and the summary's text. */
  finish(meta: ReportMeta, extra: Record<string, unknown>): { reportPath: string; summary: string } {
    const reportPath = join(this.o.outDir, 'report.html');
    writeFileSync(reportPath, this.report.html(meta));
    const summary = JSON.stringify({ report: reportPath, out: this.o.outDir, model: meta.model, adapter: meta.adapter, images: this.written, ...extra }, null, 2);
    writeFileSync(join(this.o.outDir, 'summary.json'), summary);
    return { reportPath, summary };
  }
}

/** The concept's name for the report: the folder's name, or the example files' names. */
export function conceptName(paths: readonly string[], files: readonly string[]): string {
  const strip = (p: string) => p.replace(/[/\\]+$/, '').split(/[/\\]/).pop()!.replace(/\.[^.]+$/, '');
  if (paths.length === 1 && files.length !== 1) return strip(paths[0]);
  const names = files.map(strip);
  return names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
}
