/**
 * The explainer's pictures, by vitlens' render rules (render/picture.ts): the model's input enlarged
 * nearest-neighbour, maps as one flat block per patch over a grey copy at one opacity, colours by
 * `colormapFor` (diverging for signed maps), empty maps hatched and labelled. Only your own image is
 * shown as a photo viewer would (smoothed when shrunk), with the part the model sees outlined.
 */
import type { RawAttention } from '../explain/attention.js';
import type { ExplanationMaps } from '../explain/maps.js';
import type { RawImage, RgbImage } from '../io/image.js';
import type { PreprocessSummary } from '../io/preprocess.js';
import { colormap, cssGradient } from '../render/colormap.js';
import { formatValue } from '../render/map-status.js';
import { attentionTiles, attentionTileSize, displaySize, heatmapImage, nearestIndex, overlayMap, scaleImage, toImageData, type MapPicture } from '../render/picture.js';
import { h, paint } from './dom.js';

/** Longer side of the three main pictures, and of the side-by-side tiles. */
export const VIEW_SIZE = 224;
export const TILE_SIZE = 140;

export type DisplayMode = 'overlay' | 'map' | 'image';

/** GradCAM's map before its ReLU, when the method returns it: says why an emptied map is empty. */
function beforeRelu(maps: ExplanationMaps): Float32Array | undefined {
  return (maps as ExplanationMaps & { raw?: Float32Array[][] }).raw?.[0][0];
}

/** Your image on `canvas` with the part the model sees dashed (when it does not see all of it). */
export function drawOriginal(canvas: HTMLCanvasElement, img: RawImage, summary: PreprocessSummary): void {
  const [W, H] = displaySize(img.width, img.height, VIEW_SIZE);
  const full = new OffscreenCanvas(img.width, img.height);
  full.getContext('2d')!.putImageData(new ImageData(toImageData(img).data, img.width, img.height), 0, 0);
  canvas.width = W;
  canvas.height = H;
  const g = canvas.getContext('2d')!;
  // As a photo viewer shows it: smoothed when shrunk, in blocks when enlarged.
  g.imageSmoothingEnabled = W < img.width;
  g.imageSmoothingQuality = 'high';
  g.drawImage(full, 0, 0, W, H);
  canvas.classList.toggle('vl-pixelated', W > img.width);
  if (!summary.cropped && !summary.padded) return;
  // Dashed white and black, so that it shows on any image.
  const s = W / img.width;
  const v = summary.view;
  g.lineWidth = 2;
  for (const [colour, offset] of [['#fff', 0], ['#000', 5]] as const) {
    g.strokeStyle = colour;
    g.setLineDash([5, 5]);
    g.lineDashOffset = offset;
    g.strokeRect(v.left * s + 1, v.top * s + 1, v.width * s - 2, v.height * s - 2);
  }
}

/** The model's input, each of its pixels a block. */
export function drawModelInput(canvas: HTMLCanvasElement, view: RawImage): void {
  const [W, H] = displaySize(view.width, view.height, VIEW_SIZE);
  paint(canvas, toImageData(scaleImage(view, W, H)));
}

/** The picture of `maps` (first target, first image) in `mode`, and the overlay that sets its colour scale. */
export function explanationPicture(view: RawImage, maps: ExplanationMaps, mode: DisplayMode, alpha: number): { image: RgbImage; overlay: MapPicture } {
  const map = maps.maps[0][0];
  const overlay = overlayMap(view, map, maps.grid, maps.signed, { size: VIEW_SIZE, alpha, beforeRelu: beforeRelu(maps) });
  const { width: W, height: H } = overlay.image;
  if (mode === 'image') return { image: scaleImage(view, W, H), overlay };
  // An empty map stays the labelled grey picture: a flat colour would read as "looked everywhere".
  if (mode === 'map' && !overlay.status.empty) return { image: heatmapImage(map, maps.grid, maps.signed, W, H).image, overlay };
  return { image: overlay.image, overlay };
}

