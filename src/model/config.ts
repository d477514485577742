/**
 * The configuration of a timm `VisionTransformer`, resolved from what users have: a timm hub
 * folder's config.json (`architecture`, `num_classes`, optional `model_args`, `pretrained_cfg`)
 * or a timm model name from the built-in table. Everything the engine needs is explicit here;
 * options vitlens does not implement are refused with a ConfigError instead of being ignored.
 */
import { ConfigError, DeviceError } from '../errors.js';
import { checkBound, getLimits, short } from '../io/limits.js';
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

/** An [h, w] pair of integers in [min, max] (a single number means a square). */
function pair(v: unknown, what: string, min: number, max: number, limit?: keyof ReturnType<typeof getLimits>): [number, number] {
  const hw = typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 ? v : null;
  if (!hw || !hw.every((x) => typeof x === 'number' && Number.isInteger(x))) {
    throw new ConfigError('bad-config', `${what} must be an integer or [h, w] integers, got ${short(v)}`);
  }
  return [checkBound(hw[0], min, max, what, limit), checkBound(hw[1], min, max, what, limit)];
}

/** An integer in [min, max]; `limit` names the limit that sets max, so the message says how to raise it. */
function int(v: unknown, what: string, min = 0, max = Number.MAX_SAFE_INTEGER, limit?: keyof ReturnType<typeof getLimits>): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new ConfigError('bad-config', `${what} must be an integer >= ${min}, got ${short(v)}`);
  }
  return checkBound(v, min, max, what, limit);
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
  // Every size is bounded (io/limits.ts) before anything is derived from it.
  const l = getLimits();
  const embedDim = int(merged.embed_dim ?? 768, 'embed_dim', 1, l.maxEmbedDim, 'maxEmbedDim');
  const numHeads = int(merged.num_heads ?? 12, 'num_heads', 1, Math.min(l.maxHeads, embedDim), 'maxHeads');
  if (embedDim % numHeads !== 0) throw new ConfigError('bad-config', `embed_dim ${embedDim} is not divisible by num_heads ${numHeads}`);
  const imgSize = pair(merged.img_size ?? 224, 'img_size', 1, l.maxInputSide, 'maxInputSide');
  const patchSize = pair(merged.patch_size ?? 16, 'patch_size', 1, Math.min(imgSize[0], imgSize[1]));
  const inChans = int(merged.in_chans ?? 3, 'in_chans', 1, l.maxInChans, 'maxInChans');
  const mlpRatio = merged.mlp_ratio === undefined ? 4 : checkBound(merged.mlp_ratio as number, 1 / embedDim, l.maxMlpRatio, 'mlp_ratio', 'maxMlpRatio');
  const globalPool = (merged.global_pool === '' ? 'token' : (merged.global_pool ?? 'token')) as 'token' | 'avg';
  const classToken = merged.class_token !== false;
  const fcNorm = typeof merged.fc_norm === 'boolean' ? merged.fc_norm : globalPool === 'avg';
  const numClasses = int(extra.numClasses ?? merged.num_classes ?? 1000, 'num_classes', 0, l.maxNumClasses, 'maxNumClasses');
  const preNorm = merged.pre_norm === true;
  const cfg: VitConfig = {
    architecture,
    imgSize,
    patchSize,
    inChans,
    numClasses,
    embedDim,
    depth: int(merged.depth ?? 12, 'depth', 1, l.maxDepth, 'maxDepth'),
    numHeads,
    mlpHidden: Math.floor(embedDim * mlpRatio),
    qkvBias: merged.qkv_bias !== false,
    classToken,
    regTokens: int(merged.reg_tokens ?? 0, 'reg_tokens', 0, l.maxRegTokens, 'maxRegTokens'),
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
  if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new ConfigError('bad-config', 'model_args must be an object');
  const pre = j.pretrained_cfg as Json | undefined;
  const numClasses = typeof j.num_classes === 'number' ? j.num_classes : typeof args.num_classes === 'number' ? (args.num_classes as number) : undefined;
  const labelNames = Array.isArray(j.label_names) ? (j.label_names as unknown[]) : Array.isArray(pre?.label_names) ? (pre!.label_names as unknown[]) : undefined;
  if (labelNames && !labelNames.every((n) => typeof n === 'string')) throw new ConfigError('bad-config', 'label_names must be a list of strings');
  const withPool: Json = j.global_pool !== undefined && args.global_pool === undefined ? { ...args, global_pool: j.global_pool } : { ...args };
  // A DeiT distilled model is a different class (timm.models.deit.VisionTransformerDistilled)
  // built from the same VisionTransformer keyword arguments, so model_args cannot say it: the
  // class name in the config does (golden-variants/distilled).
  if (withPool.distilled === undefined && typeof j.timm_class === 'string' && /VisionTransformerDistilled$/.test(j.timm_class)) withPool.distilled = true;
  return configFromArgs(architecture, withPool, { numClasses, pretrained: pre, labelNames: labelNames as string[] | undefined });
}

