/**
 * Localisation of a patch map against a pixel mask of segmentation class ids. The map is read at
 * pixel level as every pixel taking its patch's value (the patch grid upsampled by nearest
 * neighbour — exact, no smoothing invented), so each score is a sum over patches weighted by how
 * many pixels of a class each patch covers. Pixels outside the patch grid (an input size that is
 * not a multiple of the patch) are not seen by the model and are left out.
 *
 *   classMeans  seed 001 ("Segmentation Maps (Truth DS)"): per mask class, the sum of the map over
 *               that class's pixels divided by the class's pixel count, the map first divided by
 *               its largest absolute value (so 1 is the map's maximum, as pytorch-grad-cam's maps);
 *   energy      the energy-based pointing game (Wang et al., Score-CAM): the share of the map's
 *               positive mass that lies inside the region;
 *   mass        relevance mass accuracy (Arras et al., CLEVR-XAI; Quantus's default, no absolute
 *               value): sum of the map inside the region / sum over the image — for a map with
 *               negative values it can leave [0, 1];
 *   rank        relevance rank accuracy (Arras et al.): with K the region's pixel count, the share
 *               of the map's top-K pixels inside the region; pixels tied at the boundary share the
 *               remaining places equally (the ranking of metrics.ts: no index order favoured).
 * An empty region, a map without positive mass (energy) or with zero sum (mass) gives NaN (left
 * out of the means and counted as skipped), as Quantus does for an empty segmentation.
 * Known answers: a map equal to the region's indicator scores 1 on all four, its complement 0,
 * a constant positive map the region's area share on energy, mass and rank (and 1 on classMeans).
 */
import { InputError } from '../../errors.js';

/** How the map's patch grid lies on the mask. */
export interface PatchGeometry {
  /** Mask size in pixels (the model's input size). */
  H: number;
  W: number;
  /** Patch size and grid. */
  ph: number;
  pw: number;
  gh: number;
  gw: number;
}

/** Pixel counts per patch: of every class id present, and in total. */
export interface PatchCounts {
  /** classes[id] = pixels of class id in each patch ([P]); only ids present. */
  classes: Map<number, Float64Array>;
  /** Pixels of each patch inside the image ([P]). */
  total: Float64Array;
}

export function patchCounts(mask: Uint8Array, g: PatchGeometry): PatchCounts {
  if (mask.length !== g.H * g.W) throw new InputError('bad-shape', `mask has ${mask.length} pixels, the image ${g.H}x${g.W}`);
  const P = g.gh * g.gw;
  const classes = new Map<number, Float64Array>();
  const total = new Float64Array(P);
  for (let y = 0; y < g.gh * g.ph; y++) {
    for (let x = 0; x < g.gw * g.pw; x++) {
      const p = Math.floor(y / g.ph) * g.gw + Math.floor(x / g.pw);
      const id = mask[y * g.W + x];
      let c = classes.get(id);
      if (!c) {
        c = new Float64Array(P);
        classes.set(id, c);
      }
      c[p]++;
      total[p]++;
    }
  }
  return { classes, total };
}

/** Seed 001: per class id present, the mean of the max-|.|-normalised map over its pixels. */
export function classMeans(map: ArrayLike<number>, counts: PatchCounts): Map<number, number> {
  let peak = 0;
  for (let p = 0; p < map.length; p++) peak = Math.max(peak, Math.abs(map[p]));
  const out = new Map<number, number>();
  for (const [id, c] of [...counts.classes].sort((a, b) => a[0] - b[0])) {
    let s = 0;
    let n = 0;
    for (let p = 0; p < map.length; p++) {
      s += map[p] * c[p];
      n += c[p];
    }
    out.set(id, peak > 0 && n > 0 ? s / peak / n : NaN);
  }
  return out;
}

/** Energy-based pointing game: positive mass inside the region / positive mass overall. */
export function energyInside(map: ArrayLike<number>, region: Float64Array, total: Float64Array): number {
  let inside = 0;
  let all = 0;
  for (let p = 0; p < map.length; p++) {
    const v = Math.max(0, map[p]);
    inside += v * region[p];
    all += v * total[p];
  }
  return regionSize(region) > 0 && all > 0 ? inside / all : NaN;
}

/** Relevance mass accuracy: sum of the map inside the region / sum over the image. */
export function massInside(map: ArrayLike<number>, region: Float64Array, total: Float64Array): number {
  let inside = 0;
  let all = 0;
  for (let p = 0; p < map.length; p++) {
    inside += map[p] * region[p];
    all += map[p] * total[p];
  }
  return regionSize(region) > 0 && all !== 0 ? inside / all : NaN;
}

/** Relevance rank accuracy: share of the region among the map's top-K pixels (K = region size). */
export function rankInside(map: ArrayLike<number>, region: Float64Array, total: Float64Array): number {
  const K = regionSize(region);
  if (K === 0 || map.length === 0) return NaN;
  const v = (p: number) => (Number.isNaN(map[p]) ? -Infinity : map[p]);
  const order = Array.from({ length: map.length }, (_, p) => p).sort((a, b) => v(b) - v(a));
  let left = K;
  let hits = 0;
  // Patches with equal values form one group of tied pixels: taken whole, or in proportion.
  for (let i = 0; i < order.length && left > 0; ) {
    let j = i;
    let pixels = 0;
    let inRegion = 0;
    while (j < order.length && v(order[j]) === v(order[i])) {
      pixels += total[order[j]];
      inRegion += region[order[j]];
      j++;
    }
    const take = Math.min(left, pixels);
    if (pixels > 0) hits += (inRegion * take) / pixels;
    left -= take;
    i = j;
  }
  return hits / K;
}

function regionSize(region: Float64Array): number {
  let n = 0;
  for (let p = 0; p < region.length; p++) n += region[p];
  return n;
}

/** The region a mask gives the explained class: its class id, or every non-zero pixel. */
export function regionCounts(counts: PatchCounts, regionId: number | 'foreground'): Float64Array {
  if (regionId !== 'foreground') return counts.classes.get(regionId) ?? new Float64Array(counts.total.length);
  const out = new Float64Array(counts.total.length);
  for (const [id, c] of counts.classes) if (id !== 0) c.forEach((v, p) => (out[p] += v));
  return out;
}

export interface LocalisationScores {
  classMean: number;
  energy: number;
  mass: number;
  rank: number;
  /** Seed 001's weighted mean per class id present. */
  perClass: Map<number, number>;
  /** Share of the image's pixels in the region (0 for an empty region). */
  areaShare: number;
}

/** Every localisation score of one map against one mask. */
export function localisationScores(map: ArrayLike<number>, counts: PatchCounts, regionId: number | 'foreground'): LocalisationScores {
  const region = regionCounts(counts, regionId);
  const perClass = classMeans(map, counts);
  let peak = 0;
  for (let p = 0; p < map.length; p++) peak = Math.max(peak, Math.abs(map[p]));
  const size = regionSize(region);
  let inside = 0;
  for (let p = 0; p < map.length; p++) inside += map[p] * region[p];
  return {
    classMean: size > 0 && peak > 0 ? inside / peak / size : NaN,
    energy: energyInside(map, region, counts.total),
    mass: massInside(map, region, counts.total),
    rank: rankInside(map, region, counts.total),
    perClass,
    areaShare: size / regionSize(counts.total),
  };
}
