/**
 * Exact maximum flow on layered DAGs (pure TypeScript, browser-safe).
 *
 * A layered graph has node layers 0..S; every arc goes from a node of layer l to a node of layer
 * l-1, and the capacities are one dense matrix per stage (a zero entry means "no arc"). Flow goes
 * from a set of source nodes in the top layer S (an implicit super-source with unbounded arcs) to
 * one sink node in layer 0. The attention graph of Abnar & Zuidema (2020) is such a graph.
 *
 * Algorithm: Goldberg-Tarjan push-relabel with highest-label selection, current arcs, the gap
 * heuristic and occasional global relabels; phase 1 only (a maximum preflow, whose sink excess is
 * the max-flow value). Arcs are implicit, (l, i) -> (l-1, k) being entry [i, k] of stage l, in
 * flat Float64Arrays: no per-arc objects, no adjacency lists. Worst case O(V^2 sqrt(E)); on the
 * ViT-B attention graph (V = 13*197, E = 12*197^2) a cold solve is a few sweeps over the arcs.
 *
 * Exactness: push-relabel is exact. It stops when no node with excess can reach the sink in the
 * residual graph; then every arc from the other nodes into the set R of nodes that can reach the
 * sink is saturated and no flow leaves R, so the sink excess equals the capacity of that cut,
 * i.e. the max-flow value (max-flow min-cut). This holds whatever preflow it started from, which
 * is what makes warm starts safe. The only error is float64 rounding of the additions: pushes move
 * min(excess, residual), and residuals and flows are stored separately, so a saturating push
 * leaves exactly 0 residual and a non-saturating one exactly 0 excess, and the combinatorial
 * termination argument holds in floating point as well.
 */
import { InputError } from '../errors.js';
import { TimeSlice } from '../time-slice.js';

/** Node layers 0..S with arcs only from layer l to layer l-1. */
export interface LayeredGraph {
  /** widths[l] = number of nodes in layer l, l = 0..S (S >= 1). Layer 0 holds the sinks. */
  readonly widths: readonly number[];
  /**
   * caps[l-1] (l = 1..S), row-major widths[l] x widths[l-1]: entry [i * widths[l-1] + k] is the
   * capacity of arc (l, i) -> (l-1, k). Capacities must be finite and >= 0; 0 means no arc.
   */
  readonly caps: readonly Float64Array[];
}

export type ProgressCallback = (done: number, total: number) => void;

/** Throws InputError unless `g` is a well-formed layered graph with finite, non-negative capacities. */
export function validateLayeredGraph(g: LayeredGraph): void {
  const { widths, caps } = g;
  if (widths.length < 2) throw new InputError('bad-graph', `a layered graph needs at least 2 layers, got ${widths.length}`);
  for (const w of widths) {
    if (!Number.isInteger(w) || w < 1) throw new InputError('bad-graph', `layer widths must be positive integers, got ${w}`);
  }
  if (caps.length !== widths.length - 1) {
    throw new InputError('bad-graph', `expected ${widths.length - 1} capacity matrices (one per stage), got ${caps.length}`);
  }
  for (let l = 1; l < widths.length; l++) {
    const c = caps[l - 1];
    const want = widths[l] * widths[l - 1];
    if (c.length !== want) throw new InputError('bad-graph', `stage ${l} capacities: expected ${want} entries, got ${c.length}`);
    for (let a = 0; a < c.length; a++) {
      const x = c[a];
      // `!(x >= 0)` also catches NaN.
      if (!(x >= 0) || x === Infinity) {
        throw new InputError('bad-capacity', `stage ${l} capacity [${Math.floor(a / widths[l - 1])}, ${a % widths[l - 1]}] is ${x}; capacities must be finite and >= 0`);
      }
    }
  }
}

function checkSources(g: LayeredGraph, sources: ArrayLike<number>): void {
  const top = g.widths[g.widths.length - 1];
  if (sources.length === 0) throw new InputError('bad-source', 'at least one source node is required');
  for (let a = 0; a < sources.length; a++) {
    const s = sources[a];
    if (!Number.isInteger(s) || s < 0 || s >= top) throw new InputError('bad-source', `source ${s} is not a node of the top layer (width ${top})`);
  }
}

