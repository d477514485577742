/**
 * Moved to class-specs.ts (which classes an explanation is about; model/targets.ts is what a
 * gradient is taken of). Kept only for saliency.ts, gradcam.ts and registry.ts, which are being
 * rewritten elsewhere: delete this file once they import class-specs.js.
 */
export { resolveClasses, type ClassSpec } from './class-specs.js';
