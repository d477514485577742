/**
 * Built-in table of timm VisionTransformer architectures (timm 0.9 `vision_transformer.py` /
 * `deit.py` model_args), so that a hub folder whose config.json names only its `architecture`
 * — as timm's own hub configs do — can be rebuilt. Tags (`.fb_in1k`, `.dino`, ...) do not
 * change the architecture and are stripped before lookup.
 */
type Args = Record<string, unknown>;

const sizes: Record<string, Args> = {
  tiny: { embed_dim: 192, depth: 12, num_heads: 3 },
  small: { embed_dim: 384, depth: 12, num_heads: 6 },
  base: { embed_dim: 768, depth: 12, num_heads: 12 },
  large: { embed_dim: 1024, depth: 24, num_heads: 16 },
};

const TABLE: Record<string, Args> = {};

function add(name: string, args: Args) {
  TABLE[name] = args;
}

for (const [size, dims] of Object.entries(sizes)) {
  for (const patch of [8, 16, 32]) {
    for (const img of [224, 384]) add(`vit_${size}_patch${patch}_${img}`, { ...dims, patch_size: patch, img_size: img });
  }
}
for (const size of ['tiny', 'small', 'base'] as const) {
  for (const img of [224, 384]) {
    add(`deit_${size}_patch16_${img}`, { ...sizes[size], patch_size: 16, img_size: img });
    add(`deit_${size}_distilled_patch16_${img}`, { ...sizes[size], patch_size: 16, img_size: img, distilled: true });
  }
}
// DINOv2: patch 14 at 518 px, LayerScale; the *_reg4 variants add 4 register tokens and keep
// the position embedding off the prefix tokens.
for (const size of ['small', 'base', 'large'] as const) {
  const dinov2 = { ...sizes[size], patch_size: 14, img_size: 518, init_values: 1e-5 };
  add(`vit_${size}_patch14_dinov2`, dinov2);
  add(`vit_${size}_patch14_reg4_dinov2`, { ...dinov2, reg_tokens: 4, no_embed_class: true });
}

/** model_args of a known timm architecture (without tag), or undefined. */
export function timmModelArgs(name: string): Args | undefined {
  const a = TABLE[name];
  return a ? { ...a } : undefined;
}

export function knownTimmModels(): string[] {
  return Object.keys(TABLE).sort();
}
