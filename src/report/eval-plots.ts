/**
 * Small inline-SVG charts for the evaluation page: line plots, horizontal box plots, grouped
 * horizontal bars and an annotated heat map. Each returns one self-contained <svg> element
 * (no scripts, no external fonts or styles) with axis labels, ticks and a legend, sized by its
 * viewBox so it scales with the page.
 */
import { escapeHtml as esc } from './html.js';

/**
 * Series styles. Charts here carry up to ~16 methods, more than any palette of well-separated
 * colours: every series gets its own hue (16 hues around the colour wheel, visited in steps of
 * 7/16 so neighbours in the legend are far apart), and on top of that a dash pattern and a
 * marker shape whose cycles (3 and 5) differ from each other, so two lines never look alike
 * even where hues are close. Black is kept for the reference series (the random control).
 */
const HUES = 16;
const DASHES = ['', '7 3', '2 2.5'];
const MARKERS = ['circle', 'square', 'triangle', 'diamond', 'cross'] as const;
type Marker = (typeof MARKERS)[number];

export interface SeriesStyle {
  color: string;
  dash: string;
  marker: Marker | 'none';
  width: number;
}

/** The colour of series i (its own hue up to 16 series). */
export const seriesColor = (i: number) => {
  const hue = ((i * 7) % HUES) * (360 / HUES);
  // Yellows and greens read poorly on white at the same lightness as blues: darker there.
  const light = hue >= 40 && hue <= 160 ? 36 : 46;
  return `hsl(${hue.toFixed(1)},72%,${light}%)`;
};

/** The style of series i; the reference series is black, thick and dashed. */
export function seriesStyle(i: number, reference = false): SeriesStyle {
  if (reference) return { color: '#000', dash: '9 4', marker: 'none', width: 3.5 };
  return { color: seriesColor(i), dash: DASHES[i % DASHES.length], marker: MARKERS[i % MARKERS.length], width: 2 };
}

function marker(kind: Marker | 'none', x: number, y: number, color: string): string {
  const r = 3.6;
  const at = (pts: [number, number][]) => `M${pts.map(([a, b]) => `${(x + a).toFixed(1)},${(y + b).toFixed(1)}`).join('L')}Z`;
  switch (kind) {
    case 'circle': return `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${r}" fill="${color}"/>`;
    case 'square': return `<path d="${at([[-r, -r], [r, -r], [r, r], [-r, r]])}" fill="${color}"/>`;
    case 'triangle': return `<path d="${at([[0, -r - 1], [r + 0.5, r], [-r - 0.5, r]])}" fill="${color}"/>`;
    case 'diamond': return `<path d="${at([[0, -r - 1], [r + 1, 0], [0, r + 1], [-r - 1, 0]])}" fill="${color}"/>`;
    case 'cross': return `<path d="M${x - r},${y - r}L${x + r},${y + r}M${x - r},${y + r}L${x + r},${y - r}" stroke="${color}" stroke-width="2"/>`;
    default: return '';
  }
}

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"';
const fmt = (v: number) => {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1).replace(/\.0$/, '');
  return Number(v.toFixed(2)).toString();
};

/** About `n` round tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9 * step; v += step) out.push(Math.abs(v) < 1e-12 ? 0 : v);
  return out;
}

function niceRange(values: number[], fixed?: [number, number]): [number, number] {
  if (fixed) return fixed;
  const v = values.filter(Number.isFinite);
  if (v.length === 0) return [0, 1];
  let lo = Math.min(...v);
  let hi = Math.max(...v);
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const t = ticks(lo, hi);
  const step = t.length > 1 ? t[1] - t[0] : (hi - lo) / 5;
  return [Math.min(lo, Math.floor(lo / step) * step), Math.max(hi, Math.ceil(hi / step) * step)];
}

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function svgOpen(f: Frame, title: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${f.width} ${f.height}" width="100%" style="max-width:${f.width}px" role="img" aria-label="${esc(title)}" ${FONT} font-size="12">` +
    `<title>${esc(title)}</title><rect width="${f.width}" height="${f.height}" fill="#fff"/>` +
    `<text x="${f.left}" y="18" font-size="14" font-weight="600" fill="#222">${esc(title)}</text>`;
}

/** A legend of line series (line, dash and marker as drawn); the reference first and in bold. */
function legend(entries: { name: string; style: SeriesStyle; reference: boolean }[], x: number, y: number): string {
  const order = [...entries.filter((e) => e.reference), ...entries.filter((e) => !e.reference)];
  return order.map((e, i) => {
    const yy = y + i * 18;
    const mark = `<line x1="${x}" y1="${yy}" x2="${x + 26}" y2="${yy}" stroke="${e.style.color}" stroke-width="${e.style.width}" stroke-dasharray="${e.style.dash}"/>${marker(e.style.marker, x + 13, yy, e.style.color)}`;
    return `${mark}<text x="${x + 32}" y="${yy + 4}" fill="#222"${e.reference ? ' font-weight="700"' : ''}>${esc(e.name)}</text>`;
  }).join('');
}

