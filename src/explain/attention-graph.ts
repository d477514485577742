/**
 * Attention rollout and attention flow of Abnar & Zuidema (2020), "Quantifying attention flow in
 * transformers", as computed by their reference code (samiraabnar/attention_flow,
 * attention_graph_util.py + bert_sv.ipynb), plus the "Metzger et al." variant. CPU, float64,
 * pure TypeScript (browser-safe).
 *
 * Attention graph. For one image, attn[l][h][i][j] (L blocks, H heads, N tokens, row i = query):
 *   Â_l = mean_h attn_l + I, rows normalised to sum 1          (residual: true, the default)
 *   Â_l = mean_h attn_l                                         (residual: false)
 * The head mean is taken in the input's precision exactly as numpy does on the reference's
 * float32 array (sequential sum over heads, then / H), the rest in float64; this reproduces the
 * stored reference values to the last float32 bit.
 *
 * abnarRollout: J = Â_{L-1} ... Â_0, row `token` (default 0 = CLS) over all N input tokens.
 *
 * attentionFlow, variant 'abnar' (the reference): nodes (l, i), l = 0..L (layer 0 = input
 * tokens); arcs (l, i) -> (l-1, j) with capacity Â_{l-1}[i, j]; f_j = max-flow value from the
 * output token (L, t) to the input token (0, j), each j a separate problem; result f / sum(f).
 *
 * attentionFlow, variant 'metzger' (Metzger et al. 2022, "Attention flows for general
 * transformers", as described in the talk: input tokens are the sources, the final-layer output
 * token(s) the target; for classification only CLS). Definition used here:
 *   arcs (l-1, j) -> (l, i) with capacity Â_{l-1}[i, j] (information flows from key j into
 *   query i), a sink joined to the chosen final-layer tokens T (default {CLS}) by unbounded
 *   arcs, and f_j = max-flow value from input token (0, j) alone to that sink, each j a separate
 *   problem; result: the raw values f_j (the share of T's attention that token j alone can
 *   supply, in [0, |T|]), not normalised unless `normalize: true`.
 * Why per-token and not one joint max-flow from all input tokens at once (a super-source): the
 * joint value is fixed (1 for one sink token: every cut contains all arcs into some node, a whole
 * row of some Â) but its split over the input tokens is not unique, and not informative either:
 * on the golden attention maps the uniform split, 1/N per token, is itself a maximum flow, so a
 * canonical tie-break (min-norm / leximin) returns a flat map and any other split is an artefact
 * of the max-flow algorithm's search order. Per-token max-flow values are unique and exact.
 * Consequence (stated, and tested): reversing every arc and swapping source and sink preserves
 * max-flow values, so with T = {t} 'metzger' equals 'abnar' with output token t up to the
 * normalisation; the variants differ in normalisation and for |T| > 1 (several output tokens).
 *
 * Speed: both variants are the same computation, N max-flow problems from the final-layer
 * token(s) to each input token on the layered graph, solved by the warm-started push-relabel of
 * maxflow.ts (about 0.2-0.5 s for ViT-B size, L = 12 and N = 197, instead of minutes).
 */
import { InputError } from '../errors.js';
import { maxFlowToEachSink, maxFlowToEachSinkAsync, type LayeredGraph, type ProgressCallback } from './maxflow.js';

export type { ProgressCallback } from './maxflow.js';

export interface AttentionGraphOptions {
  /** Add the identity (residual connection) and renormalise rows, as the reference does. Default true. */
  residual?: boolean;
}

export interface AbnarRolloutOptions extends AttentionGraphOptions {
  /** Row of J to return: the output token whose rollout is wanted. Default 0 (CLS). */
  token?: number;
}

export type FlowVariant = 'abnar' | 'metzger';

export interface AttentionFlowOptions extends AttentionGraphOptions {
  variant: FlowVariant;
  /**
   * Final-layer token(s): the flow source for 'abnar' (exactly one), the sink(s) for 'metzger'.
   * Default 0 (CLS).
   */
  outputTokens?: number | readonly number[];
  /** Divide by the sum over input tokens. Default: true for 'abnar' (the reference), false for 'metzger'. */
  normalize?: boolean;
  /** Called after each input token's max-flow (N problems in all). */
  onProgress?: ProgressCallback;
}

