/**
 * Taps replace PyTorch hooks: named tensors of a forward (and their gradients) that the caller
 * asks for up front, by name or pattern, instead of hooking modules. `TAPS` below is the one list
 * of names; selectors are checked against it, so a misspelt or out-of-range tap is an
 * `UnknownTapError` that lists the known ones rather than a silently missing tensor.
 *
 * A selector is a list of names; `*` matches any layer (`attn.*`). Per-layer taps are
 * `<family>.<l>`, l = 0..depth-1.
 */
import { InputError } from '../errors.js';

interface TapInfo {
  /** One tap per block (`<family>.<l>`). */
  readonly layered: boolean;
  /** Can be kept from the forward (`forward(images, { taps })`). */
  readonly forward: boolean;
  /**
   * How its gradient is obtained: 'point' — the gradient of a forward tensor (also where a
   * backward can enter); 'op' — an intermediate gradient handed out by an op's backward
   * (declared in the op's definition, ops/define.ts); null — no gradient.
   */
  readonly grad: 'point' | 'op' | null;
  readonly doc: string;
}

export const TAPS = {
  input: { layered: false, forward: false, grad: 'point', doc: 'the normalised input images [B, C, H, W] (gradient only)' },
  embed: {
    layered: false, forward: true, grad: 'point',
    doc: "prefix tokens + patch embeddings + position embedding [B*N, D] (timm's _pos_embed output = golden embed_tokens; before norm_pre)",
  },
  tokens: { layered: true, forward: true, grad: 'point', doc: "block l's norm1 output: the tokens entering its attention [B*N, D]" },
  qkv: { layered: true, forward: true, grad: 'point', doc: "block l's fused q/k/v projection [B*N, 3D]" },
  attn: { layered: true, forward: true, grad: 'op', doc: "block l's attention probabilities [B, H, N, N]; gradient: dL/dP" },
  scores: {
    layered: true, forward: false, grad: 'op',
    doc: "gradient of block l's pre-softmax attention scores [B, H, N, N] (what vit-explain's hooked gradient rollout reads; gradient only)",
  },
  block: { layered: true, forward: true, grad: 'point', doc: "block l's output [B*N, D]" },
  latent: { layered: false, forward: false, grad: 'point', doc: 'the pooled, normalised feature the head sees [B, D] (in the forward: result.latent)' },
  logits: { layered: false, forward: false, grad: 'point', doc: '[B, C] (in the forward: result.logits)' },
  probs: { layered: false, forward: true, grad: 'point', doc: 'class probabilities, softmax of the logits [B, C] (computed when kept or recorded)' },
} as const satisfies Record<string, TapInfo>;

export type TapFamily = keyof typeof TAPS;

/** Tap families whose gradient an op's backward hands out (the only ones an op may declare). */
export type OpGradTapFamily = { [K in TapFamily]: (typeof TAPS)[K]['grad'] extends 'op' ? K : never }[TapFamily];

export type TapSelector = readonly string[];

/** What a selector is used for: keeping forward tensors, or asking for gradients. */
export type TapUse = 'forward' | 'grad';

/** The name of a tap: `tapName('attn', 3)` = `attn.3`. */
export function tapName(family: TapFamily, layer?: number): string {
  return TAPS[family].layered ? `${family}.${layer}` : family;
}

/** Asking for a tap that does not exist, or one that cannot be used this way. */
export class UnknownTapError extends InputError {
  constructor(
    readonly tap: string,
    readonly use: TapUse,
    /** The tap names (patterns) that are valid for this use and model. */
    readonly known: readonly string[],
  ) {
    super('unknown-tap', `unknown ${use === 'grad' ? 'gradient' : 'forward'} tap "${tap}"; known: ${known.join(', ')}`);
  }
}

function usable(info: TapInfo, use: TapUse): boolean {
  return use === 'forward' ? info.forward : info.grad !== null;
}

/** The valid names for `use` on a model of `depth` blocks, as shown in errors. */
export function knownTaps(use: TapUse, depth: number): string[] {
  return Object.entries(TAPS as Record<string, TapInfo>)
    .filter(([, info]) => usable(info, use))
    .map(([family, info]) => (info.layered ? `${family}.<0..${depth - 1}|*>` : family));
}

/** Throws UnknownTapError for the first entry of `selector` that names no `use` tap of the model. */
export function checkTapSelector(selector: TapSelector | undefined, use: TapUse, depth: number): void {
  for (const s of selector ?? []) {
    const dot = s.indexOf('.');
    const family = dot < 0 ? s : s.slice(0, dot);
    const info = (TAPS as Record<string, TapInfo>)[family];
    let ok = Object.hasOwn(TAPS, family) && usable(info, use);
    if (ok && info.layered) {
      const layer = s.slice(dot + 1);
      ok = dot > 0 && (layer === '*' || (/^\d+$/.test(layer) && Number(layer) < depth));
    } else if (ok) {
      ok = dot < 0;
    }
    if (!ok) throw new UnknownTapError(s, use, knownTaps(use, depth));
  }
}

export function tapMatches(selector: TapSelector | undefined, name: string): boolean {
  if (!selector) return false;
  for (const s of selector) {
    if (s === name) return true;
    if (s.endsWith('.*') && name.startsWith(s.slice(0, -1))) return true;
  }
  return false;
}

/** The intermediate (op-provided) gradient taps a selector asks for on a model of `depth` blocks. */
export function selectedOpGradTaps(selector: TapSelector, depth: number): Set<string> {
  const out = new Set<string>();
  for (const [family, info] of Object.entries(TAPS as Record<string, TapInfo>)) {
    if (info.grad !== 'op') continue;
    for (let l = 0; l < (info.layered ? depth : 1); l++) {
      const name = tapName(family as TapFamily, l);
      if (tapMatches(selector, name)) out.add(name);
    }
  }
  return out;
}
