/**
 * Colour maps for explanation pictures. Unsigned maps (rollout, attention, GradCAM) use a
 * perceptual sequential map (viridis, turbo); signed maps (CDAM, token ablation, gradient x input)
 * use a diverging red-blue map with white at zero, so the sign reads at a glance.
 *
 * Each map is stored as evenly spaced sRGB control points and interpolated linearly into a
 * table; the control points are samples of the published maps (every 8th entry of
 * matplotlib's viridis and of Google's Turbo by Anton Mikhailov, Apache-2.0; the 11 classes of
 * ColorBrewer's RdBu, reversed so negative is blue), within 2/255 of the originals.
 */
import { InputError } from '../errors.js';

export type ColormapName = 'viridis' | 'turbo' | 'rdbu' | 'gray';

export const COLORMAPS: readonly ColormapName[] = ['viridis', 'turbo', 'rdbu', 'gray'];

/** Maps centred on a neutral middle colour: the only ones a signed map may be drawn with. */
export const DIVERGING_COLORMAPS: readonly ColormapName[] = ['rdbu'];

/** What a map is drawn with when nobody asks for anything else. */
export const DEFAULT_COLORMAPS = { unsigned: 'turbo', signed: 'rdbu' } as const satisfies Record<string, ColormapName>;

/**
 * The one place that decides which colour map a map is drawn with. A requested map applies to
 * the maps whose kind it fits: a diverging one to signed maps, any other to unsigned maps. A
 * signed map is never drawn with a sequential map (its zero would not be the neutral colour and
 * the two signs would read as "less" and "more"), nor an unsigned map with a diverging one (its
 * middle value would look like "no effect").
 */
export function colormapFor(signed: boolean, requested?: ColormapName): ColormapName {
  const diverging = requested !== undefined && DIVERGING_COLORMAPS.includes(requested);
  if (signed) return diverging ? requested : DEFAULT_COLORMAPS.signed;
  return requested !== undefined && !diverging ? requested : DEFAULT_COLORMAPS.unsigned;
}

/** The colour maps a run draws with, for settings tables and help texts: "turbo (unsigned), rdbu (signed)". */
export function describeColormaps(requested?: ColormapName): string {
  return `${colormapFor(false, requested)} (unsigned maps), ${colormapFor(true, requested)} (signed maps, diverging around zero)`;
}

const STOPS: Record<ColormapName, string> = {
  viridis:
    '440154470d6048186a482374472d7b4537814240863e49893b528b375b8d33638d2f6b8e2c728e297a8e26828e23898e21918c1f988b' +
    '1fa08822a78528ae8032b67a3fbc734ec36b5ec96270cf5784d44b98d83eaddc30c2df23d8e219ece51bfde725',
  turbo:
    '30123b392a734040a24456c7466be34680f64294ff37a8fa28bceb1ccdd818ddc21fe9af32f2984ef97d6dfe628bff4ba4fc3cb9f635' +
    'cdec34dfdf37eecf3af8be39fdac34fe962bfb7e21f46617eb500edf3f08d02f05be2102a91601920b017a0403',
  rdbu: '0530612166ac4393c392c5ded1e5f0f7f7f7fddbc7f4a582d6604db2182b67001f',
  gray: '000000ffffff',
};

/** Table entries: 1024 steps plus the end, so that t = 0.5 (zero of a diverging map) is an entry. */
const STEPS = 1024;

/** A colour map as an RGB table: entry i is the colour of value i / STEPS. */
export interface Colormap {
  name: ColormapName;
  /** Diverging maps are centred on zero: value 0.5 of the table is "no effect". */
  diverging: boolean;
  lut: Uint8Array;
}

const cache = new Map<ColormapName, Colormap>();

function buildLut(hex: string): Uint8Array {
  const stops: number[][] = [];
  for (let i = 0; i < hex.length; i += 6) stops.push([0, 2, 4].map((o) => parseInt(hex.slice(i + o, i + o + 2), 16)));
  // Stops sampled every 8th entry of a 256-entry table (plus its last) are not evenly spaced at
  // the very end: stop k sits at entry min(8k, 255) of 255.
  const at = (k: number) => (stops.length === 33 ? Math.min(8 * k, 255) / 255 : k / (stops.length - 1));
  const lut = new Uint8Array((STEPS + 1) * 3);
  let k = 0;
  for (let i = 0; i <= STEPS; i++) {
    const x = i / STEPS;
    while (k < stops.length - 2 && x > at(k + 1)) k++;
    const t = (x - at(k)) / (at(k + 1) - at(k));
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = Math.round(stops[k][c] + (stops[k + 1][c] - stops[k][c]) * t);
  }
  return lut;
}

export function colormap(name: ColormapName): Colormap {
  let m = cache.get(name);
  if (!m) {
    const hex = STOPS[name];
    if (!hex) throw new InputError('bad-colormap', `unknown colour map "${name}" (available: ${COLORMAPS.join(', ')})`);
    m = { name, diverging: DIVERGING_COLORMAPS.includes(name), lut: buildLut(hex) };
    cache.set(name, m);
  }
  return m;
}

/** The colour of t in [0, 1] (clamped; NaN gives the middle colour). */
export function colorAt(map: Colormap, t: number): [number, number, number] {
  const i = Math.round((Number.isNaN(t) ? 0.5 : Math.min(1, Math.max(0, t))) * STEPS);
  return [map.lut[i * 3], map.lut[i * 3 + 1], map.lut[i * 3 + 2]];
}

/** CSS `linear-gradient` stops for a colour bar (left = low). */
export function cssGradient(map: Colormap, stops = 16): string {
  const parts: string[] = [];
  for (let s = 0; s <= stops; s++) {
    const [r, g, b] = colorAt(map, s / stops);
    parts.push(`rgb(${r},${g},${b}) ${((100 * s) / stops).toFixed(1)}%`);
  }
  return `linear-gradient(to right, ${parts.join(', ')})`;
}
