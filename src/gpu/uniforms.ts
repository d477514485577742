/**
 * Typed uniform structs: one declaration gives both the WGSL `struct` text and the packing of
 * values into the uniform arena, so a kernel's parameters cannot drift between TypeScript and
 * WGSL. Fields are 4-byte scalars only (u32, i32, f32), which keeps the WGSL layout trivial:
 * field i sits at byte 4*i.
 */
export type ScalarType = 'u32' | 'i32' | 'f32';

export interface UniformStruct<F extends Record<string, ScalarType>> {
  readonly fields: F;
  readonly names: (keyof F & string)[];
  /** Byte size rounded up to 16 (WGSL uniform struct alignment). */
  readonly byteSize: number;
  /** `struct <name> { a: u32, b: f32, ... }` */
  wgsl(name: string): string;
  /** Writes `values` at byte `offset` of `view`; every field must be given. */
  pack(values: { [K in keyof F]: number }, view: DataView, offset: number): void;
}

/** WGSL keywords that cannot name a struct member (the common ones a parameter might be called). */
const WGSL_KEYWORDS = new Set(['discard', 'loop', 'break', 'continue', 'return', 'switch', 'case', 'default', 'if', 'else', 'for', 'while', 'let', 'var', 'const', 'fn', 'struct', 'true', 'false', 'enable', 'override', 'alias', 'diagnostic', 'requires', 'continuing', 'const_assert']);

export function uniformStruct<F extends Record<string, ScalarType>>(fields: F): UniformStruct<F> {
  const names = Object.keys(fields) as (keyof F & string)[];
  for (const n of names) if (WGSL_KEYWORDS.has(n)) throw new Error(`uniform field "${n}" is a WGSL keyword`);
  const byteSize = Math.max(16, Math.ceil((4 * names.length) / 16) * 16);
  return {
    fields,
    names,
    byteSize,
    wgsl: (name) => `struct ${name} {\n${names.map((n) => `  ${n}: ${fields[n]},`).join('\n')}\n}`,
    pack(values, view, offset) {
      names.forEach((n, i) => {
        const v = values[n];
        if (v === undefined || Number.isNaN(v)) throw new Error(`uniform field ${n} is ${v}`);
        const at = offset + 4 * i;
        switch (fields[n]) {
          case 'u32':
            if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`uniform field ${n} = ${v} is not a u32`);
            view.setUint32(at, v, true);
            break;
          case 'i32':
            view.setInt32(at, v, true);
            break;
          case 'f32':
            view.setFloat32(at, v, true);
            break;
        }
      });
    },
  };
}

export type UniformValues<S> = S extends UniformStruct<infer F> ? { [K in keyof F]: number } : never;
