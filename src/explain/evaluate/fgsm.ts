/**
 * The stability experiment of seed 000: attack the model with targeted FGSM restricted to the
 * region an explanation points at (its top-q patches) or to the rest of the image, and count the
 * steps until the prediction flips to the chosen target class. A map that points at what the
 * model uses should make the inside attack succeed in fewer steps — although the inside region
 * is q of the image and the outside 1 - q of it (9 times more pixels at q = 0.1), so a random
 * map (the evaluation's `random` control) is the fair comparison for "inside".
 *
 * Each step lowers the cross-entropy of the target: x <- x - eps * sign(d CE / dx) on the masked
 * patches (eps in pixel units [0, 1], converted per channel), pixels kept in the valid range,
 * pixels outside the mask untouched. Inside and outside attacks of a batch run together, one
 * forward + backward per step; images that reached their target stop changing.
 */
import { InputError } from '../../errors.js';
import type { Tensor } from '../../gpu/tensor.js';
import { fgsmStep } from '../../kernels/explain/fgsm.js';
import { softmax } from '../../model/predict.js';
import type { VisionTransformer } from '../../model/vit.js';
import { chunkSize } from '../chunks.js';
import { rankOrder, topCount, topIndices } from './metrics.js';

export interface FgsmOptions {
  /** Share of patches in the explanation's region (default 0.1). */
  q?: number;
  /** Step size in pixel units, pixels in [0, 1] (default 2/255). */
  eps?: number;
  /** Budget of steps (default 40). */
  maxSteps?: number;
  /** Target class per image; default the second most likely class. */
  targets?: readonly number[];
}

export const FGSM_DEFAULTS = { q: 0.1, eps: 2 / 255, maxSteps: 40 } as const;

export interface FgsmResult {
  targets: number[];
  /** Steps until the prediction became the target (maxSteps + 1 when it never did). */
  inside: number[];
  outside: number[];
}

/** The second most likely class of each image (the default attack target). */
export async function runnerUpClasses(model: VisionTransformer, images: Tensor): Promise<number[]> {
  const K = model.config.numClasses;
  const r = model.forward(images);
  try {
    const logits = await r.logits!.read();
    return Array.from({ length: images.shape[0] }, (_, b) => topIndices(logits.subarray(b * K, (b + 1) * K), 2)[1]);
  } finally {
    r.release();
  }
}

export interface MaskedFgsmOptions {
  eps?: number;
  maxSteps?: number;
  /** Return the attacked images (the caller releases them). */
  keepImages?: boolean;
  /** Rows attacked together at most (default: from a 64 MiB activation budget). */
  chunk?: number;
}

export interface MaskedFgsmResult {
  /** Per row: steps until the prediction became the target (maxSteps + 1 when it never did). */
  steps: number[];
  /** [R, C, H, W], only with keepImages. */
  images?: Tensor;
}

/**
 * Targeted FGSM on rows r = 0..R-1: row r attacks image imageOf[r] towards targets[r], changing
 * only the patches with masks[r * P + p] != 0. A row stops when its prediction is the target.
 * Rows go through the model together (in chunks); when half of a chunk's rows are done, the
 * rest are compacted so that finished rows cost nothing.
 */
