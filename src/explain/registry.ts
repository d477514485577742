/**
 * Every explanation method behind one signature, by name — what the CLI, the report and the
 * evaluation iterate over. Class-independent methods ignore the targets and return one map row.
 * Every entry returns patch-grid maps, so that methods can be drawn and scored side by side: the
 * pixel-level methods (saliency, gradient x input, IG, SmoothGrad) are pooled per patch here.
 */
import type { Tensor } from '../gpu/tensor.js';
import type { VisionTransformer } from '../model/vit.js';
import { tokenAblation } from './ablation.js';
import { attentionMaps } from './attention.js';
import { abnarRolloutMaps, attentionFlowMaps } from './attention-flow.js';
import { cdam } from './cdam.js';
import type { ProgressFn } from './chunks.js';
import { gradientRollout } from './grad-rollout.js';
import { gradCam } from './gradcam.js';
import type { ExplanationMaps } from './maps.js';
import { occlusion } from './occlusion.js';
import { relevance } from './relevance.js';
import { attentionRollout } from './rollout.js';
import { poolToPatches } from './pixel-maps.js';
import { gradientTimesInput, integratedGradients, saliency, smoothGrad } from './saliency.js';
import type { ClassSpec } from './class-specs.js';

export interface MethodContext {
  model: VisionTransformer;
  images: Tensor;
  targets: ClassSpec | readonly ClassSpec[];
  onProgress?: ProgressFn;
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
}

const m = (info: MethodInfo) => info;

export const METHODS: readonly MethodInfo[] = [
  m({ name: 'attention', usesClassToken: true, title: 'Last-block attention', classSpecific: false, description: 'CLS attention of the last block, mean over heads', run: async ({ model, images }) => {
    const last = await attentionMaps(model, images, 'mean', { layers: [model.config.depth - 1] });
    return { ...last, method: 'attention' };
  } }),
  m({ name: 'rollout', usesClassToken: true, title: 'Attention rollout', classSpecific: false, description: 'vit-explain rollout, mean fusion, no discard', run: ({ model, images }) => attentionRollout(model, images, { headFusion: 'mean', discardRatio: 0 }) }),
  m({ name: 'rollout-max', usesClassToken: true, title: 'Rollout (max, 0.9)', classSpecific: false, description: 'vit-explain rollout, max fusion, 90% discarded', run: ({ model, images }) => attentionRollout(model, images, { headFusion: 'max', discardRatio: 0.9 }) }),
  m({ name: 'rollout-abnar', usesClassToken: true, title: 'Rollout (Abnar)', classSpecific: false, description: 'Abnar & Zuidema rollout, rows normalised', run: ({ model, images }) => abnarRolloutMaps(model, images) }),
  m({ name: 'flow', usesClassToken: true, title: 'Attention flow', classSpecific: false, description: 'Abnar & Zuidema max-flow from CLS to each patch', run: ({ model, images, onProgress }) => attentionFlowMaps(model, images, { onProgress }) }),
  m({ name: 'grad-rollout', usesClassToken: true, title: 'Gradient rollout', classSpecific: true, description: 'vit-explain gradient rollout, discard 0.9, as the reference computes it', run: ({ model, images, targets }) => gradientRollout(model, images, targets, { discardRatio: 0.9 }) }),
  m({ name: 'relevance', usesClassToken: true, title: 'Relevance (Chefer)', classSpecific: true, description: 'Chefer et al. generic attention relevance', run: ({ model, images, targets }) => relevance(model, images, targets) }),
  m({ name: 'cdam', title: 'CDAM', classSpecific: true, description: 'class-discriminative attention map (signed)', run: ({ model, images, targets }) => cdam(model, images, targets) }),
  m({ name: 'gradcam', title: 'GradCAM', classSpecific: true, description: 'GradCAM on the last block norm1 (pytorch-grad-cam)', run: ({ model, images, targets }) => gradCam(model, images, targets) }),
  m({ name: 'tam', title: 'Token ablation', classSpecific: true, description: 'logit drop when one patch token is removed (signed)', run: ({ model, images, targets, onProgress }) => tokenAblation(model, images, targets, { onProgress }) }),
  m({ name: 'occlusion', aliases: ['blank-out', 'blankout'], title: 'Occlusion', classSpecific: true, description: 'probability drop when one patch is blacked out ("blank-out", signed)', run: ({ model, images, targets, onProgress }) => occlusion(model, images, targets, { onProgress }) }),
  m({ name: 'saliency', title: 'Saliency', classSpecific: true, description: '|d logit / d pixel|, summed per patch', run: async ({ model, images, targets }) => poolToPatches(model, await saliency(model, images, targets), 'sum') }),
  m({ name: 'grad-x-input', title: 'Gradient x input', classSpecific: true, description: 'gradient times input, summed per patch (signed)', run: async ({ model, images, targets }) => poolToPatches(model, await gradientTimesInput(model, images, targets), 'sum') }),
  m({ name: 'ig', title: 'Integrated gradients', classSpecific: true, description: 'Captum integrated gradients, black baseline, 32 trapezoid steps, summed per patch (signed)', run: async ({ model, images, targets, onProgress }) => poolToPatches(model, await integratedGradients(model, images, targets, { steps: 32, onProgress }), 'sum') }),
  m({ name: 'smoothgrad', title: 'SmoothGrad', classSpecific: true, description: 'mean |gradient| over 16 noisy copies (15% noise), summed per patch', run: async ({ model, images, targets, onProgress }) => poolToPatches(model, await smoothGrad(model, images, targets, { samples: 16, abs: true, onProgress }), 'sum') }),
];

/** The method called `name` (or one of its aliases), case-insensitive. */
export function methodByName(name: string): MethodInfo | undefined {
  const n = name.toLowerCase();
  return METHODS.find((x) => x.name === n || x.aliases?.includes(n));
}
