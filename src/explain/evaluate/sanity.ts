/**
 * Model parameter randomisation tests (Adebayo et al., "Sanity checks for saliency maps", as in
 * seed 001): re-initialise the weights of the classifier and the blocks — cascading, from the top
 * down, each level randomising one more part on top of the previous ones; or independently, one
 * part at a time — with timm's initialisation (seeded), recompute an explanation for the same
 * class and compare it with the original by Spearman rank correlation, with and without absolute
 * values. A method that depends on what the model learned should drift away from its original
 * map as more of the model is randomised; one that stays near 1 is explaining something else
 * (the input, the architecture).
 *
 * The random values of a parameter depend only on the seed and the parameter's name, so a block
 * gets the same random weights at every cascading level and in the independent test.
 */
import type { GpuContext } from '../../gpu/context.js';
import type { VitConfig } from '../../model/config.js';
import { VisionTransformer } from '../../model/vit.js';
import type { WeightMap } from '../../model/weights.js';
import { mulberry32 } from '../../random.js';

/** One randomisation level: a name and the parameter-name prefixes it re-initialises. */
export interface Level {
  name: string;
  prefixes: string[];
}

/** The un-randomised model: the first point of both curves (Spearman 1 if a method is deterministic). */
export const ORIGINAL: Level = { name: 'original', prefixes: [] };

/**
 * The model's parts from the top: the classifier (head + final norm), blocks L-1 ... 0, then the
 * embedding (patch projection, position embedding, prefix tokens).
 */
export function parts(config: VitConfig): Level[] {
  const top: Level = { name: 'head', prefixes: ['head.', 'head_dist.', 'norm.', 'fc_norm.'] };
  const blocks = Array.from({ length: config.depth }, (_, i) => config.depth - 1 - i).map((l) => ({ name: `block ${l}`, prefixes: [`blocks.${l}.`] }));
  const embed: Level = { name: 'embedding', prefixes: ['patch_embed.', 'pos_embed', 'cls_token', 'dist_token', 'reg_token', 'norm_pre.'] };
  return [top, ...blocks, embed];
}

/** Cascading levels: level i re-initialises the top i + 1 parts (the last one: everything). */
export function cascadingLevels(config: VitConfig): Level[] {
  const p = parts(config);
  return p.map((part, i) => ({ name: i === 0 ? part.name : `head..${part.name}`, prefixes: p.slice(0, i + 1).flatMap((x) => x.prefixes) }));
}

/** Independent levels: one part at a time. */
export function independentLevels(config: VitConfig): Level[] {
  return parts(config);
}

/** FNV-1a of a parameter name mixed with the seed: the parameter's own random stream. */
function streamSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function gaussian(rand: () => number): number {
  const u = 1 - rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** torch.nn.init.trunc_normal_(std) with timm's default absolute bounds [-2, 2]. */
function truncNormal(data: Float32Array, std: number, rand: () => number): void {
  for (let i = 0; i < data.length; i++) {
    let v: number;
    do v = gaussian(rand) * std;
    while (Math.abs(v) > 2);
    data[i] = v;
  }
}

function uniform(data: Float32Array, bound: number, rand: () => number): void {
  for (let i = 0; i < data.length; i++) data[i] = (2 * rand() - 1) * bound;
}

/** Is the parameter a LayerNorm's weight or bias (norm1, norm2, norm, fc_norm, norm_pre)? */
const isNorm = (name: string) => /(^|\.)(norm\d?|norm_pre|fc_norm)\.(weight|bias)$/.test(name);

/**
 * A fresh value for one parameter, as timm's VisionTransformer initialises it (weight_init ''):
 * Linear weights trunc_normal(std 0.02) and biases 0 (init_weights_vit_timm), LayerNorm weight 1
 * and bias 0, LayerScale gamma = init_values, pos_embed trunc_normal(0.02), cls / register
 * tokens normal(1e-6), the distillation token trunc_normal(0.02), and the patch projection
 * (a Conv2d timm leaves to PyTorch) uniform in +-1/sqrt(fan_in) for weight and bias.
 */
export function initialValue(name: string, shape: readonly number[], seed: number, opts: { layerScaleInit?: number; patchFanIn?: number } = {}): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  const rand = mulberry32(streamSeed(seed, name));
  if (name === 'patch_embed.proj.weight') uniform(data, 1 / Math.sqrt(n / shape[0]), rand);
  else if (name === 'patch_embed.proj.bias') uniform(data, 1 / Math.sqrt(opts.patchFanIn ?? 1), rand);
  else if (name.endsWith('.gamma')) data.fill(opts.layerScaleInit ?? 1e-5);
  else if (isNorm(name)) data.fill(name.endsWith('.weight') ? 1 : 0);
  else if (name === 'pos_embed' || name === 'dist_token') truncNormal(data, 0.02, rand);
  else if (name === 'cls_token' || name === 'reg_token') for (let i = 0; i < n; i++) data[i] = gaussian(rand) * 1e-6;
  else if (name.endsWith('.weight') && shape.length >= 2) truncNormal(data, 0.02, rand);
  // Linear biases stay 0.
  return data;
}

/** A copy of `weights` with every parameter under the level's prefixes re-initialised (initialValue). */
export function randomize(weights: WeightMap, level: Level, seed: number, layerScaleInit = 1e-5): WeightMap {
  const out: WeightMap = new Map();
  const pw = weights.get('patch_embed.proj.weight');
  const patchFanIn = pw ? pw.data.length / pw.shape[0] : 1;
  for (const [name, w] of weights) {
    if (level.prefixes.some((p) => name.startsWith(p))) out.set(name, { shape: w.shape, data: initialValue(name, w.shape, seed, { layerScaleInit, patchFanIn }) });
    else out.set(name, w);
  }
  return out;
}

/** Builds the randomised model of a level (dispose it after use). */
export function randomizedModel(ctx: GpuContext, config: VitConfig, weights: WeightMap, level: Level, seed: number, layerScaleInit?: number): VisionTransformer {
  return VisionTransformer.fromWeights(ctx, config, randomize(weights, level, seed, layerScaleInit));
}
