/**
 * The vitlens app: the embeddable explainer (`vitlens/app`) mounted on a page of its own. It is
 * what `npm run build:app` builds into dist-app/ and what `npm run example:browser` serves.
 *
 * ?kernels=tiled or ?kernels=simd overrides vitlens' choice of kernel family, to compare them.
 * ?element mounts it the other documented way: a `<vitlens-explainer>` element given the page's
 * own GPUDevice, as an app that already uses WebGPU would.
 * The explainer is also `window.vitlensApp`, for the browser test (test/browser/) and the console.
 */
import { defineExplainerElement, mountExplainer, type Explainer, type VitlensExplainerElement } from 'vitlens/app';

const query = new URLSearchParams(location.search);
const forced = query.get('kernels');
const kernelFamily = forced === 'simd' || forced === 'tiled' ? forced : undefined;
const host = document.getElementById('app')!;

async function asElement(): Promise<Explainer> {
  defineExplainerElement();
  const el = document.createElement('vitlens-explainer') as VitlensExplainerElement;
  el.setAttribute('assets-base', 'assets/');
  el.setAttribute('drop', 'page');
  if (kernelFamily) el.setAttribute('kernels', kernelFamily);
  // The page's own device (an app with WebGPU of its own passes the device it already has).
  const adapter = await navigator.gpu?.requestAdapter();
  if (adapter) el.device = await adapter.requestDevice({ requiredFeatures: adapter.features.has('subgroups') ? ['subgroups'] : [] });
  host.append(el); // connecting it starts the explainer
  return el.explainer!;
}

const explainer = query.has('element') ? await asElement() : mountExplainer(host, { assetsBase: 'assets/', dropTarget: 'page', kernelFamily });
(window as unknown as { vitlensApp: Explainer }).vitlensApp = explainer;
explainer.ready.catch(() => {}); // the explainer shows the error in the page