/** Max-flow value from `sources` (top-layer node indices) to node `sink` of layer 0. */
export function maxFlowLayered(g: LayeredGraph, sources: ArrayLike<number>, sink: number): number {
  return new LayeredMaxFlow(g, sources).flowTo(sink);
}

/**
 * Max-flow values from `sources` to every node of layer 0, each a separate max-flow problem.
 * One residual graph serves all sinks (they differ only in the last stage): after sink j, the
 * flow into j is turned back into excess at layer 1, the arcs into the next sink are switched on,
 * labels are reset to the layer index (always valid, see `layerLabels`) and push-relabel resumes
 * from that preflow. Correct by the exactness argument above (any preflow is a valid start), and
 * about twice as fast as cold solves: the flow through the shared upper layers carries over.
 */
export function maxFlowToEachSink(g: LayeredGraph, sources: ArrayLike<number>, onProgress?: ProgressCallback): Float64Array {
  const n0 = g.widths[0];
  const out = new Float64Array(n0);
  const solver = new LayeredMaxFlow(g, sources);
  for (let j = 0; j < n0; j++) {
    out[j] = solver.flowTo(j);
    onProgress?.(j + 1, n0);
  }
  return out;
}

/** maxFlowToEachSink that gives the event loop a turn between sinks once `slice`'s budget is spent (a page stays responsive). */
export async function maxFlowToEachSinkAsync(g: LayeredGraph, sources: ArrayLike<number>, onProgress?: ProgressCallback, slice = new TimeSlice()): Promise<Float64Array> {
  const n0 = g.widths[0];
  const out = new Float64Array(n0);
  const solver = new LayeredMaxFlow(g, sources);
  for (let j = 0; j < n0; j++) {
    await slice.pause();
    out[j] = solver.flowTo(j);
    onProgress?.(j + 1, n0);
  }
  return out;
}

/**
 * Push-relabel state for one layered graph and source set (validated on construction, InputError
 * if malformed); `flowTo(sink)` may be called repeatedly with different sinks of layer 0, each
 * call warm-starting from the previous one's preflow.
 *
 * Storage, per stage l (arcs (l,i) -> (l-1,k)): `res` row-major by the upper node
 * (res[arcOff[l] + i*w[l-1] + k], residual capacity) and `flowT` row-major by the lower node
 * (flowT[arcOff[l] + k*w[l] + i], flow = residual of the reverse arc), so that both the forward
 * and the reverse arcs of a node are contiguous.
 */
export class LayeredMaxFlow {
  private readonly S: number; // top layer index
  private readonly w: Int32Array; // layer widths
  private readonly nodeOff: Int32Array; // node id of (l, 0)
  private readonly arcOff: Int32Array; // arcOff[l]: first arc of stage l (layer l -> l-1)
  private readonly layerOf: Int32Array;
  private readonly nTot: number; // node count; label nTot = "cannot reach the sink"
  private readonly cap: Float64Array; // row-major, like res
  private readonly res: Float64Array;
  private readonly flowT: Float64Array;
  private readonly d: Int32Array; // distance labels
  private readonly ex: Float64Array; // excess
  private readonly cur: Int32Array; // current-arc position
  private readonly count: Int32Array; // interior nodes per label (gap heuristic)
  private readonly head: Int32Array; // active nodes per label (singly linked)
  private readonly next: Int32Array;
  private readonly queue: Int32Array;
  private top = -1; // highest label that may hold an active node
  private sink = -1; // index in layer 0, -1 before the first call
  private sinkOpen = 0; // arcs into the sink with residual left
  private work = 0; // arc scans by relabels since the last global relabel
  private readonly workLimit: number;
  private readonly directFlows: Float64Array | null; // S = 1: no interior nodes

