/**
 * vitlens/app — the embeddable explainer (DOM code; the `vitlens` entry stays free of it):
 *
 *   import { mountExplainer } from 'vitlens/app';
 *   const explainer = mountExplainer(document.getElementById('explain')!, { assetsBase: '/assets/', device });
 *
 * or the `<vitlens-explainer>` element (`defineExplainerElement()`). The bundled model and sample
 * images are served from `assetsBase` (fmnist-vit/ and images/, as `npm run build:app` lays them out).
 */
export { Explainer, mountExplainer, type ExplainerOptions, type ExplainerResult, type ExplainerLog } from './explainer.js';
export { VitlensExplainerElement, defineExplainerElement } from './element.js';
export { IMAGENET_CLASSES } from '../model/imagenet-classes.js';
