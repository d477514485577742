/** Explanation methods: one module per method family, each a batched function over the model's taps. */
export { attentionMaps, clsAttention, queryKeyMaps, type RawAttention, type QueryKeyMaps } from './attention.js';
export { attentionRollout, type RolloutOptions } from './rollout.js';
export { gradientRollout, type GradRolloutOptions } from './grad-rollout.js';
export { relevance } from './relevance.js';
export { cdam, conceptCdam, conceptVector } from './cdam.js';
export { tokenAblation, type AblationOptions } from './ablation.js';
export { attentionFlowMaps, abnarRolloutMaps, type FlowMapOptions } from './attention-flow.js';
export { attentionFlow, abnarRollout, attentionGraph, type AttentionFlowOptions, type FlowVariant } from './attention-graph.js';
export { gradCam, type GradCamMaps } from './gradcam.js';
export { occlusion, type OcclusionOptions } from './occlusion.js';
export { normalizedFill } from './baselines.js';
export {
  saliency, gradientTimesInput, integratedGradients, smoothGrad, integrationRule,
  type IntegratedGradientsMaps, type IntegratedGradientsOptions, type SmoothGradOptions, type IgMethod,
} from './saliency.js';
export { poolToPatches, pixelMap, patchGrid, type PixelMaps, type ChannelReduction } from './pixel-maps.js';
export { activationMaximization, type Unit, type ActivationMaxOptions, type ActivationMaxResult } from './activation-max.js';
export { resolveClasses, type ClassSpec } from './class-specs.js';
export { maxNormalize, minMaxScale, type ExplanationMaps } from './maps.js';
export { METHODS, methodByName, type MethodInfo, type MethodContext } from './registry.js';
