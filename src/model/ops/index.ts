/** The gradient registry: one backward per op kind, each defined next to its forward. */
import type { GradientFn } from '../tape.js';
import { attentionGrad } from './attention.js';
import { averageGrad } from './average.js';
import { assembleGrad, patchifyGrad } from './embed.js';
import { geluGrad } from './gelu.js';
import { layerNormGrad } from './layernorm.js';
import { linearGrad } from './linear.js';
import { poolGrad } from './pool.js';

export const GRADIENTS = new Map<string, GradientFn>([
  ['linear', linearGrad],
  ['gelu', geluGrad],
  ['layernorm', layerNormGrad],
  ['attention', attentionGrad],
  ['patchify', patchifyGrad],
  ['assemble', assembleGrad],
  ['pool', poolGrad],
  ['average', averageGrad],
]);

export { attention } from './attention.js';
export { average } from './average.js';
export { assemble, patchify } from './embed.js';
export { gelu } from './gelu.js';
export { layerNorm } from './layernorm.js';
export { linear } from './linear.js';
export { pool } from './pool.js';
export type { OpContext, Param } from './types.js';
