/**
 * `<vitlens-explainer>`: the explainer as a custom element, for pages that prefer markup.
 *
 *   <vitlens-explainer assets-base="/vitlens/assets/" drop="page"></vitlens-explainer>
 *   <script type="module">import { defineExplainerElement } from 'vitlens/app'; defineExplainerElement();</script>
 *
 * Attributes: `assets-base`, `method`, `kernels` ('simd' | 'tiled'), `drop` ('page' | 'element').
 * Set the `device` property before the element is connected to use your own GPUDevice. The
 * running explainer is the `explainer` property.
 */
import { Explainer } from './explainer.js';

export class VitlensExplainerElement extends HTMLElement {
  device?: GPUDevice;
  explainer: Explainer | null = null;

  connectedCallback(): void {
    if (this.explainer) return;
    const kernels = this.getAttribute('kernels');
    this.explainer = new Explainer(this, {
      device: this.device,
      assetsBase: this.getAttribute('assets-base') ?? undefined,
      method: this.getAttribute('method') ?? undefined,
      kernelFamily: kernels === 'simd' || kernels === 'tiled' ? kernels : undefined,
      dropTarget: this.getAttribute('drop') === 'page' ? 'page' : 'element',
    });
    this.explainer.ready.catch(() => {}); // shown in the element
  }

  disconnectedCallback(): void {
    this.explainer?.destroy();
    this.explainer = null;
  }
}

/** Registers `<vitlens-explainer>` (once; later calls do nothing). */
export function defineExplainerElement(name = 'vitlens-explainer'): void {
  if (!customElements.get(name)) customElements.define(name, class extends VitlensExplainerElement {});
}
