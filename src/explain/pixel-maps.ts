/**
 * Gradient attributions live in pixel space. They are returned as ExplanationMaps on the pixel
 * grid (each map: the attribution summed over the colour channels, Captum's usual reduction),
 * with the per-channel attributions beside it; `poolToPatches` turns any of them into the
 * patch-grid maps the token-level methods give, so that both can be compared and drawn alike.
 */
import type { VisionTransformer } from '../model/vit.js';
import type { ExplanationMaps } from './maps.js';

/** How the channels of a pixel attribution become one value per pixel. */
export type ChannelReduction = 'sum' | 'sum-abs' | 'max-abs';

/** A pixel-level explanation: maps[t][b] are H * W channel sums of `attributions`. */
export interface PixelMaps extends ExplanationMaps {
  resolution: 'pixel';
  classes: number[][];
  /** The attributions per channel: values[t][b] holds C * H * W values, shape [C, H, W]. */
  attributions: { shape: [number, number, number]; values: Float32Array[][] };
}

/** Reduces [C, H, W] attributions to [H, W]: max |v| over channels, sum, or sum of |v|. */
export function pixelMap(values: Float32Array, shape: [number, number, number], reduce: ChannelReduction = 'max-abs'): Float32Array {
  const [C, H, W] = shape;
  const out = new Float32Array(H * W);
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < H * W; i++) {
      const v = values[c * H * W + i];
      if (reduce === 'max-abs') out[i] = Math.max(out[i], Math.abs(v));
      else out[i] += reduce === 'sum' ? v : Math.abs(v);
    }
  }
  return out;
}

/** Sums a pixel map over each patch: the patch-grid view of a pixel attribution. */
export function patchGrid(map: Float32Array, H: number, W: number, ph: number, pw: number): Float32Array {
  const gh = Math.floor(H / ph);
  const gw = Math.floor(W / pw);
  const out = new Float32Array(gh * gw);
  for (let y = 0; y < gh * ph; y++) for (let x = 0; x < gw * pw; x++) out[Math.floor(y / ph) * gw + Math.floor(x / pw)] += map[y * W + x];
  return out;
}

/** Builds the pixel-grid result from per-channel attributions [C, H, W] per [t][b]. */
export function pixelMaps(method: string, shape: [number, number, number], values: Float32Array[][], classes: number[][], signed: boolean): PixelMaps {
  const [, H, W] = shape;
  return {
    method,
    grid: [H, W],
    resolution: 'pixel',
    signed,
    classes,
    maps: values.map((row) => row.map((v) => pixelMap(v, shape, 'sum'))),
    attributions: { shape, values },
  };
}

/**
 * The patch-grid view of a map: each patch holds the sum over its pixels of the channels reduced
 * by `reduce` ('sum' keeps the sign; 'sum-abs' and 'max-abs' give magnitudes). Patch-grid maps
 * are returned as they are. Extra fields of the result (IG's completeness gap) are kept; the
 * per-channel attributions are not.
 */
export function poolToPatches<M extends ExplanationMaps>(model: VisionTransformer, m: M, reduce: ChannelReduction = 'sum'): Omit<M, 'attributions' | 'resolution'> & ExplanationMaps {
  if (m.resolution !== 'pixel') return m;
  const [H, W] = m.grid;
  const [ph, pw] = model.config.patchSize;
  const { attributions, resolution: _pixel, ...rest } = m as M & Partial<Pick<PixelMaps, 'attributions'>>;
  const reduced = attributions
    ? attributions.values.map((row) => row.map((v) => pixelMap(v, attributions.shape, reduce)))
    : m.maps.map((row) => row.map((v) => (reduce === 'sum' ? v : v.map(Math.abs))));
  return {
    ...rest,
    grid: model.gridFor(H, W),
    signed: m.signed && reduce === 'sum',
    maps: reduced.map((row) => row.map((v) => patchGrid(v, H, W, ph, pw))),
  };
}
