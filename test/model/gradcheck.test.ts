/**
 * Finite-difference checks of every backward: each op runs forward on the GPU with a tape, a
 * random cotangent R seeds the backward, and the GPU gradients of the inputs (and parameters)
 * are compared with double-sided differences of L(x) = sum(R * f(x)) computed by the op's float64
 * CPU twin. Tolerance: |gpu - fd| <= 2e-3 * max|fd| + 1e-5 on sampled coordinates (float32
 * gradients against float64 differences with h = 1e-5).
 */
import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context.js';
import type { Tensor } from '../../src/gpu/tensor.js';
import { attention, average, assemble, gelu, imagePatches, layerNorm, linear, mlp, pool, softmax, type OpContext, type Param } from '../../src/model/ops/index.js';
import { runBackward, Tape } from '../../src/model/tape.js';
import { assembleCpu, attentionCpu, geluCpu, layerNormOpCpu, linearCpu, patchifyCpu, poolCpu, softmaxCpu, type F64 } from '../helpers/cpu-ops.js';
import { gpuContext, seededRandom } from '../helpers/gpu.js';

interface Var {
  name: string;
  shape: number[];
  data: F64;
  /** A parameter (weight gradient) rather than an input (activation gradient). */
  param?: boolean;
}

interface OpCheck {
  name: string;
  vars: Var[];
  /** GPU forward from tensors by name; returns the output. */
  gpu: (op: OpContext, t: Record<string, Tensor>, p: Record<string, Param>) => Tensor;
  /** CPU float64 forward. */
  cpu: (v: Record<string, F64>) => F64;
}

