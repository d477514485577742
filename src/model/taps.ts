/**
 * Taps replace PyTorch hooks: named tensors of a forward (and their gradients) that the caller
 * asks for up front, by name or pattern, instead of hooking modules. Names:
 *   input                 the normalised input images [B, C, H, W] (gradient only)
 *   embed                 prefix tokens + patch embeddings + position embedding [B*N, D] (timm's
 *                         _pos_embed output = golden embed_tokens; before norm_pre, if the model has one)
 *   tokens.<l>            block l's norm1 output: the tokens entering its attention [B*N, D]
 *   qkv.<l>               block l's fused q/k/v projection [B*N, 3D]
 *   attn.<l>              block l's attention probabilities [B, H, N, N]
 *   block.<l>             block l's output [B*N, D]
 *   latent                the pooled, normalised feature the head sees [B, D]
 *   logits                [B, C]
 * A selector is a list of names; `*` matches any layer (`attn.*`).
 */
export type TapSelector = readonly string[];

export function tapMatches(selector: TapSelector | undefined, name: string): boolean {
  if (!selector) return false;
  for (const s of selector) {
    if (s === name) return true;
    if (s.endsWith('.*') && name.startsWith(s.slice(0, -1))) return true;
  }
  return false;
}
