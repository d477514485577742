import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { abnarRollout, attentionFlow, attentionFlowAsync, attentionGraph } from '../../src/explain/attention-graph.js';
import { LayeredMaxFlow, maxFlowLayered, maxFlowToEachSink, maxFlowToEachSinkAsync, type LayeredGraph } from '../../src/explain/maxflow.js';
import { TimeSlice } from '../../src/time-slice.js';
import { goldenCases } from '../helpers/golden.js';
import { mulberry32 as rng } from '../../src/random.js';

// ---------------------------------------------------------------------------------------------
// Helpers: seeded random numbers, random attention, an independent Edmonds-Karp.


function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** Softmax attention (L, H, N, N) with N(0, scale^2) logits: peaked, ViT-like rows. */
function randomAttention(L: number, H: number, N: number, seed: number, scale = 2): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(L * H * N * N);
  const row = new Float64Array(N);
  for (let base = 0; base < out.length; base += N) {
    let max = -Infinity;
    for (let k = 0; k < N; k++) max = Math.max(max, (row[k] = scale * gaussian(r)));
    let sum = 0;
    for (let k = 0; k < N; k++) sum += row[k] = Math.exp(row[k] - max);
    for (let k = 0; k < N; k++) out[base + k] = row[k] / sum;
  }
  return out;
}

/**
 * Textbook Edmonds-Karp (shortest augmenting paths by BFS) on an explicit arc list, written
 * independently of maxflow.ts: a super-source (node 0) with unbounded arcs to the sources.
 */
function edmondsKarp(g: LayeredGraph, sources: number[], sink: number): number {
  const { widths, caps } = g;
  const S = widths.length - 1;
  const id: number[][] = [];
  let n = 1;
  for (let l = 0; l <= S; l++) id.push(Array.from({ length: widths[l] }, () => n++));
  const to: number[] = [], cap: number[] = [], adj: number[][] = Array.from({ length: n }, () => []);
  const addArc = (u: number, v: number, c: number) => {
    adj[u].push(to.length); to.push(v); cap.push(c);
    adj[v].push(to.length); to.push(u); cap.push(0);
  };
  for (const s of sources) addArc(0, id[S][s], Infinity);
  for (let l = 1; l <= S; l++)
    for (let i = 0; i < widths[l]; i++)
      for (let k = 0; k < widths[l - 1]; k++) {
        const c = caps[l - 1][i * widths[l - 1] + k];
        if (c > 0) addArc(id[l][i], id[l - 1][k], c);
      }
  const t = id[0][sink];
  let total = 0;
  for (;;) {
    const via = new Array<number>(n).fill(-1); // arc used to reach each node
    const queue = [0];
    const seen = new Array<boolean>(n).fill(false);
    seen[0] = true;
    for (let q = 0; q < queue.length && !seen[t]; q++) {
      for (const a of adj[queue[q]]) {
        const v = to[a];
        if (!seen[v] && cap[a] > 0) {
          seen[v] = true;
          via[v] = a;
          queue.push(v);
        }
      }
    }
    if (!seen[t]) return total;
    let push = Infinity;
    for (let v = t; v !== 0; v = to[via[v] ^ 1]) push = Math.min(push, cap[via[v]]);
    for (let v = t; v !== 0; v = to[via[v] ^ 1]) {
      cap[via[v]] -= push;
      cap[via[v] ^ 1] += push;
    }
    total += push;
  }
}

/** Random layered graph: widths 1..maxW, ~30% zero arcs, one sink cut off entirely. */
function randomLayeredGraph(r: () => number, stages: number, maxW: number): LayeredGraph {
  const widths = Array.from({ length: stages + 1 }, () => 1 + Math.floor(r() * maxW));
  const caps = [];
  for (let l = 1; l <= stages; l++) {
    const c = new Float64Array(widths[l] * widths[l - 1]);
    for (let a = 0; a < c.length; a++) c[a] = r() < 0.3 ? 0 : r() < 0.1 ? 1 + Math.floor(r() * 3) : r();
    caps.push(c);
  }
  if (widths[0] > 1) {
    const dead = Math.floor(r() * widths[0]);
    for (let i = 0; i < widths[1]; i++) caps[0][i * widths[0] + dead] = 0;
  }
  return { widths, caps };
}