  constructor(g: LayeredGraph, sources: ArrayLike<number>) {
    validateLayeredGraph(g);
    checkSources(g, sources);
    const S = g.widths.length - 1;
    this.S = S;
    this.w = Int32Array.from(g.widths);
    this.nodeOff = new Int32Array(S + 2);
    for (let l = 0; l <= S; l++) this.nodeOff[l + 1] = this.nodeOff[l] + this.w[l];
    this.nTot = this.nodeOff[S + 1];
    this.layerOf = new Int32Array(this.nTot);
    for (let l = 0; l <= S; l++) this.layerOf.fill(l, this.nodeOff[l], this.nodeOff[l + 1]);
    this.arcOff = new Int32Array(S + 2);
    for (let l = 1; l <= S; l++) this.arcOff[l + 1] = this.arcOff[l] + this.w[l] * this.w[l - 1];
    const m = this.arcOff[S + 1];
    this.cap = new Float64Array(m);
    for (let l = 1; l <= S; l++) this.cap.set(g.caps[l - 1], this.arcOff[l]);
    this.res = this.cap.slice();
    this.flowT = new Float64Array(m);
    this.d = new Int32Array(this.nTot);
    this.ex = new Float64Array(this.nTot);
    this.cur = new Int32Array(this.nTot);
    this.count = new Int32Array(this.nTot + 1);
    this.head = new Int32Array(this.nTot + 1).fill(-1);
    this.next = new Int32Array(this.nTot);
    this.queue = new Int32Array(this.nTot);
    this.workLimit = Math.max(m, 1);

    const uniq = Array.from(new Set(Array.from(sources)));
    if (S === 1) {
      // Sources feed layer 0 directly: each sink receives the sum of its arcs from the sources.
      this.directFlows = new Float64Array(this.w[0]);
      for (const s of uniq) for (let k = 0; k < this.w[0]; k++) this.directFlows[k] += this.cap[s * this.w[0] + k];
      return;
    }
    this.directFlows = null;
    // Unbounded super-source: saturate every arc out of every source node.
    const wBelow = this.w[S - 1];
    const wTop = this.w[S];
    for (const s of uniq) {
      for (let k = 0; k < wBelow; k++) {
        const a = this.arcOff[S] + s * wBelow + k;
        const c = this.res[a];
        if (c > 0) {
          this.res[a] = 0;
          this.flowT[this.arcOff[S] + k * wTop + s] = c;
          this.ex[this.nodeOff[S - 1] + k] += c;
        }
      }
    }
  }

  /** Max-flow value to node `sink` of layer 0, warm-started from the previous call's preflow. */
  flowTo(sink: number): number {
    if (!Number.isInteger(sink) || sink < 0 || sink >= this.w[0]) {
      throw new InputError('bad-sink', `sink ${sink} is not a node of layer 0 (width ${this.w[0]})`);
    }
    if (this.directFlows) return this.directFlows[sink];
    if (this.sink >= 0 && this.sink !== sink) this.releaseSink();
    this.sink = sink;
    this.sinkOpen = 0;
    for (let i = 0; i < this.w[1]; i++) if (this.res[this.arcOff[1] + i * this.w[0] + sink] > 0) this.sinkOpen++;
    this.layerLabels();
    this.run();
    return this.ex[this.nodeOff[0] + sink];
  }

  /** Turns the flow into the current sink back into excess at layer 1 (a valid preflow again). */
  private releaseSink(): void {
    const w1 = this.w[1];
    const tBase = this.arcOff[1] + this.sink * w1; // flowT row of the sink
    for (let i = 0; i < w1; i++) {
      const f = this.flowT[tBase + i];
      if (f > 0) {
        this.ex[this.nodeOff[1] + i] += f;
        this.flowT[tBase + i] = 0;
        const a = this.arcOff[1] + i * this.w[0] + this.sink;
        this.res[a] = this.cap[a];
      }
    }
    this.ex[this.nodeOff[0] + this.sink] = 0;
  }

  /** Every label "unreached" but the sink's (0), empty buckets, fresh work counter; returns the sink's node. */
  private resetLabels(): number {
    this.d.fill(this.nTot);
    this.count.fill(0);
    this.head.fill(-1);
    this.cur.fill(0);
    this.top = -1;
    this.work = 0;
    const sinkNode = this.nodeOff[0] + this.sink;
    this.d[sinkNode] = 0;
    this.count[0] = 1;
    return sinkNode;
  }

  /**
   * d = layer index is always a valid labelling (every arc changes the layer by exactly 1 and
   * the sink is in layer 0), and it is the exact distance while the graph near the sink is
   * unsaturated, i.e. right after a sink swap. Costs O(V) instead of a global relabel's O(E).
   */
  private layerLabels(): void {
    const { d, ex, count } = this;
    this.resetLabels();
    for (let u = this.nodeOff[1]; u < this.nodeOff[this.S]; u++) {
      d[u] = this.layerOf[u];
      count[d[u]]++;
    }
    for (let u = this.nodeOff[1]; u < this.nodeOff[this.S]; u++) if (ex[u] > 0) this.activate(u);
  }

