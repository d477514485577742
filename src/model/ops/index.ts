/**
 * The differentiable ops of the ViT, each defined once with its gradient (define.ts): the
 * forward function records a call of its op definition on the tape, the definition's backward
 * runs on that call. `OPS` lists them for tests and documentation.
 */
import { attentionOp } from './attention.js';
import { averageOp } from './average.js';
import { assembleOp, imagePatchesOp } from './embed.js';
import { geluOp } from './gelu.js';
import { layerNormOp } from './layernorm.js';
import { linearOp } from './linear.js';
import { mlpOp } from './mlp.js';
import { poolOp } from './pool.js';
import { softmaxOp } from './softmax.js';

export const OPS = [linearOp, mlpOp, geluOp, layerNormOp, attentionOp, imagePatchesOp, assembleOp, poolOp, averageOp, softmaxOp] as const;

export { attention } from './attention.js';
export { average } from './average.js';
export { assemble, imagePatches } from './embed.js';
export { gelu } from './gelu.js';
export { layerNorm } from './layernorm.js';
export { linear } from './linear.js';
export { mlp } from './mlp.js';
export { pool } from './pool.js';
export { softmax } from './softmax.js';
export type { OpCall, OpDefinition } from './define.js';
export { defineOp } from './define.js';
export type { OpContext, Param } from './types.js';
