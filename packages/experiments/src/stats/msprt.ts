import { assertCount, assertFinite, assertOpenUnit, assertPositive } from './assertions';
import type { Interval } from './Interval';

/** One look at a running two-arm experiment. */
export interface SequentialLook {
  /** Observed difference of means (or of conversion rates) B - A at this look. */
  diff: number;
  /**
   * Per-observation variance of the difference, σ²A + σ²B (for rates, pA(1 - pA) + pB(1 - pB)), so that
   * Var(diff) = varianceOfDiff / n. Only that ratio enters: with unequal arms pass
   * n · (σ²A/nA + σ²B/nB).
   */
  varianceOfDiff: number;
  /** Observations per arm so far, an integer >= 1. */
  n: number;
}

export interface MsprtOptions {
  /**
   * Variance τ² of the normal mixing distribution N(0, τ²) over the true difference, > 0. Power is best
   * for effects of size around τ; Johari et al. suggest matching τ to the effects seen in past
   * experiments on the metric, in the metric's own units (so squared rate differences for rates).
   */
  tau2: number;
  /** Significance level in (0, 1); the confidence sequence has coverage 1 - alpha. Default 0.05. */
  alpha?: number;
}

export interface MsprtResult {
  /** ln Λₙ, the log mixture likelihood ratio of H₁ (θ ~ N(0, τ²)) against H₀ (θ = 0). */
  logLikelihoodRatio: number;
  /**
   * min(1, 1/Λₙ) at this look alone. The always-valid p-value is the running minimum of this over all
   * looks so far; {@link SequentialMonitor} keeps it.
   */
  pValue: number;
  /** The confidence-sequence interval at this look; intersect over looks for the running one. */
  ci: Interval;
}

/**
 * Mixture sequential probability ratio test (mSPRT) for a difference of means or rates, under the
 * normal approximation (Johari, Pekelis, Walsh 2017, "Always valid inference: bringing sequential
 * analysis to A/B testing"; Robbins 1970).
 *
 * With s² = varianceOfDiff / n, the variance of the observed difference d, and mixing variance τ²:
 *   Λₙ = √(s²/(s² + τ²)) · exp(τ² d² / (2 s² (s² + τ²))),
 * the likelihood ratio of d under θ ~ N(0, τ²) against θ = 0. Λₙ is a non-negative martingale under H₀,
 * so by Ville's inequality P(∃ n: Λₙ ≥ 1/α) ≤ α: the p-value pₙ = min(1, min_{k≤n} 1/Λ_k) may be
 * monitored after every observation and the test stopped the first time pₙ < α, with the false-positive
 * rate still at most α. Inverting the test at every θ₀ gives the confidence sequence
 *   d ± √( s² (s² + τ²)/τ² · (ln((s² + τ²)/s²) - 2 ln α) ),
 * which covers the true difference at all looks simultaneously with probability ≥ 1 - α.
 * The guarantee is exact for normal data with known variance and asymptotic when the variance is
 * estimated (as with rates); the price of continuous monitoring is a wider interval than a
 * fixed-horizon one at any single look.
 *
 * @throws RangeError naming the argument when diff is not finite, varianceOfDiff or tau2 is not > 0, n is
 *   not an integer >= 1, or alpha is outside (0, 1).
 */
export function msprt(look: SequentialLook, options: MsprtOptions): MsprtResult {
  const alpha = options.alpha ?? 0.05;
  assertFinite('diff', look.diff);
  assertPositive('varianceOfDiff', look.varianceOfDiff);
  assertCount('n', look.n, 1);
  assertPositive('tau2', options.tau2);
  assertOpenUnit('alpha', alpha);
  const s2 = look.varianceOfDiff / look.n;
  const tau2 = options.tau2;
  // ln(s²/(s² + τ²)) = -ln(1 + τ²/s²), through log1p so a tiny τ²/s² keeps its digits.
  const logVarianceRatio = Math.log1p(tau2 / s2);
  const logLikelihoodRatio =
    -0.5 * logVarianceRatio + (tau2 * look.diff * look.diff) / (2 * s2 * (s2 + tau2));
  const half = Math.sqrt(((s2 * (s2 + tau2)) / tau2) * (logVarianceRatio - 2 * Math.log(alpha)));
  return {
    logLikelihoodRatio,
    pValue: Math.min(1, Math.exp(-logLikelihoodRatio)),
    ci: { lower: look.diff - half, upper: look.diff + half },
  };
}
