/** CPU twins of the elementwise kernels (float64 results). */
import { geluGradRef, geluRef } from './gelu-math.js';

type Values = ArrayLike<number>;

const map = (n: number, f: (i: number) => number) => Float64Array.from({ length: n }, (_, i) => f(i));

export function fillCpu(n: number, value: number): Float64Array {
  return new Float64Array(n).fill(value);
}

/** y = beta * a + alpha * b[i % bmod] */
export function addCpu(a: Values, b: Values, o: { alpha?: number; beta?: number; n?: number; bmod?: number } = {}): Float64Array {
  const bmod = o.bmod ?? b.length;
  return map(o.n ?? a.length, (i) => (o.beta ?? 1) * a[i] + (o.alpha ?? 1) * b[i % bmod]);
}

/** y + alpha * x */
export function axpyCpu(x: Values, y: Values, alpha = 1): Float64Array {
  return map(y.length, (i) => y[i] + alpha * x[i]);
}

export function absoluteCpu(x: Values): Float64Array {
  return map(x.length, (i) => Math.abs(x[i]));
}

export function geluForwardCpu(u: Values): Float64Array {
  return map(u.length, (i) => geluRef(u[i]));
}

/** du = dy * gelu'(u[i % umod]) */
export function geluBackwardCpu(dy: Values, u: Values, umod = u.length): Float64Array {
  return map(dy.length, (i) => dy[i] * geluGradRef(u[i % umod]));
}