/** Config of a timm model by name (e.g. `vit_small_patch16_224`, `deit_tiny_distilled_patch16_224`). */
export function configFromName(name: string, overrides: Json = {}): VitConfig {
  if (!timmModelArgs(name.split('.')[0])) {
    throw new ConfigError('unsupported-architecture', `unknown timm model "${name}"; known: see README "Supported models"`);
  }
  return configFromArgs(name, overrides);
}

/** One buffer the model needs, sized from the config alone. */
export interface BufferNeed {
  what: string;
  shape: number[];
  bytes: number;
}

/**
 * The largest buffers a forward/backward pass of `batch` images allocates, computed from the
 * config alone, so a model that cannot fit is refused before any image is preprocessed.
 */
export function bufferNeeds(c: VitConfig, batch: number): BufferNeed[] {
  const [, h, w] = c.pretrained.inputSize;
  const rows = Math.max(Math.floor(h / c.patchSize[0]), Math.floor(c.imgSize[0] / c.patchSize[0]));
  const cols = Math.max(Math.floor(w / c.patchSize[1]), Math.floor(c.imgSize[1] / c.patchSize[1]));
  const n = rows * cols + numPrefixTokens(c);
  const need = (what: string, shape: number[]): BufferNeed => ({ what, shape, bytes: shape.reduce((a, b) => a * b, 4) });
  return [
    need('input', [batch, c.inChans, h, w]),
    need('attention probabilities [batch, heads, tokens, tokens]', [batch, c.numHeads, n, n]),
    need('MLP hidden activations [batch, tokens, mlp_hidden]', [batch, n, c.mlpHidden]),
    need('qkv [batch, tokens, 3 x embed_dim]', [batch, n, 3 * c.embedDim]),
    need('MLP weight [mlp_hidden, embed_dim]', [c.mlpHidden, c.embedDim]),
    need('classifier weight [num_classes, embed_dim]', [c.numClasses, c.embedDim]),
    need('patch embedding weight [embed_dim, in_chans x patch x patch]', [c.embedDim, c.inChans * c.patchSize[0] * c.patchSize[1]]),
  ];
}

/**
 * Throws a DeviceError naming the dimension that makes a buffer too large for one binding of
 * `maxBindingBytes` (GPUDevice.limits.maxStorageBufferBindingSize); says "smaller batch" only
 * when a smaller batch would help.
 */
export function checkFitsDevice(c: VitConfig, batch: number, maxBindingBytes: number): void {
  const worst = bufferNeeds(c, batch).reduce((a, b) => (b.bytes > a.bytes ? b : a));
  if (worst.bytes <= maxBindingBytes) return;
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  const single = bufferNeeds(c, 1).find((b) => b.what === worst.what)!;
  const [, h, w] = c.pretrained.inputSize;
  const tokens = worst.shape.length === 4 && worst.what.startsWith('attention') ? worst.shape[2] : undefined;
  const cause = single.bytes <= maxBindingBytes
    ? `${batch} images at once; use a batch of at most ${Math.max(1, Math.floor(maxBindingBytes / single.bytes))}`
    : tokens !== undefined
      ? `${tokens} tokens from a ${h}x${w} input with ${c.patchSize[0]}x${c.patchSize[1]} patches; this model's input size is too large for this device`
      : `the model's ${worst.what.split(' [')[0]} alone; this model is too large for this device`;
  throw new DeviceError('too-large', `${c.architecture}: ${worst.what} of shape [${worst.shape.join(', ')}] needs ${mib(worst.bytes)}, more than this device binds at once (${mib(maxBindingBytes)}): caused by ${cause}`);
}
