/**
 * The golden tolerances, stated once: the golden tests (test/model/golden-*.test.ts,
 * test/explain/golden-explain.test.ts) and the GPU check (bench/gpu/check.ts) apply the same
 * numbers. Why each is what it is: see the test files' headers.
 */
export const GOLDEN_TOLERANCE = {
  /** Forward: logits, latent and token features, max abs error. */
  featuresAbs: 1e-4,
  /** Forward: attention probabilities, max abs error. */
  attentionAbs: 1e-5,
  /** Backward: max abs error / the reference's largest magnitude. */
  gradientRel: 1e-4,
  /** Explanation maps: max abs error / the map's largest magnitude. */
  mapRel: 1e-3,
  /** Explanation maps: Spearman rank correlation per map (non-constant maps, full maps only). */
  mapSpearman: 0.999,
  /** Maps computed on the CPU in float64 (Abnar rollout) and raw attention rows. */
  exactMapRel: 1e-5,
  /** Attention flow (exact max-flow; float32 storage of the reference). */
  flowRel: 1e-6,
} as const;
