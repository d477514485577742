/**
 * Elementwise kernels over flat f32 tensors: fill, add, axpy, abs, GELU and the GELU gradient. Each
 * invocation handles one element; `bmod` lets an operand saved by the forward pass be broadcast
 * over the targets of a multi-target backward (index i reads element i % bmod).
 */
import type { GpuContext } from '../gpu/context.js';
import { defineKernel, grid1d } from '../gpu/kernel.js';
import type { Tensor } from '../gpu/tensor.js';
import { uniformStruct } from '../gpu/uniforms.js';
import { GELU_WGSL } from './gelu-math.js';

const WG = 64;
const Params = uniformStruct({ n: 'u32', bmod: 'u32', value: 'f32', alpha: 'f32' });

const INDEX = /* wgsl */ `
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = (wid.x + wid.y * nwg.x) * ${WG}u + li;
  if (i >= p.n) { return; }`;

const fillKernel = defineKernel({
  name: 'fill',
  params: Params,
  bindings: [{ name: 'Y', access: 'read_write' }],
  body: `${INDEX}\n  Y[i] = p.value;\n}`,
});

/** y = value * a + alpha * b[i % bmod] */
const addKernel = defineKernel({
  name: 'add',
  params: Params,
  bindings: [
    { name: 'A', access: 'read' },
    { name: 'Bv', access: 'read' },
    { name: 'Y', access: 'read_write' },
  ],
  body: `${INDEX}\n  Y[i] = p.value * A[i] + p.alpha * Bv[i % p.bmod];\n}`,
});

/** y += alpha * x */
const axpyKernel = defineKernel({
  name: 'axpy',
  params: Params,
  bindings: [
    { name: 'X', access: 'read' },
    { name: 'Y', access: 'read_write' },
  ],
  body: `${INDEX}\n  Y[i] += p.alpha * X[i];\n}`,
});

const absKernel = defineKernel({
  name: 'abs',
  params: Params,
  bindings: [
    { name: 'X', access: 'read' },
    { name: 'Y', access: 'read_write' },
  ],
  body: `${INDEX}\n  Y[i] = abs(X[i]);\n}`,
});

const geluKernel = defineKernel({
  name: 'gelu',
  params: Params,
  bindings: [
    { name: 'U', access: 'read' },
    { name: 'Y', access: 'read_write' },
  ],
  body: `${GELU_WGSL}\n${INDEX}\n  Y[i] = gelu(U[i]);\n}`,
});

/** du = dy * gelu'(u[i % bmod]) */
const geluGradKernel = defineKernel({
  name: 'gelu_grad',
  params: Params,
  bindings: [
    { name: 'DY', access: 'read' },
    { name: 'U', access: 'read' },
    { name: 'DU', access: 'read_write' },
  ],
  body: `${GELU_WGSL}\n${INDEX}\n  DU[i] = DY[i] * gelu_grad(U[i % p.bmod]);\n}`,
});

function params(n: number, o: { bmod?: number; value?: number; alpha?: number } = {}) {
  return { n, bmod: o.bmod ?? n, value: o.value ?? 0, alpha: o.alpha ?? 1 };
}

function groups(n: number) {
  return grid1d(Math.ceil(n / WG));
}

export function fill(ctx: GpuContext, y: Tensor, value: number, n = y.size): void {
  if (n > 0) ctx.dispatch(fillKernel, [y], params(n, { value }), groups(n));
}

/** y = beta * a + alpha * b (b broadcast with period bmod). */
export function add(ctx: GpuContext, a: Tensor, b: Tensor, y: Tensor, o: { alpha?: number; beta?: number; n?: number; bmod?: number } = {}): void {
  const n = o.n ?? y.size;
  if (n > 0) ctx.dispatch(addKernel, [a, b, y], params(n, { alpha: o.alpha ?? 1, value: o.beta ?? 1, bmod: o.bmod ?? b.size }), groups(n));
}

export function axpy(ctx: GpuContext, x: Tensor, y: Tensor, alpha = 1, n = y.size): void {
  if (n > 0) ctx.dispatch(axpyKernel, [x, y], params(n, { alpha }), groups(n));
}

export function absolute(ctx: GpuContext, x: Tensor, y: Tensor, n = y.size): void {
  if (n > 0) ctx.dispatch(absKernel, [x, y], params(n), groups(n));
}

export function geluForward(ctx: GpuContext, u: Tensor, y: Tensor, n = y.size): void {
  if (n > 0) ctx.dispatch(geluKernel, [u, y], params(n), groups(n));
}

export function geluBackward(ctx: GpuContext, dy: Tensor, u: Tensor, du: Tensor, n = du.size, umod = u.size): void {
  if (n > 0) ctx.dispatch(geluGradKernel, [dy, u, du], params(n, { bmod: umod }), groups(n));
}
