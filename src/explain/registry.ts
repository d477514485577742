/**
 * Every explanation method behind one signature, by name — what the CLI, the report and the
 * evaluation iterate over. Class-independent methods ignore the targets and return one map row.
 * Every entry returns patch-grid maps, so that methods can be drawn and scored side by side: the
 * pixel-level methods (saliency, gradient x input, IG, SmoothGrad) are pooled per patch here.
 */
import type { Tensor } from '../gpu/tensor.js';
import type { VisionTransformer } from '../model/vit.js';
import { tokenAblation } from './ablation.js';
import { attentionMaps, clsAttentionFrom, fuseClsAttention } from './attention.js';
import { abnarMapsFrom, abnarRolloutMaps, attentionFlowMaps, flowMapsFrom, type AttentionStack } from './attention-flow.js';
import { cdam, cdamFrom, cdamTap } from './cdam.js';
import type { ProgressFn } from './chunks.js';
import { gradientRollout, gradRolloutFrom, gradRolloutGrads, type GradRolloutOptions } from './grad-rollout.js';
import { gradCam, gradCamFrom, gradCamTap } from './gradcam.js';
import type { ExplanationMaps } from './maps.js';
import { occlusion } from './occlusion.js';
import { relevance, relevanceFrom } from './relevance.js';
import { attentionRollout, rolloutFrom, type RolloutOptions } from './rollout.js';
import { poolToPatches } from './pixel-maps.js';
import {
  gradientTimesInput, gradientTimesInputFrom, inputGradientsOf, integratedGradients, saliency, saliencyFrom, smoothGrad,
} from './saliency.js';
import type { ClassSpec } from './class-specs.js';
import type { ForwardTaps, TargetGradients } from './sources.js';


export interface MethodContext {
  model: VisionTransformer;
  images: Tensor;
  targets: ClassSpec | readonly ClassSpec[];
  onProgress?: ProgressFn;
}

/**
 * What a derivation gets (session.ts): the kept forward taps, and for class-specific methods the
 * class ids per [t][b] with their gradients; CPU views of them computed once per session.
 */
export interface DeriveContext {
  model: VisionTransformer;
  images: Tensor;
  /** The forward's kept taps: at least those every derivation's `taps` names. */
  fwd: ForwardTaps;
  /** Class ids per [t][b] (class-specific methods; empty otherwise). */
  ids: number[][];
  /** Gradients of `ids`: at least those the derivation's `grads` names (T = 0 for class-independent methods). */
  g: TargetGradients;
  /** Every block's attention per image, read back once. */
  attentionStack(): Promise<AttentionStack>;
  /** The images' values, read back once. */
  imageValues(): Promise<Float32Array>;
  onProgress?: ProgressFn;
}

/** How a method's map is computed from a forward's taps and one backward's gradients, without running the model. */
export interface Derivation {
  /** Forward taps the map reads. */
  taps(model: VisionTransformer): string[];
  /** Gradient taps the map reads (class-specific methods). */
  grads?(model: VisionTransformer): string[];
  map(c: DeriveContext): Promise<ExplanationMaps>;
}

export interface MethodInfo {
  name: string;
  title: string;
  /** Depends on the explained class. */
  classSpecific: boolean;
  /** One sentence for help texts and reports. */
  description: string;
  /** Reads the class token's row: refused (InputError 'no-class-token') by models without one. */
  usesClassToken?: boolean;
  /** Other names the method is known by (accepted by methodByName and the CLI). */
  aliases?: readonly string[];
  run(c: MethodContext): Promise<ExplanationMaps>;
  /**
   * Present when the map can be derived from kept taps and gradients (explanation sessions);
   * absent for methods that run extra forwards by nature (ablation, occlusion, IG, SmoothGrad).
   * It computes what `run` computes, with the same function.
   */
  derive?: Derivation;
}

const m = (info: MethodInfo) => info;

// Each method's options, stated once for `run` and `derive`.
const ROLLOUT: RolloutOptions = { headFusion: 'mean', discardRatio: 0 };
const ROLLOUT_MAX: RolloutOptions = { headFusion: 'max', discardRatio: 0.9 };
const GRAD_ROLLOUT: GradRolloutOptions = { discardRatio: 0.9 };
const lastAttention = (model: VisionTransformer) => [model.config.depth - 1];
const allAttention = () => ['attn.*'];

