/**
 * Stands in for the npm `webgpu` package inside the GPU pack's bundle (scripts/gpu-pack.ts
 * aliases `webgpu` to this file): the pack has no node_modules, only dawn.node itself, whose
 * path gpu-check.sh passes in VITLENS_DAWN_NODE. Outside the bundle `webgpu` is the npm package.
 */
import { createRequire } from 'node:module';

const path = process.env.VITLENS_DAWN_NODE;
if (!path) throw new Error('VITLENS_DAWN_NODE is not set: run the check through gpu-check.sh, which sets it to the pack\'s dawn.node');
const dawn = createRequire(import.meta.url)(path) as { create(options: string[]): GPU; globals: Record<string, unknown> };

export const create = dawn.create;
export const globals = dawn.globals;
