/**
 * k-th smallest value of each of S segments (radix select on the GPU). Floats are mapped to
 * order-preserving u32 keys; four passes over the 8-bit digits, most significant first, each
 * count the candidates' digits in a 256-bin histogram (workgroup atomics, one workgroup per
 * segment) and pick the digit where the running count reaches k. Result per segment:
 * STATE[4s] = key prefix (the k-th smallest key after the last pass), STATE[4s+1] = rank of the
 * k-th value among the values sharing that prefix; later kernels compare keys against it.
 */
import type { GpuContext } from '../../gpu/context.js';
import { defineKernel } from '../../gpu/kernel.js';
import type { Tensor } from '../../gpu/tensor.js';
import { uniformStruct } from '../../gpu/uniforms.js';
import { fill } from '../elementwise.js';

const WG = 256;
const Params = uniformStruct({ n: 'u32', shift: 'u32', k: 'u32' });

/** WGSL: order-preserving map from f32 bits to u32 (negative floats reversed). */
export const FLOAT_KEY_WGSL = /* wgsl */ `
fn float_key(v: f32) -> u32 {
  let b = bitcast<u32>(v);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}`;

const passKernel = defineKernel({
  name: 'radix_select_pass',
  params: Params,
  bindings: [
    { name: 'X', access: 'read' },
    { name: 'STATE', access: 'read_write', type: 'array<u32>' },
  ],
  body: /* wgsl */ `
${FLOAT_KEY_WGSL}
var<workgroup> hist: array<atomic<u32>, 256>;
var<workgroup> chosen: array<u32, 2>;

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let s = wid.x;
  atomicStore(&hist[li], 0u);
  workgroupBarrier();
  // Keys whose digits above 'shift + 8' equal the prefix chosen so far are candidates.
  let prefix = STATE[4u * s];
  let rank = select(STATE[4u * s + 1u], p.k, p.shift == 24u);
  let hi = p.shift + 8u;
  for (var i = li; i < p.n; i += ${WG}u) {
    let key = float_key(X[s * p.n + i]);
    let same = hi >= 32u || (key >> hi) == (prefix >> hi);
    if (same) { atomicAdd(&hist[(key >> p.shift) & 255u], 1u); }
  }
  workgroupBarrier();
  if (li == 0u) {
    var seen = 0u;
    var digit = 255u;
    for (var d = 0u; d < 256u; d++) {
      let c = atomicLoad(&hist[d]);
      if (seen + c > rank) { digit = d; break; }
      seen += c;
    }
    chosen[0] = digit;
    chosen[1] = rank - seen;
  }
  workgroupBarrier();
  if (li == 0u) {
    let keep = select(prefix & ~((1u << hi) - 1u), 0u, hi >= 32u);
    STATE[4u * s] = keep | (chosen[0] << p.shift);
    STATE[4u * s + 1u] = chosen[1];
  }
}`,
});

/**
 * For each segment of X [S, n], finds the key of the (k+1)-th smallest value (0-based rank k)
 * and writes it into state [S, 4] (u32). k must be < n.
 */
export function selectKth(ctx: GpuContext, x: Tensor, state: Tensor, S: number, n: number, k: number): void {
  if (S === 0) return;
  fill(ctx, state, 0);
  for (const shift of [24, 16, 8, 0]) ctx.dispatch(passKernel, [x, state], { n, shift, k }, [S, 1, 1]);
}