// ---------------------------------------------------------------------------------------------
// (a) Golden reference values.

describe('golden: Abnar & Zuidema reference (samiraabnar/attention_flow)', () => {
  const cases = goldenCases();

  /** Largest |actual - expected| / |expected| over a row, and how many values round to the stored float32. */
  function compareRow(actual: Float64Array, expected: Float32Array): { maxRel: number; f32Exact: number } {
    let maxRel = 0;
    let f32Exact = 0;
    for (let j = 0; j < expected.length; j++) {
      maxRel = Math.max(maxRel, Math.abs(actual[j] - expected[j]) / Math.abs(expected[j]));
      if (Math.fround(actual[j]) === expected[j]) f32Exact++;
    }
    return { maxRel, f32Exact };
  }

  for (const c of cases) {
    const hasAttn = c.has('attn');
    it.runIf(hasAttn && c.has('abnar_rollout'))(`${c.name}: abnar_rollout for every stored attention row`, () => {
      const [rows, L, H, N] = c.shape('attn');
      const attn = c.f32('attn');
      const expected = c.f32('abnar_rollout');
      const batch = c.batchIndices('attn');
      let worst = 0;
      let exact = 0;
      for (let r = 0; r < rows; r++) {
        const b = batch[r];
        const got = abnarRollout(attn.subarray(r * L * H * N * N, (r + 1) * L * H * N * N), L, H, N);
        const { maxRel, f32Exact } = compareRow(got, expected.subarray(b * N, (b + 1) * N));
        worst = Math.max(worst, maxRel);
        exact += f32Exact;
      }
      console.log(`${c.name} abnar_rollout: ${rows} row(s), max relative error ${worst.toExponential(2)}, ${exact}/${rows * N} equal after rounding to float32`);
      // The reference is stored as float32: half an ulp is 2^-24 ~ 6e-8 relative.
      expect(worst).toBeLessThan(1e-7);
    });

    it.runIf(hasAttn && c.has('attention_flow'))(`${c.name}: attention_flow (abnar) for every stored attention row`, () => {
      const [rows, L, H, N] = c.shape('attn');
      const attn = c.f32('attn');
      const expected = c.f32('attention_flow');
      const batch = c.batchIndices('attn');
      let worst = 0;
      let exact = 0;
      for (let r = 0; r < rows; r++) {
        const b = batch[r];
        const got = attentionFlow(attn.subarray(r * L * H * N * N, (r + 1) * L * H * N * N), L, H, N, { variant: 'abnar' });
        const { maxRel, f32Exact } = compareRow(got, expected.subarray(b * N, (b + 1) * N));
        worst = Math.max(worst, maxRel);
        exact += f32Exact;
      }
      console.log(`${c.name} attention_flow: ${rows} row(s), max relative error ${worst.toExponential(2)}, ${exact}/${rows * N} equal after rounding to float32`);
      expect(worst).toBeLessThan(1e-7);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// (b) The layered max-flow against Edmonds-Karp.

describe('layered max-flow vs Edmonds-Karp', () => {
  it('matches on random small layered graphs (zero arcs, cut-off sinks, several sources)', () => {
    const r = rng(7);
    let worst = 0;
    let checked = 0;
    let positive = 0;
    for (let trial = 0; trial < 300; trial++) {
      const g = randomLayeredGraph(r, 1 + Math.floor(r() * 5), 6);
      const top = g.widths[g.widths.length - 1];
      const sources = [Math.floor(r() * top)];
      if (top > 1 && r() < 0.3) sources.push((sources[0] + 1) % top);
      const all = maxFlowToEachSink(g, sources); // warm-started, sink after sink
      for (let j = 0; j < g.widths[0]; j++) {
        const want = edmondsKarp(g, sources, j);
        const cold = maxFlowLayered(g, sources, j);
        worst = Math.max(worst, Math.abs(all[j] - want), Math.abs(cold - want));
        checked++;
        if (want > 0) positive++;
      }
    }
    console.log(`max-flow vs Edmonds-Karp: ${checked} problems (${positive} with positive flow), max abs difference ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-12);
  });

  it('warm starts give the same values in any sink order, repeats included', () => {
    const r = rng(11);
    for (let trial = 0; trial < 30; trial++) {
      const g = randomLayeredGraph(r, 2 + Math.floor(r() * 4), 8);
      const solver = new LayeredMaxFlow(g, [0]);
      for (let q = 0; q < 3 * g.widths[0]; q++) {
        const j = Math.floor(r() * g.widths[0]);
        expect(solver.flowTo(j)).toBeCloseTo(edmondsKarp(g, [0], j), 12);
      }
    }
  });

  it('equals Edmonds-Karp on a dense attention graph (L = 4, N = 24)', () => {
    const L = 4, H = 2, N = 24;
    const g: LayeredGraph = { widths: new Array(L + 1).fill(N), caps: attentionGraph(randomAttention(L, H, N, 3), L, H, N) };
    const all = maxFlowToEachSink(g, [0]);
    let worst = 0;
    for (let j = 0; j < N; j++) worst = Math.max(worst, Math.abs(all[j] - edmondsKarp(g, [0], j)));
    console.log(`dense attention graph vs Edmonds-Karp: ${N} sinks, max abs difference ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-12);
  });

  it('the sliced variants (event-loop turns between sinks) give the same values and progress', async () => {
    const L = 3, H = 2, N = 16;
    const attn = randomAttention(L, H, N, 5);
    const g: LayeredGraph = { widths: new Array(L + 1).fill(N), caps: attentionGraph(attn, L, H, N) };
    const progress: number[] = [];
    // A zero budget yields before every sink: the warm start must survive the turns.
    const sliced = await maxFlowToEachSinkAsync(g, [0], (done) => progress.push(done), new TimeSlice(0));
    expect(sliced).toEqual(maxFlowToEachSink(g, [0]));
    expect(progress).toEqual(Array.from({ length: N }, (_, j) => j + 1));
    for (const variant of ['abnar', 'metzger'] as const) {
      expect(await attentionFlowAsync(attn, L, H, N, { variant })).toEqual(attentionFlow(attn, L, H, N, { variant }));
    }
    await expect(attentionFlowAsync(attn, L, H, N, { variant: 'abnar', outputTokens: [0, 1] })).rejects.toThrow(InputError);
  });
});

// ---------------------------------------------------------------------------------------------
// (c) The Metzger variant on a hand-checkable graph, and its relation to the Abnar variant.

describe('attention flow, Metzger variant', () => {
  // L = 2 blocks, N = 3 tokens, one head, no residual: the capacities are the attention itself.
  // Arcs (0, j) -> (1, i) carry A0[i][j], arcs (1, i) -> (2, t) carry A1[t][i]. With two blocks
  // every path from input j passes exactly one middle node i, and different i share no arc, so
  // the max flow from (0, j) is sum_i min(A0[i][j], cap of i into the sink).
  const A0 = [
    [0.6, 0.4, 0.0],
    [0.1, 0.1, 0.8],
    [0.0, 0.5, 0.5],
  ];
  const A1 = [
    [0.5, 0.3, 0.2], // CLS of the last layer
    [0.0, 0.0, 1.0],
    [0.3, 0.3, 0.4],
  ];
  const attn = Float32Array.from([...A0.flat(), ...A1.flat()]);
  const f = Math.fround;
  const minSum = (j: number, intoSink: number[]) => [0, 1, 2].reduce((s, i) => s + Math.min(f(A0[i][j]), intoSink[i]), 0);

  it('CLS as the only sink: 0.6, 0.7, 0.5', () => {
    const got = attentionFlow(attn, 2, 1, 3, { variant: 'metzger', residual: false });
    const intoCls = A1[0].map(f);
    // j = 0: min(.6,.5) + min(.1,.3) + min(0,.2) = 0.6; j = 1: .4 + .1 + .2 = 0.7; j = 2: 0 + .3 + .2 = 0.5
    expect(Array.from(got)).toEqual([0, 1, 2].map((j) => expect.closeTo(minSum(j, intoCls), 14)));
    expect(Array.from(got)).toEqual([expect.closeTo(0.6, 7), expect.closeTo(0.7, 7), expect.closeTo(0.5, 7)]);
    // The rollout of the same graph is different (0.33, 0.33, 0.34): flow is not rollout.
    expect(Array.from(abnarRollout(attn, 2, 1, 3, { residual: false }))).toEqual([
      expect.closeTo(0.33, 7),
      expect.closeTo(0.33, 7),
      expect.closeTo(0.34, 7),
    ]);
  });

  it('several sink tokens: sink capacities add up per middle node', () => {
    const got = attentionFlow(attn, 2, 1, 3, { variant: 'metzger', residual: false, outputTokens: [0, 1] });
    const intoSinks = [0, 1, 2].map((i) => f(A1[0][i]) + f(A1[1][i])); // 0.5, 0.3, 1.2
    // j = 0: .5 + .1 + 0 = 0.6; j = 1: .4 + .1 + .5 = 1.0; j = 2: 0 + .3 + .5 = 0.8
    expect(Array.from(got)).toEqual([0, 1, 2].map((j) => expect.closeTo(minSum(j, intoSinks), 14)));
    const norm = attentionFlow(attn, 2, 1, 3, { variant: 'metzger', residual: false, outputTokens: [0, 1], normalize: true });
    expect(Array.from(norm)).toEqual([expect.closeTo(0.6 / 2.4, 7), expect.closeTo(1 / 2.4, 7), expect.closeTo(0.8 / 2.4, 7)]);
  });

  it('with one sink token equals the Abnar flow before normalisation (reversal symmetry)', () => {
    const L = 3, H = 2, N = 12;
    const a = randomAttention(L, H, N, 5);
    for (const t of [0, 4]) {
      const m = attentionFlow(a, L, H, N, { variant: 'metzger', outputTokens: [t] });
      const ab = attentionFlow(a, L, H, N, { variant: 'abnar', outputTokens: t });
      const sum = m.reduce((s, x) => s + x, 0);
      for (let j = 0; j < N; j++) expect(m[j] / sum).toBeCloseTo(ab[j], 14);
      // The arcs into the sink are one row of Â, which sums to 1: no input token gets more than 1.
      expect(Math.max(...m)).toBeLessThanOrEqual(1 + 1e-12);
    }
  });
});

describe('abnar rollout options', () => {
  it('returns row `token` of the full product Â_{L-1} ... Â_0, a probability vector', () => {
    const L = 3, H = 2, N = 5;
    const a = randomAttention(L, H, N, 9);
    const A = attentionGraph(a, L, H, N);
    // Full product, plain triple loops.
    let J = A[0];
    for (let l = 1; l < L; l++) {
      const P = new Float64Array(N * N);
      for (let i = 0; i < N; i++) for (let k = 0; k < N; k++) for (let m = 0; m < N; m++) P[i * N + k] += A[l][i * N + m] * J[m * N + k];
      J = P;
    }
    for (let t = 0; t < N; t++) {
      const row = abnarRollout(a, L, H, N, { token: t });
      for (let k = 0; k < N; k++) expect(row[k]).toBeCloseTo(J[t * N + k], 14);
      expect(row.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 14);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// (d) Bad input.

describe('bad input throws InputError', () => {
  const L = 2, H = 2, N = 4;
  const good = randomAttention(L, H, N, 1);
  const bad = (patch: (a: Float32Array) => void) => {
    const a = good.slice();
    patch(a);
    return a;
  };
  const cases: [string, () => unknown][] = [
    ['wrong length', () => abnarRollout(good.subarray(1), L, H, N)],
    ['shape not matching', () => attentionFlow(good, L, H, N + 1, { variant: 'abnar' })],
    ['zero layers', () => abnarRollout(new Float32Array(0), 0, H, N)],
    ['fractional N', () => abnarRollout(good, L, H, 2.5)],
    ['NaN weight', () => attentionFlow(bad((a) => (a[5] = NaN)), L, H, N, { variant: 'abnar' })],
    ['infinite weight', () => abnarRollout(bad((a) => (a[0] = Infinity)), L, H, N)],
    ['negative weight', () => attentionFlow(bad((a) => (a[9] = -0.1)), L, H, N, { variant: 'metzger' })],
    ['token out of range', () => abnarRollout(good, L, H, N, { token: N })],
    ['output token out of range', () => attentionFlow(good, L, H, N, { variant: 'metzger', outputTokens: [0, -1] })],
    ['two abnar sources', () => attentionFlow(good, L, H, N, { variant: 'abnar', outputTokens: [0, 1] })],
    ['no output token', () => attentionFlow(good, L, H, N, { variant: 'metzger', outputTokens: [] })],
    ['unknown variant', () => attentionFlow(good, L, H, N, { variant: 'rollout' as never })],
    ['negative capacity', () => maxFlowLayered({ widths: [2, 1], caps: [Float64Array.from([1, -1])] }, [0], 0)],
    ['NaN capacity', () => maxFlowLayered({ widths: [2, 1], caps: [Float64Array.from([1, NaN])] }, [0], 0)],
    ['infinite capacity', () => maxFlowLayered({ widths: [1, 1], caps: [Float64Array.from([Infinity])] }, [0], 0)],
    ['capacity matrix of the wrong size', () => maxFlowLayered({ widths: [2, 2], caps: [new Float64Array(3)] }, [0], 0)],
    ['missing stage', () => maxFlowLayered({ widths: [2, 2, 2], caps: [new Float64Array(4)] }, [0], 0)],
    ['single layer', () => maxFlowLayered({ widths: [2], caps: [] }, [0], 0)],
    ['source outside the top layer', () => maxFlowLayered({ widths: [2, 2], caps: [new Float64Array(4)] }, [2], 0)],
    ['no source', () => maxFlowToEachSink({ widths: [2, 2], caps: [new Float64Array(4)] }, [])],
    ['sink outside layer 0', () => maxFlowLayered({ widths: [2, 2], caps: [new Float64Array(4)] }, [0], 5)],
  ];
  for (const [name, run] of cases) it(name, () => expect(run).toThrow(InputError));
});

// ---------------------------------------------------------------------------------------------
// (e) Speed at ViT-B size (printed, not asserted).

describe('ViT-B-sized attention graph (L = 12, N = 197)', () => {
  it('prints the time of both variants', () => {
    const L = 12, H = 12, N = 197;
    const attn = randomAttention(L, H, N, 42);
    let progressCalls = 0;
    const t0 = performance.now();
    const ab = attentionFlow(attn, L, H, N, { variant: 'abnar', onProgress: () => progressCalls++ });
    const t1 = performance.now();
    const mz = attentionFlow(attn, L, H, N, { variant: 'metzger' });
    const t2 = performance.now();
    console.log(`attention flow, L=12 H=12 N=197 (197 max-flows of 2561 nodes / 465k arcs): abnar ${(t1 - t0).toFixed(0)} ms, metzger ${(t2 - t1).toFixed(0)} ms`);
    expect(progressCalls).toBe(N);
    expect(ab.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
    expect(mz.every((x) => x > 0 && x <= 1 + 1e-12)).toBe(true);
  });
});
