/**
 * The timm VisionTransformer a state dict (in timm names) belongs to, read off its shapes:
 * embed dim, input channels and patch size from the patch conv, depth from the block indices,
 * MLP ratio from fc1, prefix tokens (class, distillation, registers), LayerScale, fc_norm,
 * norm_pre, classes from the head, and the native grid from pos_embed. Only the number of
 * attention heads is invisible in the weights: it comes from a timm name (`arch`), an explicit
 * `numHeads`, or timm's usual head dim of 64, and the note says which.
 */
import { CheckpointError, ConfigError } from '../errors.js';
import { knownTimmModels, timmModelArgs } from '../model/timm-models.js';

export interface InferOptions {
  /** A timm architecture name: a known one fixes num_heads and is checked against the weights. */
  arch?: string;
  numHeads?: number;
  /** Names that may be timm architectures (a checkpoint's `arch` entry, the file name), tried in order. */
  nameHints?: { name: string; from: string }[];
  /** Known position-embedding layout (from a remap rule); otherwise read off pos_embed's rows. */
  noEmbedClass?: boolean;
}

export interface InferredArch {
  architecture: string;
  /** timm VisionTransformer keyword arguments that rebuild the model. */
  modelArgs: Record<string, unknown>;
  numClasses: number;
  /** The architecture is a timm name in vitlens' table. */
  known: boolean;
  notes: string[];
}

/** What the shapes say, before a name is chosen. */
interface Features {
  embedDim: number;
  inChans: number;
  patchSize: [number, number];
  depth: number;
  mlpHidden: number;
  qkvBias: boolean;
  classToken: boolean;
  regTokens: number;
  distilled: boolean;
  layerScale: boolean;
  fcNorm: boolean;
  preNorm: boolean;
  numClasses: number;
  posRows: number;
}

const isSquare = (n: number) => n > 0 && Number.isInteger(Math.sqrt(n));

function features(shapes: Map<string, readonly number[]>): Features {
  const keys = [...shapes.keys()];
  const pe = shapes.get('patch_embed.proj.weight');
  if (!pe || pe.length !== 4) {
    const hf = keys.some((k) => k.includes('embeddings.patch_embeddings.'));
    throw new CheckpointError(
      'not-vit',
      hf
        ? 'these are Hugging Face transformers ViT names (embeddings.patch_embeddings...), which convert does not rename; use the timm release of the model (huggingface.co/timm) or weights-tools/export_timm.py'
        : `no 4-D patch_embed.proj.weight, so this is not a timm VisionTransformer state dict (first names: ${keys.slice(0, 5).join(', ') || 'none'})`,
    );
  }
  const refuse = (what: string) => {
    throw new ConfigError('unsupported-architecture', `the weights use ${what}, which vitlens does not support (supported: timm VisionTransformer with exact GELU MLPs, LayerNorm, token or avg pooling)`);
  };
  if (keys.some((k) => /\.attn\.(q_norm|k_norm)\./.test(k))) refuse('qk_norm');
  if (keys.some((k) => /\.mlp\.(w12|w1|w2|w3|fc1_g|fc1_x)\./.test(k))) refuse('a SwiGLU MLP');
  if (keys.some((k) => k.startsWith('attn_pool.'))) refuse('attention pooling (global_pool="map")');
  if (keys.some((k) => /rope/.test(k))) refuse('rotary position embeddings');
  const [D, C, ph, pw] = pe;
  let depth = 0;
  for (const k of keys) {
    const m = /^blocks\.(\d+)\./.exec(k);
    if (m) depth = Math.max(depth, Number(m[1]) + 1);
  }
  if (depth === 0) throw new CheckpointError('not-vit', 'no blocks.<i>.* tensors: not a timm VisionTransformer state dict');
  const fc1 = shapes.get('blocks.0.mlp.fc1.weight');
  const pos = shapes.get('pos_embed');
  if (!pos || pos.length !== 3 || pos[2] !== D) {
    throw new CheckpointError('not-vit', `pos_embed is ${pos ? `[${pos.join(', ')}]` : 'missing'}, expected [1, rows, ${D}] (learned absolute position embedding)`);
  }
  const head = shapes.get('head.weight');
  return {
    embedDim: D,
    inChans: C,
    patchSize: [ph, pw],
    depth,
    mlpHidden: fc1 ? fc1[0] : 4 * D,
    qkvBias: shapes.has('blocks.0.attn.qkv.bias'),
    classToken: shapes.has('cls_token'),
    regTokens: shapes.get('reg_token')?.[1] ?? 0,
    distilled: shapes.has('dist_token'),
    layerScale: shapes.has('blocks.0.ls1.gamma'),
    fcNorm: shapes.has('fc_norm.weight'),
    preNorm: shapes.has('norm_pre.weight'),
    numClasses: head && head.length === 2 ? head[0] : 0,
    posRows: pos[1],
  };
}

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/** Differences between a known timm architecture and what the weights say. */
function mismatches(name: string, f: Features, heads: number | undefined): string[] {
  const a = timmModelArgs(name.split('.')[0]);
  if (!a) return [];
  const out: string[] = [];
  const cmp = (what: string, theirs: unknown, ours: unknown) => {
    if (JSON.stringify(theirs) !== JSON.stringify(ours)) out.push(`${what} ${JSON.stringify(theirs)} vs ${JSON.stringify(ours)} in the weights`);
  };
  cmp('embed_dim', a.embed_dim, f.embedDim);
  cmp('depth', a.depth, f.depth);
  cmp('patch_size', a.patch_size, f.patchSize[0] === f.patchSize[1] ? f.patchSize[0] : f.patchSize);
  cmp('distilled', a.distilled === true, f.distilled);
  cmp('reg_tokens', a.reg_tokens ?? 0, f.regTokens);
  cmp('LayerScale', typeof a.init_values === 'number', f.layerScale);
  if (heads !== undefined) cmp('num_heads', a.num_heads, heads);
  return out;
}

