/**
 * Text on pictures: a 5 x 7 pixel capital-letter font, enough to say on a tile what it is
 * ("EMPTY: EVERY VALUE ≤ 0 BEFORE THE RELU") where a picture travels without its caption.
 * Browser-safe, no font files.
 */
import type { RgbImage } from '../io/image.js';

const CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:-+=()/<>≤…%?×';
/** 7 rows per glyph, each row a base-32 digit whose 5 bits are the pixels, left = high bit. */
const GLYPHS = 'ehhvhhhuhhuhhuehgggheuhhhhhuvgguggvvggugggehgnhhfhhhvhhhe44444e72222ichikokihggggggvhrllhhhhhpljhhehhhhheuhhugggehhhliduhhukihfgge11uv444444hhhhhhehhhhha4hhhlllahha4ahhhha4444v1248gvehjlphe4c4444eeh1248vu11e11u26aiv22vgu11he68guhhev124888ehhehheehhf12c000000000000cc0000c480cc0cc0000v000044v44000v0v002488842842224801248g0248g84284212483cgc30v000000lop248j3eh124040ha4ah0';
const GW = 5;
const GH = 7;

function glyphRows(ch: string): string {
  const i = CHARS.indexOf(ch);
  return GLYPHS.slice((i < 0 ? CHARS.indexOf('?') : i) * GH, ((i < 0 ? CHARS.indexOf('?') : i) + 1) * GH);
}

/** Breaks `text` into lines of at most `max` characters at spaces (longer words are cut). */
export function wrapText(text: string, max: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (let word of text.split(/\s+/).filter(Boolean)) {
    while (word.length > max) {
      if (line) lines.push(line);
      lines.push(word.slice(0, max));
      word = word.slice(max);
      line = '';
    }
    if (!line) line = word;
    else if (line.length + 1 + word.length <= max) line += ' ' + word;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * Writes `text` (upper-cased, wrapped to the picture's width) in white on a dark band across the
 * top of `img`, in place. Glyphs are scaled by whole pixels so they stay sharp: 2x from 200 px wide.
 */
export function drawLabel(img: RgbImage, text: string): void {
  const scale = img.width >= 200 ? 2 : 1;
  const pad = 2 * scale;
  const advance = (GW + 1) * scale;
  const lineH = (GH + 2) * scale;
  const lines = wrapText(text.toUpperCase(), Math.max(1, Math.floor((img.width - 2 * pad) / advance)));
  const bandH = Math.min(img.height, lines.length * lineH + 2 * pad);
  const { data, width } = img;
  for (let y = 0; y < bandH; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) data[o + c] = Math.round(data[o + c] * 0.25 + 20 * 0.75);
    }
  }
  lines.forEach((line, li) => {
    [...line].forEach((ch, ci) => {
      const rows = glyphRows(ch);
      for (let gy = 0; gy < GH; gy++) {
        const bits = parseInt(rows[gy], 32);
        for (let gx = 0; gx < GW; gx++) {
          if (!(bits & (1 << (GW - 1 - gx)))) continue;
          for (let sy = 0; sy < scale; sy++) {
            for (let sx = 0; sx < scale; sx++) {
              const x = pad + ci * advance + gx * scale + sx;
              const y = pad + li * lineH + gy * scale + sy;
              if (x < width && y < bandH) data.fill(255, (y * width + x) * 3, (y * width + x) * 3 + 3);
            }
          }
        }
      }
    });
  });
}

/** Diagonal stripes over `img`, in place: the conventional "no data" fill, visible on any image. */
export function hatch(img: RgbImage, period = 8): void {
  const { data, width, height } = img;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if ((x + y) % period >= 2) continue;
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) data[o + c] = Math.round(data[o + c] * 0.5 + 128 * 0.5);
    }
  }
}
