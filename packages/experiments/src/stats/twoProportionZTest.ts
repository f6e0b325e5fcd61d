import { assertCount, assertOpenUnit } from './assertions';
import type { Interval } from './Interval';
import { normalQuantile, normalSf } from './normal';

/** Conversions of two arms: A is the control, B the treatment; every effect is reported as B - A. */
export interface TwoProportionCounts {
  successesA: number;
  trialsA: number;
  successesB: number;
  trialsB: number;
}

export interface TwoProportionOptions {
  /** Two-sided significance level in (0, 1); the interval has coverage 1 - alpha. Default 0.05. */
  alpha?: number;
}

export interface TwoProportionResult {
  rateA: number;
  rateB: number;
  /** pB - pA. */
  diff: number;
  /** Relative lift (pB - pA) / pA; NaN when pA = 0 (no baseline to be relative to). */
  lift: number;
  /** Pooled z statistic. */
  z: number;
  /** Two-sided p-value 2 (1 - Φ(|z|)). */
  pValue: number;
  /** Unpooled Wald interval for pB - pA at level 1 - alpha. */
  ci: Interval;
  /** pValue < alpha. */
  significant: boolean;
}

/**
 * Two-sided two-proportion z-test of H₀: pA = pB.
 *
 * With p̂A = sA/nA, p̂B = sB/nB and the pooled rate p̂ = (sA + sB)/(nA + nB):
 * - z = (p̂B - p̂A) / √(p̂(1 - p̂)(1/nA + 1/nB)), pValue = 2(1 - Φ(|z|)) (the pooled standard error is the
 *   one that holds under H₀);
 * - ci = (p̂B - p̂A) ± Φ⁻¹(1 - α/2) √(p̂A(1 - p̂A)/nA + p̂B(1 - p̂B)/nB) (unpooled Wald, the standard error
 *   away from H₀). The two standard errors differ slightly, so near the boundary the interval can
 *   exclude 0 while the test does not reject, or the reverse.
 * When no arm varies (p̂ = 0 or 1) the data carry no evidence: z = 0 and pValue = 1.
 * Needs roughly n·p̂ ≥ 5 successes and failures per arm for the normal approximation to hold.
 *
 * @throws RangeError naming the argument when a count is not a non-negative integer, a trial count is 0,
 *   successes exceed trials, or alpha is outside (0, 1).
 */
export function twoProportionZTest(
  counts: TwoProportionCounts,
  options: TwoProportionOptions = {},
): TwoProportionResult {
  const { successesA, trialsA, successesB, trialsB } = counts;
  const alpha = options.alpha ?? 0.05;
  assertCount('trialsA', trialsA, 1);
  assertCount('trialsB', trialsB, 1);
  assertCount('successesA', successesA);
  assertCount('successesB', successesB);
  if (successesA > trialsA) {
    throw new RangeError(`successesA must be <= trialsA; received ${successesA} > ${trialsA}`);
  }
  if (successesB > trialsB) {
    throw new RangeError(`successesB must be <= trialsB; received ${successesB} > ${trialsB}`);
  }
  assertOpenUnit('alpha', alpha);

  const rateA = successesA / trialsA;
  const rateB = successesB / trialsB;
  const diff = rateB - rateA;
  const pooled = (successesA + successesB) / (trialsA + trialsB);
  const pooledSe = Math.sqrt(pooled * (1 - pooled) * (1 / trialsA + 1 / trialsB));
  const z = pooledSe > 0 ? diff / pooledSe : 0;
  const pValue = Math.min(1, 2 * normalSf(Math.abs(z)));
  const se = Math.sqrt((rateA * (1 - rateA)) / trialsA + (rateB * (1 - rateB)) / trialsB);
  const half = normalQuantile(1 - alpha / 2) * se;
  return {
    rateA,
    rateB,
    diff,
    lift: rateA > 0 ? diff / rateA : NaN,
    z,
    pValue,
    ci: { lower: diff - half, upper: diff + half },
    significant: pValue < alpha,
  };
}
