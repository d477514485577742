/**
 * Model parameter randomisation tests (Adebayo et al., "Sanity checks for saliency maps", as in
 * seed 001): re-initialise the weights of the classifier and the blocks — cascading, from the top
 * down, each level adding one more part; or independently, one part at a time — with timm's
 * initialisation (seeded), recompute an explanation and compare it with the original by Spearman
 * rank correlation, with and without absolute values. A method that depends on the model should
 * drift away from its original map as more of the model is randomised.
 */
import type { GpuContext } from '../../gpu/context.js';
import type { VitConfig } from '../../model/config.js';
import { VisionTransformer } from '../../model/vit.js';
import type { WeightMap } from '../../model/weights.js';

/** One randomisation level: a name and the parameter-name prefixes it re-initialises. */
export interface Level {
  name: string;
  prefixes: string[];
}

/** The model's parts from the top: the classifier (head + final norm), then blocks L-1 ... 0. */
export function parts(config: VitConfig): Level[] {
  const top: Level = { name: 'head', prefixes: ['head.', 'head_dist.', 'norm.', 'fc_norm.'] };
  const blocks = Array.from({ length: config.depth }, (_, i) => config.depth - 1 - i).map((l) => ({ name: `block ${l}`, prefixes: [`blocks.${l}.`] }));
  return [top, ...blocks];
}

/** Cascading levels: level i re-initialises the top i + 1 parts. */
export function cascadingLevels(config: VitConfig): Level[] {
  const p = parts(config);
  return p.map((part, i) => ({ name: i === 0 ? part.name : `head..${part.name}`, prefixes: p.slice(0, i + 1).flatMap((x) => x.prefixes) }));
}

export function independentLevels(config: VitConfig): Level[] {
  return parts(config);
}

function gaussian(rand: () => number): number {
  const u = 1 - rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A copy of `weights` with every parameter under the level's prefixes re-initialised as timm's
 * init_weights_vit_timm does: Linear weights ~ trunc_normal(std 0.02), biases 0, LayerNorm
 * weight 1 / bias 0, LayerScale gamma 1e-5.
 */
export function randomize(weights: WeightMap, level: Level, seed: number): WeightMap {
  const rand = mulberry32(seed);
  const out: WeightMap = new Map();
  for (const [name, w] of weights) {
    if (!level.prefixes.some((p) => name.startsWith(p))) {
      out.set(name, w);
      continue;
    }
    const data = new Float32Array(w.data.length);
    const isNorm = /(^|\.)(norm\d?|norm_pre|fc_norm)\./.test(name) || /^(norm|fc_norm)\./.test(name);
    if (name.endsWith('.gamma')) data.fill(1e-5);
    else if (isNorm) data.fill(name.endsWith('.weight') ? 1 : 0);
    else if (name.endsWith('.weight') && w.shape.length >= 2) {
      for (let i = 0; i < data.length; i++) {
        let v: number;
        do v = gaussian(rand) * 0.02;
        while (Math.abs(v) > 2);
        data[i] = v;
      }
    }
    out.set(name, { shape: w.shape, data });
  }
  return out;
}

/** Builds the randomised model of a level (dispose it after use). */
export function randomizedModel(ctx: GpuContext, config: VitConfig, weights: WeightMap, level: Level, seed: number): VisionTransformer {
  return VisionTransformer.fromWeights(ctx, config, randomize(weights, level, seed));
}
