/**
 * A kernel is a declarative spec: named storage bindings, a typed uniform struct, a workgroup
 * size and a WGSL body. The binding and struct declarations are generated from the spec, so a
 * kernel's interface is stated once. `key` distinguishes specialisations of one kernel (tile
 * sizes, layouts); the pipeline cache compiles each (name, key) once per device.
 */
import type { ScalarType, UniformStruct } from './uniforms.js';

export interface Binding {
  name: string;
  /** `read` for inputs, `read_write` for outputs. */
  access: 'read' | 'read_write';
  /** WGSL type of the storage variable; default `array<f32>`. */
  type?: string;
}

export interface KernelSpec<F extends Record<string, ScalarType>> {
  name: string;
  /**
   * Specialisation key: everything the WGSL depends on beyond the name. Kernels with the same
   * name and key must generate the same WGSL; a context throws when they do not.
   */
  key?: string;
  bindings: Binding[];
  params: UniformStruct<F>;
  /** WGSL `enable` directives the body needs (e.g. `subgroups`). */
  enables?: string[];
  /** Everything after the declarations: helper functions and the `@compute fn main`. */
  body: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface Kernel<F extends Record<string, ScalarType> = any> {
  readonly name: string;
  readonly cacheKey: string;
  readonly bindings: readonly Binding[];
  readonly params: UniformStruct<F>;
  readonly enables: readonly string[];
  /** Complete WGSL source. */
  readonly code: string;
}

export function defineKernel<F extends Record<string, ScalarType>>(spec: KernelSpec<F>): Kernel<F> {
  const enables = spec.enables ?? [];
  const decls = spec.bindings.map(
    (b, i) => `@group(0) @binding(${i}) var<storage, ${b.access}> ${b.name}: ${b.type ?? 'array<f32>'};`,
  );
  const code = [
    ...enables.map((e) => `enable ${e};`),
    `// vitlens kernel: ${spec.name}${spec.key ? ` [${spec.key}]` : ''}`,
    spec.params.wgsl('Params'),
    ...decls,
    `@group(0) @binding(${spec.bindings.length}) var<uniform> p: Params;`,
    spec.body.trim(),
    '',
  ].join('\n');
  return {
    name: spec.name,
    cacheKey: spec.key ? `${spec.name}[${spec.key}]` : spec.name,
    bindings: spec.bindings,
    params: spec.params,
    enables,
    code,
  };
}

/** Largest workgroup count per grid dimension that every WebGPU device supports. */
export const MAX_GRID = 65535;

/**
 * Splits `groups` workgroups over x and y when they exceed the per-dimension limit; kernels
 * recover the linear index as `wid.x + wid.y * nwg.x` and must bounds-check it.
 */
export function grid1d(groups: number): [number, number, number] {
  if (groups <= MAX_GRID) return [Math.max(1, groups), 1, 1];
  const y = Math.ceil(groups / MAX_GRID);
  return [Math.ceil(groups / y), y, 1];
}

/** WGSL snippet: linear workgroup index for kernels launched with `grid1d`. */
export const LINEAR_WORKGROUP = 'wid.x + wid.y * nwg.x';