  private run(): void {
    const { d, ex, head, next } = this;
    while (this.sinkOpen > 0) {
      while (this.top >= 0 && head[this.top] < 0) this.top--;
      if (this.top < 0) return;
      const v = head[this.top];
      head[this.top] = next[v];
      if (d[v] !== this.top || ex[v] <= 0) continue; // stale entry (gap or global relabel)
      this.discharge(v);
      if (this.work > this.workLimit) this.globalRelabel();
    }
    // Every arc into the sink is saturated: that cut is minimum, the sink excess is the max flow.
  }

  private activate(u: number): void {
    const du = this.d[u];
    this.next[u] = this.head[du];
    this.head[du] = u;
    if (du > this.top) this.top = du;
  }

  /**
   * Pushes the excess of v along admissible arcs (d[v] = d[u] + 1), relabelling when none is
   * left, until the excess is gone or v cannot reach the sink. Arc positions of v = (l, i):
   * first the forward arcs to layer l-1 (only the sink's when l = 1), then the reverse arcs to
   * layer l+1 (residual = flow of (l+1, m) -> (l, i)).
   */
  private discharge(v: number): void {
    const { d, ex, res, flowT, nTot, head, next } = this;
    const l = this.layerOf[v];
    const i = v - this.nodeOff[l];
    const S = this.S;
    const kLo = l === 1 ? this.sink : 0;
    const nFwd = l === 1 ? 1 : this.w[l - 1];
    const nUp = l < S ? this.w[l + 1] : 0;
    const nArcs = nFwd + nUp;
    const wl = this.w[l];
    const downNode = this.nodeOff[l - 1] + kLo;
    const fwdArc = this.arcOff[l] + i * this.w[l - 1] + kLo; // res, contiguous in k
    const fwdT = this.arcOff[l] + kLo * wl + i; // flowT of the same arcs, stride wl
    const upNode = l < S ? this.nodeOff[l + 1] : 0;
    const upT = l < S ? this.arcOff[l + 1] + i * this.w[l + 1] : 0; // flowT, contiguous in m
    const upRes = l < S ? this.arcOff[l + 1] + i : 0; // res of the same arcs, stride wl
    const sinkNode = this.nodeOff[0] + this.sink;
    let e = ex[v];
    let p = this.cur[v];
    for (;;) {
      const want = d[v] - 1;
      // Forward arcs.
      for (; p < nFwd; p++) {
        const a = fwdArc + p;
        const r = res[a];
        if (r <= 0) continue;
        const u = downNode + p;
        if (d[u] !== want) continue;
        const delta = e < r ? e : r;
        res[a] = r - delta;
        flowT[fwdT + p * wl] += delta;
        e -= delta;
        if (u === sinkNode) {
          ex[u] += delta;
          if (delta === r) this.sinkOpen--;
        } else if (ex[u] > 0) ex[u] += delta;
        else {
          ex[u] = delta;
          next[u] = head[want];
          head[want] = u;
        }
        if (e <= 0) break; // keep p: the arc may still be admissible
      }
      if (e <= 0) break;
      // Reverse arcs.
      for (; p < nArcs; p++) {
        const mIdx = p - nFwd;
        const f = flowT[upT + mIdx];
        if (f <= 0) continue;
        const u = upNode + mIdx;
        if (d[u] !== want) continue;
        const delta = e < f ? e : f;
        flowT[upT + mIdx] = f - delta;
        res[upRes + mIdx * wl] += delta;
        e -= delta;
        if (ex[u] > 0) ex[u] += delta;
        else {
          ex[u] = delta;
          next[u] = head[want];
          head[want] = u;
        }
        if (e <= 0) break;
      }
      if (e <= 0) break;
      p = this.relabel(v, l, i);
      if (d[v] >= nTot) break;
      if (d[v] - 1 > this.top) this.top = d[v] - 1; // where v's pushes will land
    }
    ex[v] = e > 0 ? e : 0;
    this.cur[v] = p;
  }

