/** The explainer's stylesheet, scoped under `.vitlens-explainer` so that a host page's own styles stay as they are. */
export const EXPLAINER_CSS = /* css */ `
.vitlens-explainer { font: 14px/1.45 system-ui, sans-serif; color: #1d1d1f; display: grid; gap: 0.9rem; }
.vitlens-explainer * { box-sizing: border-box; }
.vitlens-explainer .vl-bar { display: flex; flex-wrap: wrap; gap: 0.6rem 1rem; align-items: center; }
.vitlens-explainer .vl-status { color: #555; font-size: 0.9em; }
.vitlens-explainer .vl-status.vl-error, .vitlens-explainer .vl-error { color: #b00020; font-weight: 600; }
.vitlens-explainer button, .vitlens-explainer .vl-file { font: inherit; padding: 0.25rem 0.7rem; border: 1px solid #bbb; border-radius: 6px; background: #f7f7f8; cursor: pointer; }
.vitlens-explainer .vl-file input { display: none; }
.vitlens-explainer button:hover, .vitlens-explainer .vl-file:hover { background: #ececf0; }
.vitlens-explainer progress { width: 14rem; }
.vitlens-explainer .vl-samples { display: flex; gap: 4px; flex-wrap: wrap; align-items: center; }
.vitlens-explainer .vl-samples button { padding: 0; border: 2px solid transparent; background: none; line-height: 0; }
.vitlens-explainer .vl-samples button.vl-on { border-color: #2962ff; }
.vitlens-explainer .vl-samples img { width: 32px; height: 32px; image-rendering: pixelated; }
.vitlens-explainer .vl-hint { color: #666; font-size: 0.85em; }
.vitlens-explainer .vl-main { display: grid; grid-template-columns: minmax(0, 1fr) 22rem; gap: 1.2rem; align-items: start; }
@media (max-width: 900px) { .vitlens-explainer .vl-main { grid-template-columns: 1fr; } }
.vitlens-explainer .vl-caption { font-weight: 600; min-height: 1.5em; }
.vitlens-explainer .vl-caption.vl-busy::before { content: ''; display: inline-block; width: 0.8em; height: 0.8em; margin-right: 0.45em; border: 2px solid #2962ff; border-right-color: transparent; border-radius: 50%; animation: vl-spin 0.8s linear infinite; vertical-align: -0.1em; }
@keyframes vl-spin { to { transform: rotate(360deg); } }
.vitlens-explainer .vl-result { transition: opacity 0.15s; }
.vitlens-explainer[data-state="busy"] .vl-result { opacity: 0.3; filter: grayscale(0.6); }
.vitlens-explainer .vl-pictures { display: flex; flex-wrap: wrap; gap: 0.9rem; }
.vitlens-explainer figure { margin: 0; }
.vitlens-explainer .vl-pictures > figure { width: 232px; }
.vitlens-explainer figcaption { font-size: 0.8em; color: #555; max-width: 240px; }
.vitlens-explainer canvas { display: block; background: #eee; outline: 1px solid #ccc; }
.vitlens-explainer .vl-pixelated { image-rendering: pixelated; }
.vitlens-explainer .vl-colorbar { width: 240px; margin-top: 0.35rem; font-size: 0.78em; color: #444; }
.vitlens-explainer .vl-colorbar .vl-ramp { height: 12px; border: 1px solid #999; }
.vitlens-explainer .vl-colorbar .vl-ticks { display: flex; justify-content: space-between; font-variant-numeric: tabular-nums; }
.vitlens-explainer .vl-notes { margin: 0.3rem 0 0; padding-left: 1.1rem; font-size: 0.85em; color: #444; }
.vitlens-explainer .vl-readout { font-size: 0.8em; color: #333; min-height: 1.3em; font-variant-numeric: tabular-nums; }
.vitlens-explainer fieldset { border: 1px solid #ddd; border-radius: 8px; margin: 0 0 0.6rem; padding: 0.3rem 0.6rem 0.5rem; }
.vitlens-explainer legend { font-weight: 600; font-size: 0.9em; }
.vitlens-explainer .vl-method { display: grid; grid-template-columns: auto 1fr; gap: 0 0.4rem; padding: 0.15rem 0; cursor: pointer; }
.vitlens-explainer .vl-method small { grid-column: 2; color: #666; font-size: 0.8em; line-height: 1.25; }
.vitlens-explainer .vl-method.vl-disabled { opacity: 0.45; cursor: not-allowed; }
.vitlens-explainer table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
.vitlens-explainer caption { text-align: left; font-size: 0.85em; color: #555; }
.vitlens-explainer .vl-topk tr { cursor: pointer; }
.vitlens-explainer .vl-topk tr:hover { background: #f0f3ff; }
.vitlens-explainer .vl-topk tr.vl-on { background: #dde6ff; font-weight: 600; }
.vitlens-explainer td { padding: 0.12rem 0.4rem; font-variant-numeric: tabular-nums; }
.vitlens-explainer td.vl-prob { text-align: right; width: 5em; }
.vitlens-explainer .vl-view label { margin-right: 0.6rem; }
.vitlens-explainer .vl-tiles { display: flex; flex-wrap: wrap; gap: 0.6rem; }
/* A display rule above would otherwise override the hidden attribute (the empty grid's heading showed). */
.vitlens-explainer [hidden] { display: none !important; }
.vitlens-explainer .vl-tiles figcaption { max-width: 150px; }
.vitlens-explainer .vl-subhead { flex-basis: 100%; font-weight: 600; margin-top: 0.6rem; }
.vitlens-explainer [data-role=heads] { margin-top: 0.8rem; }
.vitlens-explainer [data-role=heads] figcaption { max-width: none; }
.vitlens-explainer .vl-dropping { outline: 3px dashed #2962ff; outline-offset: 4px; }
`;