export async function maskedFgsm(
  model: VisionTransformer,
  images: Tensor,
  rows: { imageOf: readonly number[]; targets: readonly number[]; masks: Float32Array },
  opts: MaskedFgsmOptions = {},
): Promise<MaskedFgsmResult> {
  const { ctx, config } = model;
  const [B, C, H, W] = images.shape;
  const [gh, gw] = model.gridFor(H, W);
  const P = gh * gw;
  const K = config.numClasses;
  const R = rows.imageOf.length;
  if (K === 0) throw new InputError('no-logits', `${config.architecture} has no classifier: FGSM needs class logits`);
  if (rows.targets.length !== R || rows.masks.length !== R * P) throw new InputError('bad-shape', `need ${R} targets and ${R} x ${P} mask values`);
  if (rows.imageOf.some((b) => !(Number.isInteger(b) && b >= 0 && b < B))) throw new InputError('bad-shape', `image indices must be in 0..${B - 1}`);
  if (rows.targets.some((t) => !(Number.isInteger(t) && t >= 0 && t < K))) throw new InputError('bad-class', `attack targets must be class ids in 0..${K - 1}`);
  const eps = opts.eps ?? FGSM_DEFAULTS.eps;
  const maxSteps = opts.maxSteps ?? FGSM_DEFAULTS.maxSteps;
  if (!(eps > 0)) throw new InputError('bad-option', `FGSM step must be > 0, got ${eps}`);
  if (!(Number.isInteger(maxSteps) && maxSteps >= 0)) throw new InputError('bad-option', `FGSM budget must be an integer >= 0, got ${maxSteps}`);
  const { mean, std } = config.pretrained;
  const n = C * H * W * 4;
  const steps = new Array<number>(R).fill(maxSteps + 1);
  const chunk = Math.max(1, opts.chunk ?? chunkSize(model, model.numPrefix + P));
  const channel = ctx.upload(Float32Array.from({ length: 3 * C }, (_, i) => {
    const c = Math.floor(i / 3);
    return [(0 - mean[c]) / std[c], (1 - mean[c]) / std[c], eps / std[c]][i % 3];
  }));
  const final = opts.keepImages ? ctx.empty([R, C, H, W]) : null;
  try {
    for (let first = 0; first < R; first += chunk) {
      await attackChunk(Array.from({ length: Math.min(chunk, R - first) }, (_, i) => first + i));
    }
  } catch (e) {
    final?.release();
    throw e;
  } finally {
    channel.release();
  }
  return final ? { steps, images: final } : { steps };

  /** Attacks the given rows until each reached its target or the budget ran out. */
  async function attackChunk(ids: number[]): Promise<void> {
    // x holds the rows still attacked, live[i] = their row ids.
    let live = ids;
    let x = ctx.empty([live.length, C, H, W]);
    let maskT: Tensor | null = null;
    const upload = () => {
      maskT?.release();
      const m = new Float32Array(live.length * P);
      live.forEach((r, i) => m.set(rows.masks.subarray(r * P, (r + 1) * P), i * P));
      maskT = ctx.upload(m, [live.length, P]);
    };
    try {
      live.forEach((r, i) => ctx.copy(images, rows.imageOf[r] * n, x, i * n, n));
      upload();
      for (let step = 0; step <= maxSteps; step++) {
        const fwd = model.forward(x, { record: step < maxSteps });
        let logits: Float32Array;
        try {
          logits = await fwd.logits!.read();
        } catch (e) {
          fwd.release();
          throw e;
        }
        // Rows that reached their target earlier (and were not compacted away yet) stay inactive.
        const active = Float32Array.from(live, (r) => (steps[r] <= maxSteps ? 0 : 1));
        const seed = new Float32Array(live.length * K);
        live.forEach((r, i) => {
          const row = logits.subarray(i * K, (i + 1) * K);
          const t = rows.targets[r];
          if (active[i] && topIndices(row, 1)[0] === t) {
            active[i] = 0;
            steps[r] = step;
            if (final) ctx.copy(x, i * n, final, r * n, n);
          }
          // d CE(target) / d logits = softmax - onehot(target)
          const p = softmax(row);
          for (let c = 0; c < K; c++) seed[i * K + c] = p[c] - (c === t ? 1 : 0);
        });
        if (step === maxSteps || active.every((a) => a === 0)) {
          fwd.release();
          if (final) live.forEach((r, i) => active[i] && ctx.copy(x, i * n, final, r * n, n));
          break;
        }
        const bw = model.backward(fwd, { at: 'logits', grad: ctx.upload(seed, [live.length, K]), T: 1 }, ['input']);
        fwd.release();
        const g = bw.grads.get('input')!;
        const activeT = ctx.upload(active);
        fgsmStep(ctx, { grad: g, mask: maskT!, active: activeT, channel, x, B: live.length, C, H, W, ph: config.patchSize[0], pw: config.patchSize[1], gw, P });
        g.release();
        activeT.release();
        const still = live.filter((_, i) => active[i]);
        if (still.length <= live.length / 2) {
          // Compact: keep only the rows still attacked.
          const y = ctx.empty([still.length, C, H, W]);
          let k = 0;
          live.forEach((_, i) => active[i] && ctx.copy(x, i * n, y, k++ * n, n));
          x.release();
          x = y;
          live = still;
          upload();
        }
      }
    } finally {
      x.release();
      (maskT as Tensor | null)?.release();
    }
  }
}

/** Mask of the top share q of a map's patches (ties in a fixed pseudo-random patch order). */
export function regionMask(map: ArrayLike<number>, q: number): Float32Array {
  const mask = new Float32Array(map.length);
  for (const p of rankOrder(map).slice(0, topCount(map.length, q))) mask[p] = 1;
  return mask;
}

export async function fgsmInsideOutside(model: VisionTransformer, images: Tensor, maps: readonly Float32Array[], opts: FgsmOptions = {}): Promise<FgsmResult> {
  return (await fgsmInsideOutsideMany(model, images, [maps], opts))[0];
}

/**
 * fgsmInsideOutside for several map sets (one per method) over the same images, all attacks in
 * one batched run: rows (set, image, inside | outside).
 */
export async function fgsmInsideOutsideMany(model: VisionTransformer, images: Tensor, sets: readonly (readonly Float32Array[])[], opts: FgsmOptions = {}): Promise<FgsmResult[]> {
  const [B, , H, W] = images.shape;
  const [gh, gw] = model.gridFor(H, W);
  const P = gh * gw;
  for (const maps of sets) if (maps.length !== B || maps.some((m) => m.length !== P)) throw new InputError('bad-shape', `need ${B} maps of ${P} patches`);
  const q = opts.q ?? FGSM_DEFAULTS.q;
  if (!(q > 0 && q < 1)) throw new InputError('bad-option', `FGSM region share q must be in (0, 1), got ${q}`);
  if (opts.targets && opts.targets.length !== B) throw new InputError('bad-shape', `need ${B} attack targets, got ${opts.targets.length}`);
  const targets = opts.targets ? [...opts.targets] : await runnerUpClasses(model, images);
  // Row (s * 2 + side) * B + b: set s, image b, inside (side 0) or outside (side 1) the region.
  const R = sets.length * 2 * B;
  const masks = new Float32Array(R * P);
  const imageOf: number[] = [];
  const rowTargets: number[] = [];
  sets.forEach((maps, s) => {
    for (let b = 0; b < B; b++) {
      const inside = regionMask(maps[b], q);
      masks.set(inside, ((s * 2) * B + b) * P);
      masks.set(inside.map((v) => 1 - v), ((s * 2 + 1) * B + b) * P);
    }
    for (let side = 0; side < 2; side++) {
      for (let b = 0; b < B; b++) {
        imageOf.push(b);
        rowTargets.push(targets[b]);
      }
    }
  });
  const { steps } = await maskedFgsm(model, images, { imageOf, targets: rowTargets, masks }, opts);
  return sets.map((_, s) => ({ targets, inside: steps.slice(s * 2 * B, (s * 2 + 1) * B), outside: steps.slice((s * 2 + 1) * B, (s * 2 + 2) * B) }));
}