/** Throws InputError unless attn is a finite, non-negative (L, H, N, N) attention tensor. */
function checkAttention(attn: Float32Array | Float64Array, L: number, H: number, N: number): void {
  for (const [name, v] of [['L', L], ['H', H], ['N', N]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new InputError('bad-shape', `${name} must be a positive integer, got ${v}`);
  }
  const want = L * H * N * N;
  if (attn.length !== want) {
    throw new InputError('bad-shape', `attention must hold L*H*N*N = ${L}*${H}*${N}*${N} = ${want} values (layout [l][h][i][j]), got ${attn.length}`);
  }
  for (let a = 0; a < attn.length; a++) {
    const x = attn[a];
    if (!(x >= 0) || x === Infinity) {
      const j = a % N, i = Math.floor(a / N) % N, h = Math.floor(a / (N * N)) % H, l = Math.floor(a / (N * N * H));
      throw new InputError('bad-attention', `attention[${l}][${h}][${i}][${j}] is ${x}; attention weights must be finite and >= 0`);
    }
  }
}

function checkToken(t: number, N: number, what: string): void {
  if (!Number.isInteger(t) || t < 0 || t >= N) throw new InputError('bad-token', `${what} ${t} is not a token index in [0, ${N})`);
}

/**
 * Â_l for l = 0..L-1, each N x N row-major float64 (see the module comment). Validates the input.
 */
export function attentionGraph(attn: Float32Array | Float64Array, L: number, H: number, N: number, opts: AttentionGraphOptions = {}): Float64Array[] {
  checkAttention(attn, L, H, N);
  const residual = opts.residual ?? true;
  const out: Float64Array[] = [];
  const NN = N * N;
  // numpy semantics: the head sum runs in the input's precision, one head after the other, then
  // / H; a Float32Array accumulator rounds every partial sum to float32 on store.
  const f32 = attn instanceof Float32Array;
  const acc = f32 ? new Float32Array(NN) : new Float64Array(NN);
  for (let l = 0; l < L; l++) {
    const base = l * H * NN;
    acc.set(attn.subarray(base, base + NN));
    for (let h = 1; h < H; h++) {
      const hb = base + h * NN;
      for (let e = 0; e < NN; e++) acc[e] += attn[hb + e];
    }
    const A = new Float64Array(NN);
    for (let e = 0; e < NN; e++) A[e] = f32 ? Math.fround(acc[e] / H) : acc[e] / H;
    if (residual) {
      for (let i = 0; i < N; i++) {
        const row = i * N;
        A[row + i] += 1;
        let sum = 0;
        for (let k = 0; k < N; k++) sum += A[row + k];
        for (let k = 0; k < N; k++) A[row + k] /= sum;
      }
    }
    out.push(A);
  }
  return out;
}

/**
 * Abnar & Zuidema attention rollout for one image: row `token` (default CLS) of
 * J = Â_{L-1} ... Â_0, over all N input tokens (index 0 = CLS), float64.
 * attn: (L, H, N, N) contiguous, attn[l][h][i][j], row = query.
 */
export function abnarRollout(attn: Float32Array | Float64Array, L: number, H: number, N: number, opts: AbnarRolloutOptions = {}): Float64Array {
  const token = opts.token ?? 0;
  checkToken(token, N, 'rollout token');
  const A = attentionGraph(attn, L, H, N, opts);
  // Only one row of the product is needed: r <- r Â_l from the last block down, O(L N^2).
  let r = new Float64Array(N);
  r[token] = 1;
  for (let l = L - 1; l >= 0; l--) {
    const next = new Float64Array(N);
    const Al = A[l];
    for (let i = 0; i < N; i++) {
      const ri = r[i];
      if (ri === 0) continue;
      const row = i * N;
      for (let k = 0; k < N; k++) next[k] += ri * Al[row + k];
    }
    r = next;
  }
  return r;
}

/**
 * Attention flow for one image (see the module comment for both variants), Float64Array(N) over
 * the input tokens (index 0 = CLS). attn: (L, H, N, N) contiguous, attn[l][h][i][j].
 */
export function attentionFlow(attn: Float32Array | Float64Array, L: number, H: number, N: number, opts: AttentionFlowOptions): Float64Array {
  const { graph, tokens, normalize } = flowProblem(attn, L, H, N, opts);
  return normalized(maxFlowToEachSink(graph, tokens, opts.onProgress), normalize);
}

/** attentionFlow that gives the event loop a turn between input tokens (no long task in a page; same values). */
export async function attentionFlowAsync(attn: Float32Array | Float64Array, L: number, H: number, N: number, opts: AttentionFlowOptions): Promise<Float64Array> {
  const { graph, tokens, normalize } = flowProblem(attn, L, H, N, opts);
  return normalized(await maxFlowToEachSinkAsync(graph, tokens, opts.onProgress), normalize);
}

/** The checked options and the layered graph of one attention flow. */
function flowProblem(attn: Float32Array | Float64Array, L: number, H: number, N: number, opts: AttentionFlowOptions): { graph: LayeredGraph; tokens: number[]; normalize: boolean } {
  const variant = opts.variant;
  if (variant !== 'abnar' && variant !== 'metzger') {
    throw new InputError('bad-option', `attention flow variant must be 'abnar' or 'metzger', got ${String(variant)}`);
  }
  const tokens = typeof opts.outputTokens === 'number' ? [opts.outputTokens] : Array.from(opts.outputTokens ?? [0]);
  if (tokens.length === 0) throw new InputError('bad-token', 'at least one output token is required');
  if (variant === 'abnar' && tokens.length !== 1) {
    throw new InputError('bad-token', `the 'abnar' flow has one source token, got ${tokens.length}; use variant 'metzger' for several output tokens`);
  }
  for (const t of tokens) checkToken(t, N, 'output token');
  const A = attentionGraph(attn, L, H, N, opts);
  return { graph: layeredAttentionGraph(A, N), tokens, normalize: opts.normalize ?? variant === 'abnar' };
}

/** f / sum(f) when asked (in place). */
function normalized(f: Float64Array, normalize: boolean): Float64Array {
  if (!normalize) return f;
  let sum = 0;
  for (let j = 0; j < f.length; j++) sum += f[j];
  for (let j = 0; j < f.length; j++) f[j] /= sum; // 0/0 = NaN if no flow at all, as in the reference
  return f;
}

/**
 * The Abnar-oriented layered graph: layer l = tokens after block l (layer 0 = inputs), arcs
 * (l, i) -> (l-1, k) with capacity Â_{l-1}[i, k], which is exactly Â's row-major layout. The
 * Metzger orientation is this graph with every arc reversed, which has the same max-flow values
 * with source and sink swapped (a flow maps to a flow by reversing it), so both variants run on it.
 */
function layeredAttentionGraph(A: Float64Array[], N: number): LayeredGraph {
  return { widths: new Array<number>(A.length + 1).fill(N), caps: A };
}
