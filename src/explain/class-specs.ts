/**
 * Class-specific explanation methods take one or several targets (one backward carries them
 * all). A target is a class id for every image, `{ perImage: [...] }` (one id per image), or
 * 'top' / 'topK' (the predicted class, or the K best classes as K targets, from one extra
 * forward). A list of targets gives one map per target: `[3, 7]` explains classes 3 and 7.
 */
import { InputError } from '../errors.js';
import type { Tensor } from '../gpu/tensor.js';
import { classIds } from '../model/targets.js';
import type { VisionTransformer } from '../model/vit.js';

/** One explained class per image: the same id for all, one id per image, or the top prediction(s). */
export type ClassSpec = number | { perImage: readonly number[] } | 'top' | `top${number}`;

/**
 * Resolves targets to class ids per [t][b]; `topK` expands to K targets (rank 1..K). The ranking
 * comes from `logitsOf()` when given (logits the caller already has, [B, C]), else from a forward.
 */
export async function resolveClasses(
  model: VisionTransformer,
  images: Tensor,
  specs: ClassSpec | readonly ClassSpec[],
  logitsOf?: () => Promise<Float32Array>,
): Promise<number[][]> {
  const list: ClassSpec[] = Array.isArray(specs) ? [...(specs as ClassSpec[])] : [specs as ClassSpec];
  if (list.length === 0) throw new InputError('bad-targets', 'no targets given');
  const B = images.shape[0];
  const C = model.config.numClasses;
  if (C === 0) throw new InputError('no-logits', `${model.config.architecture} has no classifier: class targets need logits (use a concept target)`);
  let ranked: number[][] | null = null;
  const ranking = async () => {
    if (!ranked) {
      let logits: Float32Array;
      if (logitsOf) {
        logits = await logitsOf();
      } else {
        using r = model.forward(images);
        logits = await r.logits!.read();
      }
      ranked = Array.from({ length: B }, (_, b) =>
        Array.from({ length: C }, (_, c) => c).sort((x, y) => logits[b * C + y] - logits[b * C + x]),
      );
    }
    return ranked;
  };
  const out: number[][] = [];
  for (const s of list) {
    if (typeof s === 'string') {
      const m = /^top(\d*)$/.exec(s);
      if (!m) throw new InputError('bad-class', `class target "${s}" is not a class id, "top" or "topK"`);
      const k = m[1] ? Number(m[1]) : 1;
      if (k < 1 || k > C) throw new InputError('bad-class', `"${s}": K must be between 1 and ${C}`);
      const r = await ranking();
      for (let i = 0; i < k; i++) out.push(r.map((row) => row[i]));
    } else if (typeof s === 'number') {
      out.push(classIds(s, B, C));
    } else if (s && typeof s === 'object' && Array.isArray(s.perImage)) {
      out.push(classIds(s.perImage, B, C));
    } else {
      throw new InputError('bad-class', `target ${JSON.stringify(s)} is not a class id, { perImage: [...] }, "top" or "topK"`);
    }
  }
  return out;
}
