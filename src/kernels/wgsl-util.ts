/**
 * Small WGSL helpers shared by kernels.
 *
 * `div_small` / `mod_small`: CPUs have no vector integer division, so lavapipe turns a per-lane
 * u32 division into one scalar division per lane. For a < 2^24 the quotient can be taken in f32
 * instead: a and b are exact in f32, the division is correctly rounded, and a quotient just below
 * an integer k is at least 1/b below it, more than the rounding error (< k * 2^-24), so the
 * truncation is exact. Use only where a < 2^24 is guaranteed (pixel and token coordinates).
 */
export const DIV_SMALL_WGSL = /* wgsl */ `
fn div_small(a: u32, b: u32) -> u32 { return u32(f32(a) / f32(b)); }
fn mod_small(a: u32, b: u32) -> u32 { return a - div_small(a, b) * b; }
`;