  /**
   * d[v] = 1 + min label over residual arcs (nTot if none), then the gap heuristic. Returns the
   * position of the first arc that is admissible under the new label (the new current arc).
   *
   * Early exit: every finite label has the parity of its node's layer (true of layer labels and
   * BFS distances, and kept by relabels since arcs join adjacent layers). v is relabelled because
   * no residual arc leads to label d[v]-1, and valid labels forbid anything lower, so no neighbour
   * can be below d[v]+1: the first residual arc to a node labelled d[v]+1 gives the minimum.
   */
  private relabel(v: number, l: number, i: number): number {
    const { d, res, flowT, nTot, count } = this;
    const S = this.S;
    const old = d[v];
    const best = old + 1;
    let mn = nTot;
    let at = 0;
    let nFwd = 1;
    if (l === 1) {
      if (res[this.arcOff[1] + i * this.w[0] + this.sink] > 0) mn = 0; // unreachable: kept for safety
    } else {
      const wd = this.w[l - 1];
      nFwd = wd;
      const base = this.arcOff[l] + i * wd;
      const dn = this.nodeOff[l - 1];
      let k = 0;
      for (; k < wd; k++) {
        if (res[base + k] > 0 && d[dn + k] < mn) {
          mn = d[dn + k];
          at = k;
          if (mn <= best) break;
        }
      }
      this.work += k;
    }
    if (l < S && mn > best) {
      const wu = this.w[l + 1];
      const base = this.arcOff[l + 1] + i * wu;
      const un = this.nodeOff[l + 1];
      let m = 0;
      for (; m < wu; m++) {
        if (flowT[base + m] > 0 && d[un + m] < mn) {
          mn = d[un + m];
          at = nFwd + m;
          if (mn <= best) break;
        }
      }
      this.work += m;
    }
    const nd = mn + 1 < nTot ? mn + 1 : nTot;
    count[old]--;
    d[v] = nd;
    if (nd < nTot) count[nd]++;
    if (count[old] === 0 && old < nTot) this.gap(old);
    return at;
  }

  /** No node has label g: every node above it cannot reach the sink any more. */
  private gap(g: number): void {
    const { d, count, nTot } = this;
    for (let u = this.nodeOff[1]; u < this.nodeOff[this.S]; u++) {
      const du = d[u];
      if (du > g && du < nTot) {
        count[du]--;
        d[u] = nTot;
      }
    }
  }

  /**
   * Exact labels: breadth-first search from the sink along reverse residual arcs, interior
   * nodes only (top-layer nodes are sources, never active, or have no flow at all).
   */
  private globalRelabel(): void {
    const { d, ex, res, flowT, nTot, count, queue } = this;
    const S = this.S;
    const sinkNode = this.resetLabels();
    let qh = 0;
    let qt = 0;
    queue[qt++] = sinkNode;
    while (qh < qt) {
      const x = queue[qh++];
      const l = this.layerOf[x];
      const i = x - this.nodeOff[l];
      const dx = d[x] + 1;
      // (l+1, m) -> (l, i) forward arcs with residual, unless l+1 is the top layer.
      if (l + 1 < S) {
        const stride = this.w[l];
        const base = this.arcOff[l + 1] + i;
        const un = this.nodeOff[l + 1];
        const wu = this.w[l + 1];
        for (let m = 0; m < wu; m++) {
          const u = un + m;
          if (d[u] === nTot && res[base + m * stride] > 0) {
            d[u] = dx;
            count[dx]++;
            queue[qt++] = u;
          }
        }
      }
      // (l-1, k) -> (l, i) reverse arcs: flow on (l, i) -> (l-1, k); layer 0 holds only the sink.
      if (l >= 2) {
        const wl = this.w[l];
        const base = this.arcOff[l] + i;
        const dn = this.nodeOff[l - 1];
        const wd = this.w[l - 1];
        for (let k = 0; k < wd; k++) {
          const u = dn + k;
          if (d[u] === nTot && flowT[base + k * wl] > 0) {
            d[u] = dx;
            count[dx]++;
            queue[qt++] = u;
          }
        }
      }
    }
    for (let u = this.nodeOff[1]; u < this.nodeOff[S]; u++) if (ex[u] > 0 && d[u] < nTot) this.activate(u);
  }
}
