/**
 * The configuration of a timm `VisionTransformer`, resolved from what users have: a timm hub
 * folder's config.json (`architecture`, `num_classes`, optional `model_args`, `pretrained_cfg`)
 * or a timm model name from the built-in table. Everything the engine needs is explicit here;
 * options vitlens does not implement are refused with a ConfigError instead of being ignored.
 */
import { ConfigError } from '../errors.js';
import { resolveDataConfig, type DataConfig, type PretrainedCfg as PretrainedCfgJson } from '../io/preprocess.js';
import { timmModelArgs } from './timm-models.js';

export interface VitConfig {
  /** timm architecture name (e.g. deit_tiny_patch16_224), or the hub folder's own name. */
  architecture: string;
  imgSize: [number, number];
  patchSize: [number, number];
  inChans: number;
  /** 0: no classifier; the model returns its pooled features. */
  numClasses: number;
  embedDim: number;
  depth: number;
  numHeads: number;
  mlpHidden: number;
  qkvBias: boolean;
  classToken: boolean;
  regTokens: number;
  /** DeiT distillation token and second head (timm VisionTransformerDistilled). */
  distilled: boolean;
  /** pos_embed covers only the patches (timm no_embed_class). */
  noEmbedClass: boolean;
  globalPool: 'token' | 'avg';
  /** LayerNorm after pooling instead of before (timm fc_norm, default for avg pooling). */
  fcNorm: boolean;
  /** LayerNorm on the tokens before the first block (CLIP-style norm_pre). */
  preNorm: boolean;
  /** patch_embed.proj has a bias: timm builds PatchEmbed with `bias=not pre_norm`. */
  patchEmbedBias: boolean;
  /** timm dynamic_img_pad: inputs that are not a multiple of the patch are zero-padded (refused for now). */
  dynamicImgPad: boolean;
  /** timm LayerScale (init_values set): ls1.gamma / ls2.gamma per block. */
  layerScale: boolean;
  normEps: number;
  labelNames?: string[];
  /** The resolved preprocessing (timm resolve_data_config of the pretrained_cfg). */
  pretrained: DataConfig;
}

/** Prefix tokens in timm's order: class, distillation, registers. */
export function numPrefixTokens(c: VitConfig): number {
  return (c.classToken ? 1 : 0) + (c.distilled ? 1 : 0) + c.regTokens;
}

export function headDim(c: VitConfig): number {
  return c.embedDim / c.numHeads;
}

type Json = Record<string, unknown>;

function pair(v: unknown, what: string): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return [v[0], v[1]];
  throw new ConfigError('bad-config', `${what} must be a number or [h, w], got ${JSON.stringify(v)}`);
}

