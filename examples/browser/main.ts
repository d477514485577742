/**
 * The vitlens app: the embeddable explainer (`vitlens/app`) mounted on a page of its own. It is
 * what `npm run build:app` builds into dist-app/ and what `npm run example:browser` serves.
 *
 * ?kernels=tiled or ?kernels=simd overrides vitlens' choice of kernel family, to compare them.
 * The explainer is also `window.vitlensApp`, for the browser test (test/browser/) and the console.
 */
import { mountExplainer } from 'vitlens/app';

const forced = new URLSearchParams(location.search).get('kernels');
const explainer = mountExplainer(document.getElementById('app')!, {
  assetsBase: 'assets/',
  dropTarget: 'page',
  kernelFamily: forced === 'simd' || forced === 'tiled' ? forced : undefined,
});
(window as unknown as { vitlensApp: typeof explainer }).vitlensApp = explainer;
explainer.ready.catch(() => {}); // the explainer shows the error in the page
