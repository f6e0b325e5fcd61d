import { assertCount, assertOpenUnit, assertPositive, assertSameLength } from './assertions';
import { chiSquareSf } from './chiSquare';

export interface SampleRatioMismatchOptions {
  /**
   * Significance level in (0, 1). Default 0.001: the check runs on every experiment, often daily, and a
   * false alarm stops an experiment, so it is stricter than the level of the effect tests.
   */
  alpha?: number;
}

export interface SampleRatioMismatchResult {
  /** Pearson's statistic Σ (Oᵢ - Eᵢ)² / Eᵢ. */
  chiSquare: number;
  /** Number of arms - 1. */
  df: number;
  pValue: number;
  /** Expected count per arm, N · shareᵢ / Σ shares. */
  expected: number[];
  /** pValue < alpha: the split differs from the configured one more than chance explains. */
  mismatch: boolean;
}

/**
 * Sample-ratio-mismatch check: Pearson's chi-square goodness-of-fit test of the observed units per arm
 * against the configured split. With N = Σ Oᵢ and Eᵢ = N · wᵢ / Σ w, the statistic
 * χ² = Σ (Oᵢ - Eᵢ)²/Eᵢ has k - 1 degrees of freedom under H₀ and pValue = P(χ²_{k-1} > χ²).
 * A mismatch means assignment or logging is broken (redirects, bot filters, crashes in one arm) and the
 * effect estimates of the experiment cannot be trusted, whatever they say.
 *
 * Shares are normalised by their sum, so `[50, 50]`, `[0.5, 0.5]` and the experiment's variant
 * allocations in percent all work.
 *
 * @throws RangeError naming the argument when the arrays differ in length or hold fewer than 2 arms, a
 *   count is not a non-negative integer, all counts are 0, a share is not > 0, or alpha is outside (0, 1).
 */
export function sampleRatioMismatch(
  observedCounts: readonly number[],
  expectedShares: readonly number[],
  options: SampleRatioMismatchOptions = {},
): SampleRatioMismatchResult {
  const alpha = options.alpha ?? 0.001;
  if (!Array.isArray(observedCounts) || observedCounts.length < 2) {
    throw new RangeError(
      `observedCounts must be an array of at least 2 counts; received ${JSON.stringify(observedCounts)}`,
    );
  }
  assertSameLength('observedCounts', observedCounts, 'expectedShares', expectedShares);
  observedCounts.forEach((c, i) => assertCount(`observedCounts[${i}]`, c));
  expectedShares.forEach((s, i) => assertPositive(`expectedShares[${i}]`, s));
  assertOpenUnit('alpha', alpha);
  const total = observedCounts.reduce((s, c) => s + c, 0);
  if (total === 0) throw new RangeError('observedCounts must not all be 0');

  const shareSum = expectedShares.reduce((s, w) => s + w, 0);
  const expected = expectedShares.map((w) => (total * w) / shareSum);
  let chiSquare = 0;
  for (let i = 0; i < observedCounts.length; i++) {
    chiSquare += (observedCounts[i]! - expected[i]!) ** 2 / expected[i]!;
  }
  const df = observedCounts.length - 1;
  const pValue = chiSquareSf(chiSquare, df);
  return { chiSquare, df, pValue, expected, mismatch: pValue < alpha };
}