/** The colour bar of a picture: CSS background, three tick labels, and what the colours mean. */
export function colorbarParts(pic: MapPicture, signed: boolean, forClass: string | null): { background: string; ticks: string[]; legend: string } {
  if (pic.status.empty) {
    return { background: 'repeating-linear-gradient(45deg, #bbb 0 4px, #eee 4px 8px)', ticks: [], legend: `no colour scale: ${pic.status.note}` };
  }
  const [lo, hi] = pic.range;
  return {
    background: cssGradient(colormap(pic.colormap)),
    ticks: [formatValue(lo), signed ? '0' : formatValue((lo + hi) / 2), formatValue(hi)],
    legend: signed
      ? `red: for ${forClass ?? 'the output'} (raises its score) · white: no effect · blue: against it`
      : `${pic.colormap}: low (left) to high (right) ${forClass ? `relevance for ${forClass}` : 'attention'}`,
  };
}

/** One figure of the side-by-side grid, its canvas sized but not yet painted (paintComparisonTile). */
export function comparisonFigure(view: RawImage, name: string, title: string, signed: boolean): HTMLElement {
  const [W, H] = displaySize(view.width, view.height, TILE_SIZE);
  const c = h('canvas', { 'data-method': name, width: String(W), height: String(H) });
  return h('figure', {}, c, h('figcaption', {}, `${title}${signed ? ' (signed: red for, blue against)' : ''}`));
}

/** The picture of one side-by-side tile on its canvas. */
export function paintComparisonTile(canvas: HTMLCanvasElement, view: RawImage, maps: ExplanationMaps, alpha: number): void {
  const pic = overlayMap(view, maps.maps[0][0], maps.grid, maps.signed, { size: TILE_SIZE, alpha, beforeRelu: beforeRelu(maps) });
  paint(canvas, toImageData(pic.image));
}

/**
 * The per-block × per-head grid of CLS attention (first image), laid out as attentionGridPicture
 * lays it out (rows are blocks, columns heads, the last column their mean), drawn a block at a time.
 */
export class HeadsGrid {
  static readonly GAP = 3;
  readonly tileWidth: number;
  readonly tileHeight: number;
  readonly width: number;
  readonly height: number;
  readonly caption: string;
  private readonly perHead: Float32Array[][];
  private readonly grid: readonly [number, number];

  constructor(private readonly view: RawImage, heads: RawAttention) {
    this.perHead = heads.perHead.map((layer) => layer.map((perImage) => perImage[0]));
    [this.tileWidth, this.tileHeight] = displaySize(view.width, view.height, attentionTileSize(view));
    const cols = this.perHead[0].length + 1;
    const rows = this.perHead.length;
    this.width = cols * this.tileWidth + (cols + 1) * HeadsGrid.GAP;
    this.height = rows * this.tileHeight + (rows + 1) * HeadsGrid.GAP;
    this.caption = `CLS attention: rows are blocks 1–${rows}, columns heads 1–${cols - 1}, last column their mean; each tile scaled on its own`;
    this.grid = heads.grid;
  }

  get blocks(): number {
    return this.perHead.length;
  }

  /** Paints block `block`'s row of tiles on `g` (a canvas of width x height). */
  paintBlock(g: CanvasRenderingContext2D, block: number, alpha: number): void {
    const [row] = attentionTiles(this.view, [this.perHead[block]], this.grid, { alpha });
    const gap = HeadsGrid.GAP;
    row.forEach((tile, c) => {
      const pic = toImageData(tile);
      g.putImageData(new ImageData(pic.data, pic.width, pic.height), gap + c * (this.tileWidth + gap), gap + block * (this.tileHeight + gap));
    });
  }
}

/** The patch [row, column] that display pixel (x, y) of a `width` x `height` picture of `view` shows: the picture's own rule. */
export function patchAt(x: number, y: number, width: number, height: number, view: RawImage, grid: readonly [number, number]): [number, number] | null {
  if (!(x >= 0 && y >= 0 && x < width && y < height)) return null;
  const [gh, gw] = grid;
  const col = Math.min(gw - 1, Math.floor((nearestIndex(x, width, view.width) * gw) / view.width));
  const row = Math.min(gh - 1, Math.floor((nearestIndex(y, height, view.height) * gh) / view.height));
  return [row, col];
}
