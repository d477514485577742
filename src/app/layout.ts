/**
 * The explainer's elements: inputs (image, samples, model), the three pictures with colour bar and
 * notes, the comparison tiles and the head grid, and the controls column (top-k, class search, view,
 * methods grouped as the report groups them, each with its one-line description). Only structure
 * here; the explainer wires the events.
 */
import { METHODS } from '../explain/registry.js';
import { h } from './dom.js';
import type { DisplayMode } from './pictures.js';

export interface LayoutConfig {
  /** Makes radio groups and the class list unique per explainer on the page. */
  id: number;
  samples: readonly string[];
  assets: string;
  alpha: number;
  display: DisplayMode;
}

export type Layout = ReturnType<typeof buildLayout>;

export function buildLayout(c: LayoutConfig) {
    const name = `vl-${c.id}`;
    const status = h('div', { class: 'vl-status' }, 'Starting…');
    const progress = h('progress', { max: '1', hidden: true });
    const modelFiles = h('input', { type: 'file', multiple: true, accept: '.json,.safetensors', 'data-role': 'model-files' });
    const modelFolder = h('input', { type: 'file', webkitdirectory: true, 'data-role': 'model-folder' });
    const bundled = h('button', { type: 'button' }, 'Bundled model');
    const imageFile = h('input', { type: 'file', accept: 'image/*', 'data-role': 'image-file' });
    const samples = h('div', { class: 'vl-samples' }, h('span', { class: 'vl-hint' }, 'Samples:'));
    const sampleButtons = c.samples.map((s) => h('button', { type: 'button', title: s.replace(/^\d+-/, ''), 'data-sample': s }, h('img', { src: `${c.assets}images/${s}.png`, alt: s })));
    samples.append(...sampleButtons);
    const caption = h('div', { class: 'vl-caption', 'aria-live': 'polite' });
    const cancel = h('button', { type: 'button', hidden: true, 'data-role': 'cancel' }, 'Cancel');
    const original = h('canvas', { width: '224', height: '224', 'data-role': 'original' });
    const input = h('canvas', { width: '224', height: '224', class: 'vl-pixelated', 'data-role': 'input' });
    const main = h('canvas', { width: '224', height: '224', 'data-role': 'explanation' });
    const mainCaption = h('figcaption');
    const readout = h('div', { class: 'vl-readout' });
    const ramp = h('div', { class: 'vl-ramp' });
    const ticks = h('div', { class: 'vl-ticks' });
    const legend = h('div');
    const colorbar = h('div', { class: 'vl-colorbar', 'data-role': 'colorbar' }, ramp, ticks, legend);
    const originalCaption = h('figcaption', {}, 'your image; the dashed box is what the model sees');
    const notes = h('ul', { class: 'vl-notes', 'data-role': 'preprocessing' });
    const inputCaption = h('figcaption', {}, 'the model’s input');
    const tiles = h('div', { class: 'vl-tiles', 'data-role': 'compare', hidden: true });
    const heads = h('figure', { 'data-role': 'heads', hidden: true }, h('canvas', { class: 'vl-pixelated' }), h('figcaption'));
    const result = h('div', { class: 'vl-result' },
      h('div', { class: 'vl-pictures' },
        h('figure', {}, original, originalCaption, notes),
        h('figure', {}, input, inputCaption),
        h('figure', {}, main, mainCaption, colorbar, readout),
      ),
      tiles,
      heads,
    );
    const methodRadios: HTMLInputElement[] = [];
    const groups = [false, true].map((specific) => {
      const set = h('fieldset', {}, h('legend', {}, specific ? 'Class-specific methods' : 'Class-independent methods'));
      for (const m of METHODS.filter((x) => x.classSpecific === specific)) {
        const radio = h('input', { type: 'radio', name, value: m.name, 'data-method': m.name });
        methodRadios.push(radio);
        set.append(h('label', { class: 'vl-method' }, radio, h('span', {}, m.title), h('small', {}, m.description)));
      }
      return set;
    });
    const topk = h('tbody');
    const search = h('input', { type: 'search', placeholder: 'class name or id', list: `${name}-classes`, 'data-role': 'class-search', size: '18' });
    const classes = h('datalist', { id: `${name}-classes` });
    const searchNote = h('span', { class: 'vl-hint' });
    const opacity = h('input', { type: 'range', min: '0', max: '1', step: '0.05', value: String(c.alpha), 'data-role': 'opacity' });
    const modeRadios = (['overlay', 'map', 'image'] as const).map((mode) => h('input', { type: 'radio', name: `${name}-mode`, value: mode, checked: mode === c.display, 'data-mode': mode }));
    const modes = h('span', {}, ...modeRadios.map((r) => h('label', {}, r, r.value === 'map' ? 'map only' : r.value)));
    const download = h('button', { type: 'button', 'data-role': 'download' }, 'Download PNG');
    const compare = h('input', { type: 'checkbox', 'data-role': 'compare-toggle' });
    const headsToggle = h('input', { type: 'checkbox', 'data-role': 'heads-toggle' });
    const root = h('div', { class: 'vitlens-explainer', 'data-state': 'starting' },
      h('div', { class: 'vl-bar' },
        h('label', { class: 'vl-file' }, 'Open image…', imageFile),
        samples,
        h('span', { class: 'vl-hint' }, 'or drop / paste an image'),
      ),
      h('div', { class: 'vl-bar' },
        h('span', {}, 'Model:'),
        bundled,
        h('label', { class: 'vl-file', title: 'config.json and model.safetensors of a timm hub model' }, 'Model files…', modelFiles),
        h('label', { class: 'vl-file', title: 'a timm hub folder' }, 'Model folder…', modelFolder),
        progress,
        status,
      ),
      h('div', { class: 'vl-main' },
        h('div', {}, h('div', { class: 'vl-bar' }, caption, cancel), result),
        h('div', {},
          h('table', { class: 'vl-topk' }, h('caption', {}, 'Prediction (click a row to explain that class)'), topk),
          h('div', { class: 'vl-bar' }, h('label', {}, 'Class ', search), classes, searchNote),
          h('div', { class: 'vl-bar vl-view' }, h('label', {}, 'Opacity ', opacity), modes),
          h('div', { class: 'vl-bar' }, download,
            h('label', {}, compare, ' compare methods'),
            h('label', {}, headsToggle, ' attention per block × head')),
          ...groups,
        ),
      ),
    );
    return {
      root, status, progress, caption, cancel, original, originalCaption, notes, input, inputCaption, main, mainCaption, readout, ramp, ticks, legend, tiles, heads,
      topk, classes, search, searchNote, groups, methodRadios, modeRadios, sampleButtons, bundled, modelFiles, modelFolder, imageFile, opacity, download, compare, headsToggle,
    };
  }
