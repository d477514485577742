/**
 * Exact GELU as timm's `nn.GELU()` (approximate='none'): gelu(u) = u * Phi(u) with
 * Phi(u) = (1 + erf(u / sqrt 2)) / 2. WGSL has no erf, so it is built here; the float64 twin
 * below is the CPU reference used by the tests.
 */

const ERFC_CHEB = [
  -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587,
  -0.82215223, 0.17087277,
];

const TWO_OVER_SQRT_PI = 1.1283791670955126;

function hornerWgsl(coeffs: number[], v: string): string {
  // c0 + v*(c1 + v*(c2 + ...))
  let s = coeffs[coeffs.length - 1].toExponential(10);
  for (let i = coeffs.length - 2; i >= 0; i--) s = `fma(${v}, ${s}, ${coeffs[i].toExponential(10)})`;
  return s;
}

/**
 * WGSL functions `erf_f32`, `gelu`, `gelu_grad` (d gelu / du). erf is branchless (a CPU vector
 * executes both sides of a branch): 1 - erfc(|x|) with Numerical Recipes' Chebyshev fit of erfc,
 * whose absolute error (< 1.2e-7) is what GELU and its gradient see.
 */
export const GELU_WGSL = /* wgsl */ `
fn erf_f32(x: f32) -> f32 {
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.5 * z);
  let erfc = t * exp(-z * z + ${hornerWgsl(ERFC_CHEB, 't')});
  return sign(x) * (1.0 - erfc);
}
fn gelu(u: f32) -> f32 {
  return 0.5 * u * (1.0 + erf_f32(u * 0.70710678118654752));
}
fn gelu_grad(u: f32) -> f32 {
  let cdf = 0.5 * (1.0 + erf_f32(u * 0.70710678118654752));
  let pdf = 0.39894228040143268 * exp(-0.5 * u * u);
  return cdf + u * pdf;
}
`;

/** erf in float64, accurate to ~1e-15 (series for small |x|, continued fraction for erfc beyond). */
export function erf(x: number): number {
  const z = Math.abs(x);
  if (z < 2.5) {
    // Maclaurin series converges quickly here in float64.
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 80; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * sum;
  }
  // erfc(z) = exp(-z^2)/sqrt(pi) * 1/(z + 1/2/(z + 1/(z + 3/2/(z + ...)))) (Lentz-free backward evaluation).
  let f = 0;
  for (let k = 60; k >= 1; k--) f = (k / 2) / (z + f);
  const erfc = Math.exp(-z * z) / Math.sqrt(Math.PI) / (z + f);
  return Math.sign(x) * (1 - erfc);
}

export function geluRef(u: number): number {
  return 0.5 * u * (1 + erf(u / Math.SQRT2));
}

export function geluGradRef(u: number): number {
  return 0.5 * (1 + erf(u / Math.SQRT2)) + u * Math.exp(-0.5 * u * u) / Math.sqrt(2 * Math.PI);
}