export const METHODS: readonly MethodInfo[] = [
  m({
    name: 'attention', usesClassToken: true, title: 'Last-block attention', classSpecific: false, description: 'CLS attention of the last block, mean over heads',
    run: async ({ model, images }) => ({ ...(await attentionMaps(model, images, 'mean', { layers: lastAttention(model) })), method: 'attention' }),
    derive: { taps: allAttention, map: async ({ model, fwd }) => ({ ...fuseClsAttention(await clsAttentionFrom(model, fwd, lastAttention(model)), 'mean'), method: 'attention' }) },
  }),
  m({
    name: 'rollout', usesClassToken: true, title: 'Attention rollout', classSpecific: false, description: 'vit-explain rollout, mean fusion, no discard',
    run: ({ model, images }) => attentionRollout(model, images, ROLLOUT),
    derive: { taps: allAttention, map: ({ model, fwd }) => rolloutFrom(model, fwd, ROLLOUT) },
  }),
  m({
    name: 'rollout-max', usesClassToken: true, title: 'Rollout (max, 0.9)', classSpecific: false, description: 'vit-explain rollout, max fusion, 90% discarded',
    run: ({ model, images }) => attentionRollout(model, images, ROLLOUT_MAX),
    derive: { taps: allAttention, map: ({ model, fwd }) => rolloutFrom(model, fwd, ROLLOUT_MAX) },
  }),
  m({
    name: 'rollout-abnar', usesClassToken: true, title: 'Rollout (Abnar)', classSpecific: false, description: 'Abnar & Zuidema rollout, rows normalised',
    run: ({ model, images }) => abnarRolloutMaps(model, images),
    derive: { taps: allAttention, map: async ({ model, attentionStack }) => abnarMapsFrom(model, await attentionStack()) },
  }),
  m({
    name: 'flow', usesClassToken: true, title: 'Attention flow', classSpecific: false, description: 'Abnar & Zuidema max-flow from CLS to each patch',
    run: ({ model, images, onProgress }) => attentionFlowMaps(model, images, { onProgress }),
    derive: { taps: allAttention, map: async ({ model, attentionStack, onProgress }) => flowMapsFrom(model, await attentionStack(), { onProgress }) },
  }),
  m({
    name: 'grad-rollout', usesClassToken: true, title: 'Gradient rollout', classSpecific: true, description: 'vit-explain gradient rollout, discard 0.9, as the reference computes it',
    run: ({ model, images, targets }) => gradientRollout(model, images, targets, GRAD_ROLLOUT),
    derive: { taps: allAttention, grads: () => [gradRolloutGrads(GRAD_ROLLOUT)], map: ({ model, fwd, g, ids }) => gradRolloutFrom(model, fwd, g, ids, GRAD_ROLLOUT) },
  }),
  m({
    name: 'relevance', usesClassToken: true, title: 'Relevance (Chefer)', classSpecific: true, description: 'Chefer et al. generic attention relevance',
    run: ({ model, images, targets }) => relevance(model, images, targets),
    derive: { taps: allAttention, grads: allAttention, map: ({ model, fwd, g, ids }) => relevanceFrom(model, fwd, g, ids) },
  }),
  m({
    name: 'cdam', title: 'CDAM', classSpecific: true, description: 'class-discriminative attention map (signed)',
    run: ({ model, images, targets }) => cdam(model, images, targets),
    derive: { taps: (model) => [cdamTap(model)], grads: (model) => [cdamTap(model)], map: async ({ model, fwd, g, ids }) => ({ ...(await cdamFrom(model, fwd, g)), classes: ids }) },
  }),
  m({
    name: 'gradcam', title: 'GradCAM', classSpecific: true, description: 'GradCAM on the last block norm1 (pytorch-grad-cam)',
    run: ({ model, images, targets }) => gradCam(model, images, targets),
    derive: { taps: (model) => [gradCamTap(model)], grads: (model) => [gradCamTap(model)], map: ({ model, fwd, g, ids }) => gradCamFrom(model, fwd, g, ids) },
  }),
  m({ name: 'tam', title: 'Token ablation', classSpecific: true, description: 'logit drop when one patch token is removed (signed)', run: ({ model, images, targets, onProgress }) => tokenAblation(model, images, targets, { onProgress }) }),
  m({ name: 'occlusion', aliases: ['blank-out', 'blankout'], title: 'Occlusion', classSpecific: true, description: 'probability drop when one patch is blacked out ("blank-out", signed)', run: ({ model, images, targets, onProgress }) => occlusion(model, images, targets, { onProgress }) }),
  m({
    name: 'saliency', title: 'Saliency', classSpecific: true, description: '|d logit / d pixel|, summed per patch',
    run: async ({ model, images, targets }) => poolToPatches(model, await saliency(model, images, targets), 'sum'),
    derive: { taps: () => [], grads: () => ['input'], map: async ({ model, images, g, ids }) => poolToPatches(model, saliencyFrom(images, await inputGradientsOf(g, images.shape[0]), ids), 'sum') },
  }),
  m({
    name: 'grad-x-input', title: 'Gradient x input', classSpecific: true, description: 'gradient times input, summed per patch (signed)',
    run: async ({ model, images, targets }) => poolToPatches(model, await gradientTimesInput(model, images, targets), 'sum'),
    derive: {
      taps: () => [], grads: () => ['input'],
      map: async ({ model, images, g, ids, imageValues }) => poolToPatches(model, gradientTimesInputFrom(images, await imageValues(), await inputGradientsOf(g, images.shape[0]), ids), 'sum'),
    },
  }),
  m({ name: 'ig', title: 'Integrated gradients', classSpecific: true, description: 'Captum integrated gradients, black baseline, 32 trapezoid steps, summed per patch (signed)', run: async ({ model, images, targets, onProgress }) => poolToPatches(model, await integratedGradients(model, images, targets, { steps: 32, onProgress }), 'sum') }),
  m({ name: 'smoothgrad', title: 'SmoothGrad', classSpecific: true, description: 'mean |gradient| over 16 noisy copies (15% noise), summed per patch', run: async ({ model, images, targets, onProgress }) => poolToPatches(model, await smoothGrad(model, images, targets, { samples: 16, abs: true, onProgress }), 'sum') }),
];

/** The method called `name` (or one of its aliases), case-insensitive. */
export function methodByName(name: string): MethodInfo | undefined {
  const n = name.toLowerCase();
  return METHODS.find((x) => x.name === n || x.aliases?.includes(n));
}
