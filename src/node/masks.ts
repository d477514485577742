/**
 * Ground-truth masks for the localisation metric, one class id per pixel, at the model's input
 * size (images and masks must already have that size: resizing a mask would need its own rule):
 *  - the data file's own `masks` tensor (U8 [N, H, W]), found by the image source;
 *  - a folder of PNG masks paired with the images by file name (`shoe.jpg` -> `shoe.png`),
 *    the first channel holding the class id;
 *  - a separate safetensors file with a `masks` tensor aligned with the data file by index;
 *  - `nonzero`: the image's non-zero pixels are the mask of its labelled class (id label + 1,
 *    background 0) — Fashion-MNIST's garments on a black background.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { ImageError } from '../errors.js';
import { readImageFileSync } from '../io/decode-node.js';
import type { RawImage } from '../io/image.js';
import { safetensorsSource, type ImageBatch, type ImageSource } from './dataset.js';

export type MaskProvider = (batch: ImageBatch) => Uint8Array[];

/** Channel 0 of an image as class ids, checked against the size the model sees. */
function classIds(img: RawImage, H: number, W: number, what: string): Uint8Array {
  if (img.width !== W || img.height !== H) throw new ImageError('bad-mask', `${what} is ${img.width}x${img.height}, the model's input ${W}x${H}: give images and masks at the input size`);
  if (img.channels === 1 && img.data instanceof Uint8Array) return img.data;
  return Uint8Array.from({ length: H * W }, (_, i) => img.data[i * img.channels]);
}

/**
 * The masks of a run: `spec` is undefined (the data file's `masks` tensor), "nonzero", a folder
 * of PNG masks or a safetensors file. Returns undefined when there are none.
 */
export function maskProvider(spec: string | undefined, source: ImageSource, H: number, W: number): MaskProvider | undefined {
  const checkImages = (b: ImageBatch) => b.images.forEach((img, k) => {
    if (img.width !== W || img.height !== H) throw new ImageError('bad-mask', `${b.names[k]} is ${img.width}x${img.height}, the model's input ${W}x${H}: the localisation metric needs images (and masks) at the input size`);
  });
  if (spec === undefined) {
    if (!source.hasMasks) return undefined;
    return (b) => {
      checkImages(b);
      return b.masks!.map((m, k) => classIds({ data: m, width: b.images[k].width, height: b.images[k].height, channels: 1 }, H, W, `mask of ${b.names[k]}`));
    };
  }
  if (spec === 'nonzero') {
    if (!source.hasLabels) throw new ImageError('bad-mask', '--masks nonzero needs labels (a data file with a "labels" tensor): the non-zero pixels become the mask of the labelled class');
    return (b) => {
      checkImages(b);
      return b.images.map((img, k) => Uint8Array.from({ length: H * W }, (_, i) => (img.data[i * img.channels] > 0 ? b.labels![k] + 1 : 0)));
    };
  }
  if (!existsSync(spec)) throw new ImageError('no-file', `--masks ${spec}: no such file or folder`);
  if (statSync(spec).isDirectory()) {
    return (b) => {
      checkImages(b);
      return b.names.map((name) => {
        const file = join(spec, `${basename(name, extname(name))}.png`);
        if (!existsSync(file)) throw new ImageError('bad-mask', `no mask for ${name}: expected ${file}`);
        return classIds(readImageFileSync(file), H, W, file);
      });
    };
  }
  const masks = safetensorsSource(spec, Infinity, false, 'masks');
  if (source.kind !== 'safetensors' || masks.available !== source.available) {
    throw new ImageError('bad-mask', `--masks ${spec} holds ${masks.available} masks; a masks file pairs by index with a safetensors data file of as many images`);
  }
  return (b) => {
    checkImages(b);
    const idx = b.names.map((n) => Number(n.slice(n.lastIndexOf('#') + 1)));
    const [got] = [...masks.select(idx).batches(idx.length)];
    return got.images.map((img, k) => classIds(img, H, W, `${spec}#${idx[k]}`));
  };
}
