/**
 * Images the browser decodes (PNG, JPEG, WebP, ...) as vitlens RawImages: pixels exactly as stored,
 * without colour management or premultiplied alpha where the browser allows it, so that a PNG gives
 * the same numbers here as pngjs gives in Node. One limit: a 2D canvas stores premultiplied alpha,
 * so partly transparent pixels come back with their colour rounded (fully transparent and fully
 * opaque ones are exact); the explainer flattens transparency onto white anyway.
 */
import { ImageError } from '../errors.js';
import { fromImageData, type RawImage } from '../io/image.js';
import { getLimits } from '../io/limits.js';

/** RGBA pixels of an image file or blob; ImageError when the browser cannot decode it or it is too large. */
export async function decodeImage(blob: Blob, name: string): Promise<RawImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    throw new ImageError('bad-image', `${name}: this browser cannot decode it as an image (PNG, JPEG and WebP work)`);
  }
  try {
    const { width, height } = bitmap;
    const max = getLimits().maxImagePixels;
    if (width * height > max) throw new ImageError('too-large', `${name} is ${width}×${height}, more than the ${max}-pixel limit`);
    const canvas = new OffscreenCanvas(width, height);
    const g = canvas.getContext('2d', { willReadFrequently: true });
    if (!g) throw new ImageError('bad-image', `${name}: no 2D canvas to decode it on`);
    g.drawImage(bitmap, 0, 0);
    const data = g.getImageData(0, 0, width, height);
    return fromImageData(data);
  } finally {
    bitmap.close();
  }
}

/** Whether a file looks like an image the browser decodes (by type, or by name when the type is empty). */
export function isImageFile(f: File): boolean {
  return f.type.startsWith('image/') || /\.(png|jpe?g|webp|gif|bmp|avif)$/i.test(f.name);
}