export interface LineSeries {
  name: string;
  /** y per x (NaN / null = gap). */
  y: (number | null)[];
  /** The series the others are read against (the random control): black, thick, dashed, on top. */
  reference?: boolean;
}

export interface LinePlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Numeric x positions, or category labels placed evenly. */
  x: number[] | string[];
  series: LineSeries[];
  yRange?: [number, number];
  /** A dashed horizontal reference line (e.g. 0 or a chance level). */
  yRef?: number;
}

export function linePlot(o: LinePlotOptions): string {
  const categorical = typeof o.x[0] === 'string';
  const legendW = 190;
  const f: Frame = { width: 760, height: categorical ? 400 : 360, left: 62, right: 20 + legendW, top: 34, bottom: categorical ? 92 : 52 };
  const pw = f.width - f.left - f.right;
  const ph = f.height - f.top - f.bottom;
  const xs = categorical ? o.x.map((_, i) => i) : (o.x as number[]);
  const [x0, x1] = categorical ? [-0.3, o.x.length - 0.7] : [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = niceRange(o.series.flatMap((s) => s.y.filter((v): v is number => v !== null)).concat(o.yRef ?? []), o.yRange);
  const X = (v: number) => f.left + ((v - x0) / (x1 - x0 || 1)) * pw;
  const Y = (v: number) => f.top + ph - ((v - y0) / (y1 - y0 || 1)) * ph;
  const parts: string[] = [svgOpen(f, o.title)];
  for (const t of ticks(y0, y1)) {
    parts.push(`<line x1="${f.left}" x2="${f.left + pw}" y1="${Y(t)}" y2="${Y(t)}" stroke="#e3e3e3"/><text x="${f.left - 6}" y="${Y(t) + 4}" text-anchor="end" fill="#444">${fmt(t)}</text>`);
  }
  if (categorical) {
    (o.x as string[]).forEach((label, i) => {
      parts.push(`<line x1="${X(i)}" x2="${X(i)}" y1="${f.top}" y2="${f.top + ph}" stroke="#f0f0f0"/>`);
      parts.push(`<text transform="translate(${X(i)},${f.top + ph + 14}) rotate(30)" fill="#444">${esc(label)}</text>`);
    });
  } else {
    for (const t of ticks(x0, x1)) parts.push(`<text x="${X(t)}" y="${f.top + ph + 16}" text-anchor="middle" fill="#444">${fmt(t)}</text>`);
  }
  if (o.yRef !== undefined && o.yRef >= y0 && o.yRef <= y1) {
    parts.push(`<line x1="${f.left}" x2="${f.left + pw}" y1="${Y(o.yRef)}" y2="${Y(o.yRef)}" stroke="#888" stroke-dasharray="4 3"/>`);
  }
  parts.push(`<rect x="${f.left}" y="${f.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  // Colours and shapes go by position among the non-reference series, so adding the control
  // does not change anyone else's style; the reference is drawn last, on top.
  let k = 0;
  const styled = o.series.map((s) => ({ s, reference: !!s.reference, style: seriesStyle(s.reference ? 0 : k++, s.reference) }));
  const every = Math.max(1, Math.ceil(xs.length / 8));
  for (const { s, style } of [...styled.filter((e) => !e.reference), ...styled.filter((e) => e.reference)]) {
    let d = '';
    let pen = false;
    s.y.forEach((v, j) => {
      if (v === null || !Number.isFinite(v)) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${X(xs[j]).toFixed(1)},${Y(v).toFixed(1)}`;
      pen = true;
    });
    parts.push(`<path d="${d}" fill="none" stroke="${style.color}" stroke-width="${style.width}" stroke-dasharray="${style.dash}"><title>${esc(s.name)}</title></path>`);
    // Markers on a sparse, per-series offset subset of points (all points on categorical axes).
    const offset = categorical ? 0 : styled.findIndex((e) => e.s === s) % every;
    s.y.forEach((v, j) => {
      if (v !== null && Number.isFinite(v) && (categorical || j % every === offset)) parts.push(marker(style.marker, X(xs[j]), Y(v), style.color));
    });
  }
  parts.push(`<text x="${f.left + pw / 2}" y="${f.height - 8}" text-anchor="middle" fill="#222">${esc(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(16,${f.top + ph / 2}) rotate(-90)" text-anchor="middle" fill="#222">${esc(o.yLabel)}</text>`);
  parts.push(legend(styled.map((e) => ({ name: e.s.name, style: e.style, reference: e.reference })), f.width - legendW + 8, f.top + 8));
  parts.push('</svg>');
  return parts.join('');
}

