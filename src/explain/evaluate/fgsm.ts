/**
 * The stability experiment of seed 000: attack the model with targeted FGSM restricted to the
 * region an explanation points at (its top-q patches) or to the rest of the image, and count the
 * steps until the prediction flips to the chosen target class. A faithful map should make the
 * inside attack succeed in fewer steps.
 *
 * Each step lowers the cross-entropy of the target: x <- x - eps * sign(d CE / dx) on the masked
 * patches (eps in pixel units, converted per channel), pixels kept valid. Inside and outside
 * attacks of a batch run together, one forward + backward per step.
 */
import { InputError } from '../../errors.js';
import type { Tensor } from '../../gpu/tensor.js';
import { fgsmStep } from '../../kernels/explain/fgsm.js';
import { softmax } from '../../model/predict.js';
import type { VisionTransformer } from '../../model/vit.js';
import { topIndices } from './metrics.js';

export interface FgsmOptions {
  /** Share of patches in the explanation's region (default 0.1). */
  q?: number;
  /** Step size in pixel units (default 1/255). */
  eps?: number;
  maxSteps?: number;
  /** Target class per image; default the second most likely class. */
  targets?: readonly number[];
}

export interface FgsmResult {
  targets: number[];
  /** Steps until the prediction became the target (maxSteps + 1 when it never did). */
  inside: number[];
  outside: number[];
}

export async function fgsmInsideOutside(model: VisionTransformer, images: Tensor, maps: readonly Float32Array[], opts: FgsmOptions = {}): Promise<FgsmResult> {
  const { ctx, config } = model;
  const [B, C, H, W] = images.shape;
  const [gh, gw] = model.gridFor(H, W);
  const P = gh * gw;
  const K = config.numClasses;
  if (maps.length !== B || maps.some((m) => m.length !== P)) throw new InputError('bad-shape', `need ${B} maps of ${P} patches`);
  const q = opts.q ?? 0.1;
  const maxSteps = opts.maxSteps ?? 20;
  const { mean, std } = config.pretrained;
  const eps = opts.eps ?? 1 / 255;
  const first = model.forward(images);
  const logits0 = await first.logits!.read();
  first.release();
  const targets = opts.targets
    ? [...opts.targets]
    : Array.from({ length: B }, (_, b) => topIndices(logits0.subarray(b * K, (b + 1) * K), 2)[1]);
  // Rows 0..B-1 attack inside the region, rows B..2B-1 outside it.
  const k = Math.max(1, Math.round(q * P));
  const mask = new Float32Array(2 * B * P);
  for (let b = 0; b < B; b++) {
    mask.fill(1, (B + b) * P, (B + b + 1) * P);
    for (const p of topIndices(maps[b], k)) {
      mask[b * P + p] = 1;
      mask[(B + b) * P + p] = 0;
    }
  }
  const x = ctx.empty([2 * B, C, H, W]);
  ctx.copy(images, 0, x, 0, images.byteSize);
  ctx.copy(images, 0, x, images.byteSize, images.byteSize);
  const maskT = ctx.upload(mask, [2 * B, P]);
  const channel = ctx.upload(Float32Array.from({ length: 3 * C }, (_, i) => {
    const c = Math.floor(i / 3);
    return [(0 - mean[c]) / std[c], (1 - mean[c]) / std[c], eps / std[c]][i % 3];
  }));
  const steps = new Array<number>(2 * B).fill(maxSteps + 1);
  const active = new Float32Array(2 * B).fill(1);
  try {
    for (let step = 0; step <= maxSteps; step++) {
      const fwd = model.forward(x, { record: step < maxSteps });
      const logits = await fwd.logits!.read();
      const seed = new Float32Array(2 * B * K);
      for (let r = 0; r < 2 * B; r++) {
        const row = logits.subarray(r * K, (r + 1) * K);
        const t = targets[r % B];
        if (active[r] && topIndices(row, 1)[0] === t) {
          active[r] = 0;
          steps[r] = step;
        }
        // d CE(target) / d logits = softmax - onehot(target)
        const p = softmax(row);
        for (let c = 0; c < K; c++) seed[r * K + c] = p[c] - (c === t ? 1 : 0);
      }
      if (step === maxSteps || active.every((a) => a === 0)) {
        fwd.release();
        break;
      }
      const bw = model.backward(fwd, { at: 'logits', grad: ctx.upload(seed, [2 * B, K]), T: 1 }, ['input']);
      fwd.release();
      const activeT = ctx.upload(active);
      const g = bw.grads.get('input')!;
      fgsmStep(ctx, { grad: g, mask: maskT, active: activeT, channel, x, B: 2 * B, C, H, W, ph: config.patchSize[0], pw: config.patchSize[1], gw, P });
      g.release();
      activeT.release();
    }
  } finally {
    for (const t of [x, maskT, channel]) t.release();
  }
  return { targets, inside: steps.slice(0, B), outside: steps.slice(B) };
}
