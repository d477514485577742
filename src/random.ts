/**
 * The one pseudo-random generator of vitlens (mulberry32): a 32-bit seed gives a reproducible
 * stream of uniform numbers in [0, 1). Small, fast and good enough for jitter, random controls
 * and test data; not for anything that needs statistical strength or secrecy.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
