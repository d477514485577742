/**
 * What the fused attention kernels of both families share: the parameter block and the
 * loads/stores of four head components at a time.
 *
 * Layouts (see src/model/ops/attention.ts): qkv [B*N, 3D] with component e of head h of part
 * s (q, k, v) in column s*D + h*hd + e; O and dO [.*N, D] head-major; P, dP, dS [., H, N, N].
 * A grid's z index is the (target x) image, y the head, x the block of query (or key) rows, so
 * no kernel divides per lane to find its head.
 */
import type { Binding } from '../gpu/kernel.js';
import { uniformStruct } from '../gpu/uniforms.js';

export const AttentionParams = uniformStruct({
  N: 'u32', H: 'u32', D: 'u32', hd: 'u32',
  /** Images: the saved qkv / P of gradient batch z belong to image z % B. */
  B: 'u32',
  scale: 'f32',
  flags: 'u32',
});

export const ATTENTION_FLAGS = {
  /** Forward: write P. Gradient: write dP (the `attn.<l>` gradient tap). */
  writeMatrix: 1,
  /** Gradient: add into dqkv instead of overwriting it. */
  accumulate: 2,
} as const;

/**
 * Rows can be read as vec4: hd % 4 == 0 (then D = H*hd and 3D are too, so every head's
 * segment starts 16-byte aligned). Otherwise the kernels load four masked scalars.
 */
export function attentionVectorizable(hd: number): boolean {
  return hd % 4 === 0;
}

/** Binding of a [rows, width] operand read or written four head components at a time. */
function rowBinding(name: string, access: Binding['access'], vec: boolean): Binding {
  return { name, access, type: vec ? 'array<vec4f>' : 'array<f32>' };
}

export type AttentionPart = 'forward' | 'grad_q' | 'grad_kv';

/**
 * The bindings of each part, the same in both families: the order attention.ts dispatches its
 * tensors in (forward: qkv, O, P; grad_q: qkv, P, dO, O, dqkv, dP, dS; grad_kv: qkv, P, dO, dS, dqkv).
 */
export function attentionBindings(part: AttentionPart, vec: boolean): Binding[] {
  switch (part) {
    case 'forward':
      return [rowBinding('QKV', 'read', vec), rowBinding('O', 'read_write', vec), { name: 'P', access: 'read_write' }];
    case 'grad_q':
      return [
        rowBinding('QKV', 'read', vec),
        { name: 'P', access: 'read' },
        rowBinding('DO', 'read', vec),
        rowBinding('O', 'read', vec),
        rowBinding('DQKV', 'read_write', vec),
        { name: 'DP', access: 'read_write' },
        { name: 'DS', access: 'read_write' },
      ];
    case 'grad_kv':
      return [rowBinding('QKV', 'read', vec), { name: 'P', access: 'read' }, rowBinding('DO', 'read', vec), { name: 'DS', access: 'read' }, rowBinding('DQKV', 'read_write', vec)];
  }
}

/**
 * WGSL `ld_X(base, e)` (components e..e+3 of the head segment starting at element `base`;
 * components at or past hd read as 0), and with `store`, `st_X(base, e, v)` / `add_X(...)`
 * that leave components past hd alone. In vec4 mode e is a multiple of 4 and hd % 4 == 0.
 */
/** put_X: a gradient accumulates into X (the `flags & 2` launch bit: dqkv already holds another part) or overwrites it. */
const PUT = (name: string) => `fn put_${name}(base: u32, e: u32, v: vec4f, acc: bool) { if (acc) { add_${name}(base, e, v); } else { st_${name}(base, e, v); } }`;

export function rowAccess(name: string, vec: boolean, store = false): string {
  if (vec) {
    return [
      `fn ld_${name}(base: u32, e: u32) -> vec4f { return ${name}[(base + e) >> 2u]; }`,
      ...(store
        ? [
            `fn st_${name}(base: u32, e: u32, v: vec4f) { ${name}[(base + e) >> 2u] = v; }`,
            `fn add_${name}(base: u32, e: u32, v: vec4f) { let i = (base + e) >> 2u; ${name}[i] = ${name}[i] + v; }`,
            PUT(name),
          ]
        : []),
    ].join('\n');
  }
  const comp = (c: number) => `select(0.0, ${name}[base + e + ${c}u], e + ${c}u < p.hd)`;
  const each = (body: (c: number) => string) => [0, 1, 2, 3].map((c) => `  if (e + ${c}u < p.hd) { ${body(c)} }`).join('\n');
  return [
    `fn ld_${name}(base: u32, e: u32) -> vec4f { return vec4f(${[0, 1, 2, 3].map(comp).join(', ')}); }`,
    ...(store
      ? [
          `fn st_${name}(base: u32, e: u32, v: vec4f) {\n${each((c) => `${name}[base + e + ${c}u] = v[${c}];`)}\n}`,
          `fn add_${name}(base: u32, e: u32, v: vec4f) {\n${each((c) => `${name}[base + e + ${c}u] += v[${c}];`)}\n}`,
          PUT(name),
        ]
      : []),
  ].join('\n');
}
