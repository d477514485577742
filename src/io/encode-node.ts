/** Node-only PNG encoding of pictures (pngjs), for the CLI, the report and anyone saving maps. */
import { writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { assertRawImage, type RawImage } from './image.js';

/** pngjs colour types by channel count: grey, grey + alpha, RGB, RGBA. */
const COLOR_TYPE: Record<number, 0 | 4 | 2 | 6> = { 1: 0, 2: 4, 3: 2, 4: 6 };

export function encodePng(img: RawImage): Uint8Array {
  assertRawImage(img, 'picture');
  const colorType = COLOR_TYPE[img.channels];
  const png = new PNG({ width: img.width, height: img.height, colorType, inputColorType: colorType, inputHasAlpha: img.channels === 2 || img.channels === 4 });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return new Uint8Array(PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: img.channels === 2 || img.channels === 4 }));
}

export function writePng(path: string, img: RawImage): void {
  writeFileSync(path, encodePng(img));
}