/** Infers the architecture; throws a ConfigError when `arch` names a timm model the weights do not fit. */
export function inferArchitecture(shapes: Map<string, readonly number[]>, opts: InferOptions = {}): InferredArch {
  const f = features(shapes);
  const notes: string[] = [];
  const D = f.embedDim;
  if (opts.numHeads !== undefined && (!Number.isInteger(opts.numHeads) || opts.numHeads < 1 || D % opts.numHeads !== 0)) {
    throw new ConfigError('bad-config', `num_heads ${opts.numHeads} does not divide embed_dim ${D}`);
  }

  // The name: --arch, then a hint that fits, then a table entry that fits, else a descriptive one.
  let architecture: string | undefined;
  if (opts.arch) {
    const bad = mismatches(opts.arch, f, opts.numHeads);
    if (bad.length) throw new ConfigError('arch-mismatch', `--arch ${opts.arch} does not fit the weights: ${bad.join('; ')}`);
    architecture = opts.arch;
  }
  for (const h of opts.nameHints ?? []) {
    if (architecture) break;
    for (const n of new Set([h.name, h.name.split(/[-.]/)[0]])) {
      if (!timmModelArgs(n.split('.')[0])) continue;
      const bad = mismatches(n, f, opts.numHeads);
      if (bad.length) notes.push(`ignored the name ${n} (${h.from}): ${bad.join('; ')}`);
      else {
        architecture = n;
        notes.push(`architecture ${n} from ${h.from}`);
      }
      break;
    }
  }
  const known = architecture !== undefined && timmModelArgs(architecture.split('.')[0]) !== undefined;
  const table = known ? timmModelArgs(architecture!.split('.')[0])! : undefined;

  let numHeads = opts.numHeads ?? (table?.num_heads as number | undefined);
  if (numHeads === undefined) {
    if (D % 64 !== 0) {
      throw new ConfigError('unknown-heads', `cannot tell the number of attention heads for embed_dim ${D} (it is not visible in the weights): pass --num-heads N or --arch NAME`);
    }
    numHeads = D / 64;
    notes.push(`num_heads ${numHeads} assumed (timm's usual head dim 64); pass --num-heads if the model was trained with another`);
  }

  // Native grid: pos_embed rows are the patches, plus the prefix tokens unless no_embed_class.
  const prefix = (f.classToken ? 1 : 0) + (f.distilled ? 1 : 0) + f.regTokens;
  const layouts: { noEmbedClass: boolean; grid: number }[] = [];
  if (isSquare(f.posRows - prefix)) layouts.push({ noEmbedClass: false, grid: Math.sqrt(f.posRows - prefix) });
  if (prefix > 0 && isSquare(f.posRows)) layouts.push({ noEmbedClass: true, grid: Math.sqrt(f.posRows) });
  const wanted = opts.noEmbedClass ?? (table ? table.no_embed_class === true : undefined);
  const layout = layouts.find((l) => wanted === undefined || l.noEmbedClass === wanted) ?? layouts[0];
  if (layout && wanted !== undefined && layout.noEmbedClass !== wanted) {
    notes.push(`pos_embed's ${f.posRows} rows fit only no_embed_class=${layout.noEmbedClass}: config.json says so`);
  }
  if (!layout) {
    throw new ConfigError('unknown-grid', `pos_embed has ${f.posRows} rows for ${prefix} prefix tokens: not a square patch grid, so the native image size is unknown`);
  }
  if (f.patchSize[0] !== f.patchSize[1]) throw new ConfigError('unsupported-architecture', `non-square patches ${f.patchSize.join('x')} are not supported by the converter`);
  const imgSize = layout.grid * f.patchSize[0];
  if (table && table.img_size !== imgSize) notes.push(`the weights are for ${imgSize} px (pos_embed grid ${layout.grid}x${layout.grid}), not ${String(table.img_size)}: config.json says img_size ${imgSize}`);

  const mlpRatio = f.mlpHidden / D;
  if (Math.floor(D * mlpRatio) !== f.mlpHidden) throw new ConfigError('unsupported-architecture', `MLP hidden size ${f.mlpHidden} is not a ratio of embed_dim ${D} that timm can express`);
  const globalPool = f.fcNorm || !f.classToken ? 'avg' : 'token';
  if (f.distilled && globalPool !== 'token') throw new ConfigError('unsupported-architecture', 'a distilled model with fc_norm / without a class token is not supported');

  if (!architecture) {
    const fits = (n: string) => {
      const a = timmModelArgs(n)!;
      return mismatches(n, f, numHeads).length === 0 && a.img_size === imgSize && (a.no_embed_class === true) === layout.noEmbedClass && f.classToken && !f.fcNorm && !f.preNorm;
    };
    const names = knownTimmModels();
    architecture = [...names.filter((n) => n.startsWith('vit_')), ...names.filter((n) => !n.startsWith('vit_'))].find(fits);
    if (architecture) notes.push(`architecture ${architecture}: the only timm name vitlens knows with these shapes`);
    else architecture = `vit_patch${f.patchSize[0]}_${imgSize}_embed${D}_depth${f.depth}`;
  }

  const modelArgs: Record<string, unknown> = {
    img_size: imgSize,
    patch_size: f.patchSize[0],
    in_chans: f.inChans,
    num_classes: f.numClasses,
    embed_dim: D,
    depth: f.depth,
    num_heads: numHeads,
    mlp_ratio: mlpRatio,
    qkv_bias: f.qkvBias,
    class_token: f.classToken,
    global_pool: globalPool,
  };
  // Only what differs from timm's defaults, so the arguments read like timm's own configs.
  if (f.fcNorm !== (globalPool === 'avg')) modelArgs.fc_norm = f.fcNorm;
  if (f.regTokens) modelArgs.reg_tokens = f.regTokens;
  if (layout.noEmbedClass || table?.no_embed_class === true) modelArgs.no_embed_class = layout.noEmbedClass;
  if (f.layerScale) modelArgs.init_values = 1e-5; // any number enables LayerScale; the trained gammas are in the weights
  if (f.preNorm) modelArgs.pre_norm = true;
  if (f.distilled && !(table?.distilled === true)) modelArgs.distilled = true;
  if (f.numClasses === 0) notes.push('no classifier head: num_classes 0, the model returns its pooled features');
  return { architecture, modelArgs, numClasses: f.numClasses, known: table !== undefined, notes };
}

/**
 * A timm hub config.json for an inferred architecture. Preprocessing is timm's default for
 * VisionTransformer (bicubic, crop 0.9, ImageNet mean/std; crop 1.0 for DINOv2), which the note
 * tells the user to check.
 */
export function hubConfig(a: InferredArch, conversion?: Record<string, unknown>): Record<string, unknown> {
  const args = a.modelArgs;
  const C = args.in_chans as number;
  const img = args.img_size as number;
  const dinov2 = /dinov2/.test(a.architecture);
  return {
    architecture: a.architecture,
    num_classes: a.numClasses,
    num_features: args.embed_dim,
    global_pool: args.global_pool,
    model_args: args,
    pretrained_cfg: {
      input_size: [C, img, img],
      interpolation: 'bicubic',
      crop_pct: dinov2 ? 1.0 : 0.9,
      crop_mode: 'center',
      mean: C === 3 ? IMAGENET.mean : Array(C).fill(0.5),
      std: C === 3 ? IMAGENET.std : Array(C).fill(0.5),
      num_classes: a.numClasses,
      first_conv: 'patch_embed.proj',
      classifier: 'head',
    },
    ...(conversion ? { conversion } : {}),
  };
}