export interface Box {
  name: string;
  /** min, q1, median, q3, max */
  q: number[];
  mean: number;
  count: number;
  /** The control: drawn in black. */
  reference?: boolean;
}

export interface BoxPlotOptions {
  title: string;
  xLabel: string;
  boxes: Box[];
  xRange?: [number, number];
  xRef?: number;
}

/** Horizontal box plots (one row per box): whiskers min..max, box q1..q3, median bar, mean diamond. */
export function boxPlot(o: BoxPlotOptions): string {
  const row = 26;
  const nameW = 170;
  const f: Frame = { width: 760, height: 34 + o.boxes.length * row + 70, left: nameW, right: 24, top: 34, bottom: 70 };
  const pw = f.width - f.left - f.right;
  const ph = o.boxes.length * row;
  const [x0, x1] = niceRange(o.boxes.flatMap((b) => b.q), o.xRange);
  const X = (v: number) => f.left + ((v - x0) / (x1 - x0 || 1)) * pw;
  const parts: string[] = [svgOpen(f, o.title)];
  for (const t of ticks(x0, x1, 8)) {
    parts.push(`<line x1="${X(t)}" x2="${X(t)}" y1="${f.top}" y2="${f.top + ph}" stroke="#e8e8e8"/><text x="${X(t)}" y="${f.top + ph + 16}" text-anchor="middle" fill="#444">${fmt(t)}</text>`);
  }
  if (o.xRef !== undefined) parts.push(`<line x1="${X(o.xRef)}" x2="${X(o.xRef)}" y1="${f.top}" y2="${f.top + ph}" stroke="#888" stroke-dasharray="4 3"/>`);
  o.boxes.forEach((b, i) => {
    const cy = f.top + i * row + row / 2;
    const c = b.reference ? '#000' : seriesColor(i);
    parts.push(`<text x="${f.left - 8}" y="${cy + 4}" text-anchor="end" fill="#222"${b.reference ? ' font-weight="700"' : ''}>${esc(b.name)}</text>`);
    if (!b.count || b.q.some((v) => !Number.isFinite(v))) {
      parts.push(`<text x="${f.left + 4}" y="${cy + 4}" fill="#888">no values</text>`);
      return;
    }
    const [mn, q1, md, q3, mx] = b.q;
    parts.push(`<line x1="${X(mn)}" x2="${X(mx)}" y1="${cy}" y2="${cy}" stroke="${c}"/>`);
    parts.push(`<line x1="${X(mn)}" x2="${X(mn)}" y1="${cy - 5}" y2="${cy + 5}" stroke="${c}"/><line x1="${X(mx)}" x2="${X(mx)}" y1="${cy - 5}" y2="${cy + 5}" stroke="${c}"/>`);
    parts.push(`<rect x="${X(q1)}" y="${cy - 8}" width="${Math.max(1, X(q3) - X(q1))}" height="16" fill="${c}" fill-opacity="0.25" stroke="${c}"/>`);
    parts.push(`<line x1="${X(md)}" x2="${X(md)}" y1="${cy - 8}" y2="${cy + 8}" stroke="${c}" stroke-width="2.5"/>`);
    if (Number.isFinite(b.mean)) {
      const mxp = X(b.mean);
      parts.push(`<path d="M${mxp},${cy - 5}L${mxp + 5},${cy}L${mxp},${cy + 5}L${mxp - 5},${cy}Z" fill="#fff" stroke="#222"/>`);
    }
    parts.push(`<title>${esc(`${b.name}: median ${fmt(md)}, mean ${fmt(b.mean)}, quartiles ${fmt(q1)}..${fmt(q3)}, range ${fmt(mn)}..${fmt(mx)}, n = ${b.count}`)}</title>`);
  });
  parts.push(`<rect x="${f.left}" y="${f.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  parts.push(`<text x="${f.left + pw / 2}" y="${f.top + ph + 36}" text-anchor="middle" fill="#222">${esc(o.xLabel)}</text>`);
  const ly = f.top + ph + 56;
  parts.push(`<rect x="${f.left}" y="${ly - 6}" width="22" height="12" fill="#888" fill-opacity="0.25" stroke="#888"/><text x="${f.left + 28}" y="${ly + 4}" fill="#444">quartiles</text>`);
  parts.push(`<line x1="${f.left + 110}" x2="${f.left + 110}" y1="${ly - 6}" y2="${ly + 6}" stroke="#444" stroke-width="2.5"/><text x="${f.left + 118}" y="${ly + 4}" fill="#444">median</text>`);
  parts.push(`<path d="M${f.left + 190},${ly - 5}L${f.left + 195},${ly}L${f.left + 190},${ly + 5}L${f.left + 185},${ly}Z" fill="#fff" stroke="#222"/><text x="${f.left + 202}" y="${ly + 4}" fill="#444">mean</text>`);
  parts.push(`<line x1="${f.left + 262}" x2="${f.left + 300}" y1="${ly}" y2="${ly}" stroke="#444"/><text x="${f.left + 306}" y="${ly + 4}" fill="#444">whiskers: min to max</text>`);
  parts.push('</svg>');
  return parts.join('');
}

export interface BarGroup {
  name: string;
  /** The control: its bars drawn in black, its name in bold. */
  reference?: boolean;
  /** One value per series, with an optional error (± std). */
  values: { v: number; err?: number }[];
}

export interface BarPlotOptions {
  title: string;
  xLabel: string;
  seriesNames: string[];
  groups: BarGroup[];
  xRange?: [number, number];
  xRef?: number;
}

/** Horizontal grouped bars: one group per row, one bar per series. */
export function barPlot(o: BarPlotOptions): string {
  const bar = 10;
  const row = o.seriesNames.length * bar + 10;
  const nameW = 170;
  const f: Frame = { width: 760, height: 34 + o.groups.length * row + 74, left: nameW, right: 24, top: 34, bottom: 74 };
  const pw = f.width - f.left - f.right;
  const ph = o.groups.length * row;
  const [x0, x1] = niceRange(o.groups.flatMap((g) => g.values.flatMap((v) => [v.v + (v.err ?? 0), 0])), o.xRange);
  const X = (v: number) => f.left + ((Math.max(x0, Math.min(x1, v)) - x0) / (x1 - x0 || 1)) * pw;
  const parts: string[] = [svgOpen(f, o.title)];
  for (const t of ticks(x0, x1, 8)) {
    parts.push(`<line x1="${X(t)}" x2="${X(t)}" y1="${f.top}" y2="${f.top + ph}" stroke="#e8e8e8"/><text x="${X(t)}" y="${f.top + ph + 16}" text-anchor="middle" fill="#444">${fmt(t)}</text>`);
  }
  o.groups.forEach((g, i) => {
    const y = f.top + i * row + 5;
    parts.push(`<text x="${f.left - 8}" y="${y + (o.seriesNames.length * bar) / 2 + 4}" text-anchor="end" fill="#222"${g.reference ? ' font-weight="700"' : ''}>${esc(g.name)}</text>`);
    g.values.forEach((v, k) => {
      if (!Number.isFinite(v.v)) return;
      const yy = y + k * bar;
      parts.push(`<rect x="${X(Math.min(0, v.v))}" y="${yy}" width="${Math.max(0.5, Math.abs(X(v.v) - X(0)))}" height="${bar - 1}" fill="${g.reference ? '#000' : seriesColor(k)}" fill-opacity="${g.reference ? 0.75 - 0.35 * k : 0.85}"><title>${esc(`${g.name}, ${o.seriesNames[k]}: ${fmt(v.v)}${v.err !== undefined ? ` ± ${fmt(v.err)}` : ''}`)}</title></rect>`);
      if (v.err !== undefined && Number.isFinite(v.err)) parts.push(`<line x1="${X(v.v - v.err)}" x2="${X(v.v + v.err)}" y1="${yy + bar / 2 - 0.5}" y2="${yy + bar / 2 - 0.5}" stroke="#333"/>`);
    });
  });
  if (o.xRef !== undefined) parts.push(`<line x1="${X(o.xRef)}" x2="${X(o.xRef)}" y1="${f.top}" y2="${f.top + ph}" stroke="#000" stroke-width="2.5" stroke-dasharray="8 4"/>`);
  parts.push(`<rect x="${f.left}" y="${f.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  parts.push(`<text x="${f.left + pw / 2}" y="${f.top + ph + 36}" text-anchor="middle" fill="#222">${esc(o.xLabel)}</text>`);
  o.seriesNames.forEach((n, k) => {
    const lx = f.left + k * 160;
    const ly = f.top + ph + 58;
    parts.push(`<rect x="${lx}" y="${ly - 6}" width="14" height="12" fill="${seriesColor(k)}" fill-opacity="0.85"/><text x="${lx + 20}" y="${ly + 4}" fill="#222">${esc(n)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Diverging colour for v in [-1, 1]: blue (negative), white (0), red (positive). */
function diverging(v: number): string {
  if (!Number.isFinite(v)) return '#eeeeee';
  const t = Math.max(-1, Math.min(1, v));
  const mix = (a: number, b: number, s: number) => Math.round(a + (b - a) * s);
  const [r, g, b] = t >= 0 ? [mix(255, 178, t), mix(255, 24, t), mix(255, 43, t)] : [mix(255, 33, -t), mix(255, 102, -t), mix(255, 172, -t)];
  return `rgb(${r},${g},${b})`;
}

export interface HeatmapOptions {
  title: string;
  names: string[];
  values: number[][];
}

/** An annotated square matrix of values in [-1, 1] (diverging colours), with a colour key. */
export function heatmap(o: HeatmapOptions): string {
  const n = o.names.length;
  const cell = Math.max(26, Math.min(44, Math.floor(560 / Math.max(1, n))));
  const nameW = 150;
  const f: Frame = { width: nameW + n * cell + 150, height: 34 + nameW + n * cell + 20, left: nameW, right: 150, top: 34 + nameW, bottom: 20 };
  const parts: string[] = [svgOpen(f, o.title)];
  o.names.forEach((name, i) => {
    parts.push(`<text x="${f.left - 6}" y="${f.top + i * cell + cell / 2 + 4}" text-anchor="end" fill="#222">${esc(name)}</text>`);
    parts.push(`<text transform="translate(${f.left + i * cell + cell / 2 + 4},${f.top - 6}) rotate(-60)" fill="#222">${esc(name)}</text>`);
    o.values[i].forEach((v, j) => {
      const x = f.left + j * cell;
      const y = f.top + i * cell;
      const dark = Number.isFinite(v) && Math.abs(v) > 0.6;
      parts.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${diverging(v)}" stroke="#fff"><title>${esc(`${o.names[i]} vs ${o.names[j]}: ${Number.isFinite(v) ? v.toFixed(3) : 'n/a'}`)}</title></rect>`);
      parts.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" font-size="${cell < 32 ? 9 : 11}" fill="${dark ? '#fff' : '#222'}">${Number.isFinite(v) ? v.toFixed(2).replace(/^(-?)0\./, '$1.') : '–'}</text>`);
    });
  });
  const kx = f.left + n * cell + 24;
  const kh = Math.min(200, n * cell);
  for (let s = 0; s < 20; s++) {
    const v = 1 - (2 * s) / 19;
    parts.push(`<rect x="${kx}" y="${f.top + (s * kh) / 20}" width="14" height="${kh / 20 + 0.5}" fill="${diverging(v)}"/>`);
  }
  parts.push(`<rect x="${kx}" y="${f.top}" width="14" height="${kh}" fill="none" stroke="#999"/>`);
  parts.push(`<text x="${kx + 18}" y="${f.top + 8}" fill="#444">+1</text><text x="${kx + 18}" y="${f.top + kh / 2 + 4}" fill="#444">0</text><text x="${kx + 18}" y="${f.top + kh}" fill="#444">−1</text>`);
  parts.push('</svg>');
  return parts.join('');
}
