/**
 * `Symbol.dispose` where the runtime lacks it (Node 20 before 20.4, browsers without explicit
 * resource management), so that `using t = ...` releases vitlens tensors everywhere. The fallback
 * is the registered symbol that esbuild's and TypeScript's `using` helpers look up when
 * `Symbol.dispose` is missing, so compiled `using` code and these classes agree. Imported first
 * by tensor.ts: class bodies read `Symbol.dispose` when they are evaluated.
 */
const symbols = Symbol as unknown as { dispose?: symbol; asyncDispose?: symbol };
symbols.dispose ??= Symbol.for('Symbol.dispose');
symbols.asyncDispose ??= Symbol.for('Symbol.asyncDispose');

export {};
