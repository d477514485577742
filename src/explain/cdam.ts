/**
 * Class-discriminative attention maps (Brocki & Chung 2023), as the authors' CDAM notebook
 * computes them: for the tokens T entering the last block's attention (its norm1 output) and a
 * score s, S_i = sum_d T_id * ds/dT_id over the patch tokens i — signed, unclipped, at grid
 * resolution. The score is a class logit (class-based CDAM) or the dot product of the final
 * feature with a concept vector (concept-based CDAM); all targets share one backward.
 */
import { InputError } from '../errors.js';
import type { Tensor } from '../gpu/tensor.js';
import { tokenDot } from '../kernels/explain/token-dot.js';
import { gradients } from '../model/gradients.js';
import { conceptTarget, type Target } from '../model/targets.js';
import type { VisionTransformer } from '../model/vit.js';
import { readMaps, type ExplanationMaps } from './maps.js';
import { classTargets, type ClassSpec } from './class-specs.js';
import { tapOf, type ForwardTaps, type TargetGradients } from './sources.js';

async function cdamFor(model: VisionTransformer, images: Tensor, targets: Target[], method: string, withClasses = false): Promise<ExplanationMaps> {
  const last = cdamTap(model);
  using g = gradients(model, images, targets, { taps: [last], grads: [last] });
  const maps = await cdamFrom(model, g.forward, g, method);
  return withClasses ? { ...maps, classes: await g.classIds() } : maps;
}

/** The tap CDAM reads (forward tensor and gradient): the last block's norm1 output. */
export function cdamTap(model: VisionTransformer): string {
  return `tokens.${model.config.depth - 1}`;
}

/** CDAM from the kept last-block tokens and the targets' gradients there. */
export async function cdamFrom(model: VisionTransformer, fwd: ForwardTaps, g: TargetGradients, method = 'cdam'): Promise<ExplanationMaps> {
  const { ctx, config } = model;
  const last = cdamTap(model);
  const T = g.T;
  const { B, N } = fwd;
  const NP = model.numPrefix;
  const P = N - NP;
  using scores = ctx.empty([T * B, P]);
  tokenDot(ctx, tapOf(fwd, last), tapOf(g, last), scores, { Z: T * B, B, N, D: config.embedDim, first: NP, count: P });
  const maps = await readMaps(scores, T, B);
  return { method, grid: fwd.grid, signed: true, maps };
}

/** Class-based CDAM for each class spec (several classes in one backward). */
export async function cdam(model: VisionTransformer, images: Tensor, classes: ClassSpec | readonly ClassSpec[]): Promise<ExplanationMaps> {
  return cdamFor(model, images, classTargets(model, images, classes), 'cdam', true);
}

/**
 * Concept-based CDAM: one map per concept vector ([D], or [B*D] with one vector per image).
 * Build a concept from example images with `conceptVector`.
 */
export async function conceptCdam(model: VisionTransformer, images: Tensor, concepts: Float32Array | readonly Float32Array[]): Promise<ExplanationMaps> {
  const list = concepts instanceof Float32Array ? [concepts] : [...concepts];
  if (list.length === 0) throw new InputError('bad-targets', 'no concept vectors given');
  return cdamFor(model, images, list.map((v) => conceptTarget(v)), 'cdam-concept');
}

/** A concept vector: the mean final feature (latent) of example images, as the CDAM paper builds them. */
export async function conceptVector(model: VisionTransformer, examples: Tensor): Promise<Float32Array> {
  using r = model.forward(examples);
  const latent = await r.latent.read();
  const D = model.config.embedDim;
  const out = new Float32Array(D);
  for (let b = 0; b < r.B; b++) for (let d = 0; d < D; d++) out[d] += latent[b * D + d] / r.B;
  return out;
}