function rnd(seed: number, shape: number[], scale = 1): Var['data'] {
  const r = seededRandom(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return Float64Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

async function check(ctx: GpuContext, c: OpCheck): Promise<void> {
  const tensors: Record<string, Tensor> = {};
  const params: Record<string, Param> = {};
  for (const v of c.vars) {
    const t = ctx.upload(Float32Array.from(v.data), v.shape);
    if (v.param) params[v.name] = { name: v.name, t };
    else tensors[v.name] = t;
  }
  const tape = new Tape(ctx, true);
  const out = c.gpu({ ctx, tape }, tensors, params);
  const values = Object.fromEntries(c.vars.map((v) => [v.name, v.data]));
  const y0 = c.cpu(values);
  const R = rnd(99, [y0.length]);
  const ids = new Map(Object.entries(tensors).map(([n, t]) => [t.id, n]));
  const result = runBackward(tape, { outputGrads: [{ tensor: out, grad: ctx.upload(Float32Array.from(R), [1, ...out.shape]) }], T: 1, gradTaps: ids, namedTaps: new Set() });
  const loss = (vals: Record<string, F64>) => c.cpu(vals).reduce((s, y, i) => s + y * R[i], 0);
  const rand = seededRandom(7);
  for (const v of c.vars) {
    const g = v.param ? result.weightGrads.get(v.name) : result.grads.get(v.name);
    expect(g, `${c.name}: no gradient for ${v.name}`).toBeDefined();
    const got = await g!.read();
    const h = 1e-5;
    const samples = Math.min(v.data.length, 24);
    const fd: number[] = [];
    const gpu: number[] = [];
    for (let s = 0; s < samples; s++) {
      const i = samples === v.data.length ? s : Math.floor(rand() * v.data.length);
      const plus = v.data.slice(); plus[i] += h;
      const minus = v.data.slice(); minus[i] -= h;
      fd.push((loss({ ...values, [v.name]: plus }) - loss({ ...values, [v.name]: minus })) / (2 * h));
      gpu.push(got[i]);
    }
    const scale = Math.max(...fd.map(Math.abs));
    const err = Math.max(...fd.map((f, k) => Math.abs(f - gpu[k])));
    expect(err, `${c.name}: d/d${v.name} max err ${err} (scale ${scale})`).toBeLessThanOrEqual(2e-3 * scale + 1e-5);
  }
  for (const g of [...result.grads.values(), ...result.weightGrads.values()]) g.release();
  out.release();
  for (const t of Object.values(tensors)) t.release();
  for (const p of Object.values(params)) p.t.release();
}

const M = 6, K = 12, N = 8, D = 8;

const CHECKS: OpCheck[] = [
  {
    name: 'linear + bias',
    vars: [
      { name: 'x', shape: [M, K], data: rnd(1, [M, K]) },
      { name: 'w', shape: [N, K], data: rnd(2, [N, K]), param: true },
      { name: 'b', shape: [N], data: rnd(3, [N]), param: true },
    ],
    gpu: (op, t, p) => linear(op, { x: t.x, M, weight: p.w, bias: p.b }),
    cpu: (v) => linearCpu(v.x, M, v.w, N, K, v.b),
  },
  {
    name: 'linear + LayerScale + residual',
    vars: [
      { name: 'x', shape: [M, K], data: rnd(4, [M, K]) },
      { name: 'r', shape: [M, N], data: rnd(5, [M, N]) },
      { name: 'w', shape: [N, K], data: rnd(6, [N, K]), param: true },
      { name: 'b', shape: [N], data: rnd(7, [N]), param: true },
      { name: 'g', shape: [N], data: rnd(8, [N]), param: true },
    ],
    gpu: (op, t, p) => linear(op, { x: t.x, M, weight: p.w, bias: p.b, layerScale: p.g, residual: t.r }),
    cpu: (v) => linearCpu(v.x, M, v.w, N, K, v.b, v.g, v.r),
  },
  {
    // The residual edge's gradient is applied after the record's own gradient (tape.ts,
    // passThrough): were it shared first, dx += ds W would write into the dy it reads.
    name: 'linear whose residual is its own input (y = x W^T + b + x)',
    vars: [
      { name: 'x', shape: [M, N], data: rnd(23, [M, N]) },
      { name: 'w', shape: [N, N], data: rnd(24, [N, N]), param: true },
      { name: 'b', shape: [N], data: rnd(25, [N]), param: true },
    ],
    gpu: (op, t, p) => linear(op, { x: t.x, M, weight: p.w, bias: p.b, residual: t.x }),
    cpu: (v) => linearCpu(v.x, M, v.w, N, N, v.b, undefined, v.x),
  },
  {
    // One op (mlp.ts): GELU fused into fc1's epilogue forward and into fc2's input gradient backward.
    name: 'mlp: fc1 -> gelu -> fc2 with layerscale and residual',
    vars: [
      { name: 'x', shape: [M, K], data: rnd(30, [M, K], 1.5) },
      { name: 'r', shape: [M, N], data: rnd(31, [M, N]) },
      { name: 'w1', shape: [D, K], data: rnd(32, [D, K]), param: true },
      { name: 'b1', shape: [D], data: rnd(33, [D]), param: true },
      { name: 'w2', shape: [N, D], data: rnd(34, [N, D]), param: true },
      { name: 'b2', shape: [N], data: rnd(35, [N]), param: true },
      { name: 'g', shape: [N], data: rnd(36, [N]), param: true },
    ],
    gpu: (op, t, p) => mlp(op, { x: t.x, M, fc1: { weight: p.w1, bias: p.b1 }, fc2: { weight: p.w2, bias: p.b2 }, layerScale: p.g, residual: t.r }),
    cpu: (v) => linearCpu(geluCpu(linearCpu(v.x, M, v.w1, D, K, v.b1)), M, v.w2, N, D, v.b2, v.g, v.r),
  },
  {
    name: 'layernorm',
    vars: [
      { name: 'x', shape: [M, D], data: rnd(9, [M, D], 2) },
      { name: 'g', shape: [D], data: rnd(10, [D]), param: true },
      { name: 'b', shape: [D], data: rnd(11, [D]), param: true },
    ],
    gpu: (op, t, p) => layerNorm(op, t.x, M, p.g, p.b, 1e-6),
    cpu: (v) => layerNormOpCpu(v.x, M, v.g, v.b, 1e-6),
  },
  {
    name: 'gelu',
    vars: [{ name: 'u', shape: [M, D], data: rnd(12, [M, D], 3) }],
    gpu: (op, t) => gelu(op, t.u),
    cpu: (v) => geluCpu(v.u),
  },
  {
    name: 'attention (2 images, 3 heads, 5 tokens)',
    vars: [{ name: 'qkv', shape: [2 * 5, 3 * 12], data: rnd(13, [2 * 5, 3 * 12], 1.5) }],
    gpu: (op, t) => {
      const { probs, out } = attention(op, t.qkv, { B: 2, N: 5, H: 3, D: 12 }, 0, false);
      probs?.release();
      return out;
    },
    cpu: (v) => attentionCpu(v.qkv, 2, 5, 3, 12),
  },
  {
    name: 'patch embedding down to pixels (10x13 image, 4x4 patches: border pixels unused)',
    vars: [
      { name: 'img', shape: [2, 3, 10, 13], data: rnd(14, [2, 3, 10, 13]) },
      { name: 'w', shape: [5, 48], data: rnd(15, [5, 48]), param: true },
      { name: 'b', shape: [5], data: rnd(16, [5]), param: true },
    ],
    gpu: (op, t, p) => {
      const patches = imagePatches(op, t.img, { B: 2, C: 3, H: 10, W: 13, ph: 4, pw: 4 });
      const e = linear(op, { x: patches, M: 2 * 2 * 3, weight: p.w, bias: p.b });
      patches.release();
      return e;
    },
    cpu: (v) => linearCpu(patchifyCpu(v.img, 2, 3, 10, 13, 4, 4), 12, v.w, 5, 48, v.b),
  },
  ...[true, false].map((posPrefix): OpCheck => ({
    name: `prefix tokens + position embedding (pos covers prefix: ${posPrefix})`,
    vars: [
      { name: 'e', shape: [2 * 4, D], data: rnd(17, [8, D]) },
      { name: 'prefix', shape: [2, D], data: rnd(18, [2, D]), param: true },
      { name: 'pos', shape: [posPrefix ? 6 : 4, D], data: rnd(19, [posPrefix ? 6 : 4, D]), param: true },
    ],
    gpu: (op, t, p) => assemble(op, t.e, { prefix: p.prefix.t, prefixParts: [{ name: 'prefix', rows: 2 }], pos: p.pos.t, posName: 'pos' }, { B: 2, N: 6, NP: 2, D, posPrefix }),
    cpu: (v) => assembleCpu(v.prefix, v.e, v.pos, 2, 6, 2, D, posPrefix),
  })),
  ...(['token', 'avg'] as const).map((mode): OpCheck => ({
    name: `pool ${mode}`,
    vars: [{ name: 'z', shape: [3 * 5, D], data: rnd(20, [15, D]) }],
    gpu: (op, t) => pool(op, t.z, { B: 3, N: 5, D, mode, first: mode === 'token' ? 1 : 2 }),
    cpu: (v) => poolCpu(v.z, 3, 5, D, mode, mode === 'token' ? 1 : 2),
  })),
  {
    name: 'softmax (rows of 13: not a multiple of the workgroup)',
    vars: [{ name: 'x', shape: [5, 13], data: rnd(26, [5, 13], 3) }],
    gpu: (op, t) => softmax(op, t.x, 5, 13),
    cpu: (v) => softmaxCpu(v.x, 13),
  },
  {
    name: 'average',
    vars: [
      { name: 'a', shape: [3, D], data: rnd(21, [3, D]) },
      { name: 'b', shape: [3, D], data: rnd(22, [3, D]) },
    ],
    gpu: (op, t) => average(op, t.a, t.b),
    cpu: (v) => v.a.map((x, i) => 0.5 * x + 0.5 * v.b[i]),
  },
];

describe('finite-difference gradient checks (float64 CPU twins)', () => {
  for (const c of CHECKS) {
    it(c.name, async () => {
      await check(await gpuContext(), c);
    });
  }
});
