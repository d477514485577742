/**
 * Class-specific explanation methods take one or several targets (one backward carries them
 * all). A target is a class id for every image, `{ perImage: [...] }` (one id per image), or
 * 'top' / 'topK' (the predicted class, or the K best classes as K targets: picked on the GPU
 * inside the backward's own forward by `classTargets`, or from the logits by `resolveClasses`). A list of targets gives one map per target: `[3, 7]` explains classes 3 and 7.
 */
import { InputError } from '../errors.js';
import type { Tensor } from '../gpu/tensor.js';
import { rankClasses } from '../kernels/seeds.cpu.js';
import { checkRank, classIds, classTarget, rankTarget, unrankableLogits, type Target } from '../model/targets.js';
import type { VisionTransformer } from '../model/vit.js';

/** One explained class per image: the same id for all, one id per image, or the top prediction(s). */
export type ClassSpec = number | { perImage: readonly number[] } | 'top' | `top${number}`;

/** A parsed class spec: fixed class ids per image, or the class of a rank (1: predicted). */
type ParsedSpec = { ids: number[] } | { rank: number };

function parseSpecs(model: VisionTransformer, images: Tensor, specs: ClassSpec | readonly ClassSpec[]): ParsedSpec[] {
  const list: ClassSpec[] = Array.isArray(specs) ? [...(specs as ClassSpec[])] : [specs as ClassSpec];
  if (list.length === 0) throw new InputError('bad-targets', 'no targets given');
  const B = images.shape[0];
  const C = model.config.numClasses;
  if (C === 0) throw new InputError('no-logits', `${model.config.architecture} has no classifier: class targets need logits (use a concept target)`);
  const out: ParsedSpec[] = [];
  for (const s of list) {
    if (typeof s === 'string') {
      const m = /^top(\d*)$/.exec(s);
      if (!m) throw new InputError('bad-class', `class target "${s}" is not a class id, "top" or "topK"`);
      const k = checkRank(m[1] ? Number(m[1]) : 1, C, `"${s}"`);
      for (let i = 1; i <= k; i++) out.push({ rank: i });
    } else if (typeof s === 'number') {
      out.push({ ids: classIds(s, B, C) });
    } else if (s && typeof s === 'object' && Array.isArray(s.perImage)) {
      out.push({ ids: classIds(s.perImage, B, C) });
    } else {
      throw new InputError('bad-class', `target ${JSON.stringify(s)} is not a class id, { perImage: [...] }, "top" or "topK"`);
    }
  }
  return out;
}

/**
 * The targets of class specs for one backward, without running anything: 'top' / 'topK' become
 * rank targets, whose classes the GPU picks from the logits of the backward's own forward (so
 * explaining the predicted class costs one forward, like a fixed class). The classes explained
 * come back with the gradients (`GradientResult.classIds`).
 */
export function classTargets(model: VisionTransformer, images: Tensor, specs: ClassSpec | readonly ClassSpec[]): Target[] {
  return parseSpecs(model, images, specs).map((p) => ('rank' in p ? rankTarget(p.rank) : classTarget(p.ids)));
}

/**
 * Resolves targets to class ids per [t][b]; `topK` expands to K targets (rank 1..K, ranked by
 * `rankClasses`: logit descending, ties by the lower id). The ranking comes from `logitsOf()`
 * when given (logits the caller already has, [B, C]), else from a forward. NaN logits cannot be
 * ranked: InputError 'non-finite'.
 */
export async function resolveClasses(
  model: VisionTransformer,
  images: Tensor,
  specs: ClassSpec | readonly ClassSpec[],
  logitsOf?: () => Promise<Float32Array>,
): Promise<number[][]> {
  const parsed = parseSpecs(model, images, specs);
  const B = images.shape[0];
  const C = model.config.numClasses;
  const maxRank = Math.max(0, ...parsed.map((p) => ('rank' in p ? p.rank : 0)));
  let ranked: number[][] = [];
  if (maxRank > 0) {
    let logits: Float32Array;
    if (logitsOf) {
      logits = await logitsOf();
    } else {
      using r = model.forward(images);
      logits = await r.logits!.read();
    }
    ranked = Array.from({ length: B }, (_, b) => {
      const row = rankClasses(logits, b, C, maxRank);
      if (!row) throw unrankableLogits(b);
      return row;
    });
  }
  return parsed.map((p) => ('rank' in p ? ranked.map((row) => row[p.rank - 1]) : p.ids));
}