function int(v: unknown, what: string, min = 0): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new ConfigError('bad-config', `${what} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Refuses timm options that change the computation in ways vitlens does not implement. */
function rejectUnsupported(args: Json, arch: string): void {
  const refuse = (what: string) => {
    throw new ConfigError('unsupported-architecture', `${arch}: ${what} is not supported by vitlens (supported: timm VisionTransformer with exact GELU MLPs, LayerNorm, token or avg pooling)`);
  };
  if (args.qk_norm) refuse('qk_norm');
  if (args.global_pool !== undefined && !['token', 'avg', ''].includes(args.global_pool as string)) refuse(`global_pool=${JSON.stringify(args.global_pool)}`);
  if (args.mlp_layer !== undefined && args.mlp_layer !== 'Mlp') refuse(`mlp_layer=${String(args.mlp_layer)}`);
  if (args.act_layer !== undefined && !['gelu', 'GELU', 'nn.GELU'].includes(String(args.act_layer))) refuse(`act_layer=${String(args.act_layer)}`);
  if (args.norm_layer !== undefined && !/layernorm/i.test(String(args.norm_layer))) refuse(`norm_layer=${String(args.norm_layer)}`);
  if (args.pos_embed !== undefined && args.pos_embed !== 'learn') refuse(`pos_embed=${String(args.pos_embed)}`);
  if (args.class_token === false && (args.global_pool ?? 'token') === 'token') refuse('global_pool="token" without a class token');
  if (args.block_fn !== undefined && args.block_fn !== 'Block') refuse(`block_fn=${String(args.block_fn)}`);
  if (args.proj_bias === false) refuse('proj_bias=False');
}

/**
 * The preprocessing of a pretrained_cfg; without one, timm's VisionTransformer default cfg for
 * the model's own input size (bicubic, crop_pct 0.9, ImageNet mean/std for RGB, 0.5 otherwise).
 */
function pretrainedFrom(raw: unknown, inChans: number, imgSize: [number, number]): DataConfig {
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) {
    throw new ConfigError('bad-config', 'pretrained_cfg must be an object');
  }
  const given = (raw ?? {}) as PretrainedCfgJson;
  const defaults: PretrainedCfgJson = {
    input_size: [inChans, imgSize[0], imgSize[1]],
    interpolation: 'bicubic',
    crop_pct: 0.9,
    ...(inChans === 3 ? {} : { mean: Array(inChans).fill(0.5), std: Array(inChans).fill(0.5) }),
  };
  return resolveDataConfig(raw ? given : defaults);
}

/**
 * Builds the config from timm-style keyword arguments (`model_args`), on top of the defaults of
 * a known architecture name.
 */
export function configFromArgs(architecture: string, args: Json, extra: { numClasses?: number; pretrained?: unknown; labelNames?: string[] } = {}): VitConfig {
  const baseName = architecture.split('.')[0];
  const known = timmModelArgs(baseName);
  const merged: Json = { ...(known ?? {}), ...args };
  if (!known && args.embed_dim === undefined) {
    throw new ConfigError(
      'unsupported-architecture',
      `unknown architecture "${architecture}" and no model_args in its config: vitlens knows timm's VisionTransformer family (vit_*, deit_*, DINO, DINOv2); give model_args (embed_dim, depth, num_heads, patch_size, img_size) for others`,
    );
  }
  rejectUnsupported(merged, architecture);
  const embedDim = int(merged.embed_dim ?? 768, 'embed_dim', 1);
  const numHeads = int(merged.num_heads ?? 12, 'num_heads', 1);
  if (embedDim % numHeads !== 0) throw new ConfigError('bad-config', `embed_dim ${embedDim} is not divisible by num_heads ${numHeads}`);
  const imgSize = pair(merged.img_size ?? 224, 'img_size');
  const patchSize = pair(merged.patch_size ?? 16, 'patch_size');
  const inChans = int(merged.in_chans ?? 3, 'in_chans', 1);
  const mlpRatio = typeof merged.mlp_ratio === 'number' ? merged.mlp_ratio : 4;
  const globalPool = (merged.global_pool === '' ? 'token' : (merged.global_pool ?? 'token')) as 'token' | 'avg';
  const classToken = merged.class_token !== false;
  const fcNorm = typeof merged.fc_norm === 'boolean' ? merged.fc_norm : globalPool === 'avg';
  const numClasses = int(extra.numClasses ?? merged.num_classes ?? 1000, 'num_classes');
  const preNorm = merged.pre_norm === true;
  const cfg: VitConfig = {
    architecture,
    imgSize,
    patchSize,
    inChans,
    numClasses,
    embedDim,
    depth: int(merged.depth ?? 12, 'depth', 1),
    numHeads,
    mlpHidden: Math.floor(embedDim * mlpRatio),
    qkvBias: merged.qkv_bias !== false,
    classToken,
    regTokens: int(merged.reg_tokens ?? 0, 'reg_tokens'),
    distilled: merged.distilled === true,
    noEmbedClass: merged.no_embed_class === true,
    globalPool,
    fcNorm,
    preNorm,
    patchEmbedBias: !preNorm,
    dynamicImgPad: merged.dynamic_img_pad === true,
    // timm: `LayerScale(...) if init_values else nn.Identity()`: 0 / null mean no LayerScale.
    layerScale: typeof merged.init_values === 'number' && merged.init_values !== 0,
    normEps: 1e-6,
    labelNames: extra.labelNames,
    pretrained: pretrainedFrom(extra.pretrained, inChans, imgSize),
  };
  if (cfg.distilled && (!cfg.classToken || cfg.globalPool !== 'token')) {
    throw new ConfigError('unsupported-architecture', `${architecture}: a distilled model needs a class token and token pooling`);
  }
  if (cfg.pretrained.inputSize[0] !== inChans) {
    throw new ConfigError('bad-config', `pretrained_cfg.input_size has ${cfg.pretrained.inputSize[0]} channels but the model takes ${inChans}`);
  }
  if (cfg.labelNames && cfg.numClasses > 0 && cfg.labelNames.length !== cfg.numClasses) {
    throw new ConfigError('bad-config', `label_names has ${cfg.labelNames.length} entries for ${cfg.numClasses} classes`);
  }
  return cfg;
}

/** Config from a timm hub `config.json` object. */
export function configFromHub(json: unknown, fallbackName = 'vit'): VitConfig {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ConfigError('bad-config', 'config.json must hold a JSON object');
  }
  const j = json as Json;
  const architecture = typeof j.architecture === 'string' ? j.architecture : fallbackName;
  const args = (j.model_args ?? {}) as Json;
  if (typeof args !== 'object') throw new ConfigError('bad-config', 'model_args must be an object');
  const pre = j.pretrained_cfg as Json | undefined;
  const numClasses = typeof j.num_classes === 'number' ? j.num_classes : typeof args.num_classes === 'number' ? (args.num_classes as number) : undefined;
  const labelNames = Array.isArray(j.label_names) ? (j.label_names as string[]) : Array.isArray(pre?.label_names) ? (pre!.label_names as string[]) : undefined;
  const withPool: Json = j.global_pool !== undefined && args.global_pool === undefined ? { ...args, global_pool: j.global_pool } : { ...args };
  // A DeiT distilled model is a different class (timm.models.deit.VisionTransformerDistilled)
  // built from the same VisionTransformer keyword arguments, so model_args cannot say it: the
  // class name in the config does (golden-variants/distilled).
  if (withPool.distilled === undefined && typeof j.timm_class === 'string' && /VisionTransformerDistilled$/.test(j.timm_class)) withPool.distilled = true;
  return configFromArgs(architecture, withPool, { numClasses, pretrained: pre, labelNames });
}

/** Config of a timm model by name (e.g. `vit_small_patch16_224`, `deit_tiny_distilled_patch16_224`). */
export function configFromName(name: string, overrides: Json = {}): VitConfig {
  if (!timmModelArgs(name.split('.')[0])) {
    throw new ConfigError('unsupported-architecture', `unknown timm model "${name}"; known: see README "Supported models"`);
  }
  return configFromArgs(name, overrides);
}
