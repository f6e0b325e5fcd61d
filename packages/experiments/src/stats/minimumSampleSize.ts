import { assertFinite, assertOpenUnit, assertPositive } from './assertions';
import { normalQuantile } from './normal';

export interface ProportionSampleSizeInput {
  /** Conversion rate of the control, in (0, 1). */
  baselineRate: number;
  /** Smallest relative change worth detecting, e.g. 0.1 for +10%; non-zero, and the treated rate must stay in (0, 1). */
  relativeLift: number;
  /** Two-sided significance level in (0, 1). Default 0.05. */
  alpha?: number;
  /** Probability of detecting the lift when it is real, in (0, 1). Default 0.8. */
  power?: number;
}

/**
 * Units per arm for a two-sided two-proportion z-test (equal arms) to detect a relative lift with the
 * given power:
 * n = ⌈(z_{1-α/2} √(2 p̄(1 - p̄)) + z_{power} √(p₁(1 - p₁) + p₂(1 - p₂)))² / (p₂ - p₁)²⌉,
 * with p₁ = baselineRate, p₂ = p₁(1 + relativeLift), p̄ = (p₁ + p₂)/2 (Fleiss, Statistical Methods for
 * Rates and Proportions, without continuity correction): the first term is the pooled standard error
 * under H₀ that {@link twoProportionZTest} uses, the second the unpooled one under the alternative.
 * Example: baseline 10%, +10% lift, α = 0.05, power 0.8 → 14 751 per arm.
 *
 * @throws RangeError naming the argument when a rate, alpha or power is outside (0, 1) or the lift is 0
 *   or moves the rate outside (0, 1).
 */
export function minimumSampleSize(input: ProportionSampleSizeInput): number {
  const { baselineRate, relativeLift } = input;
  const alpha = input.alpha ?? 0.05;
  const power = input.power ?? 0.8;
  assertOpenUnit('baselineRate', baselineRate);
  assertFinite('relativeLift', relativeLift);
  if (relativeLift === 0) throw new RangeError('relativeLift must be non-zero; received 0');
  const p2 = baselineRate * (1 + relativeLift);
  if (!(p2 > 0 && p2 < 1)) {
    throw new RangeError(
      `relativeLift must keep the treated rate baselineRate·(1 + relativeLift) in (0, 1); received ${relativeLift} (rate ${p2})`,
    );
  }
  assertOpenUnit('alpha', alpha);
  assertOpenUnit('power', power);
  const p1 = baselineRate;
  const pBar = (p1 + p2) / 2;
  const zAlpha = normalQuantile(1 - alpha / 2);
  const zBeta = normalQuantile(power);
  const root = zAlpha * Math.sqrt(2 * pBar * (1 - pBar)) + zBeta * Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2));
  return Math.ceil((root * root) / ((p2 - p1) * (p2 - p1)));
}

export interface MeanSampleSizeInput {
  /** Standard deviation of one observation (assumed equal in both arms), > 0. */
  stddev: number;
  /** Smallest absolute difference of means worth detecting, non-zero (its sign does not matter). */
  minimumDetectableEffect: number;
  /** Two-sided significance level in (0, 1). Default 0.05. */
  alpha?: number;
  /** Probability of detecting the effect when it is real, in (0, 1). Default 0.8. */
  power?: number;
}

/**
 * Units per arm for a two-sided test of two means (equal arms, common σ, normal approximation):
 * n = ⌈2 σ² (z_{1-α/2} + z_{power})² / δ²⌉. Example: σ = 1, δ = 0.1, α = 0.05, power 0.8 → 1570 per arm.
 * To plan with CUPED, pass σ·√(1 - ρ²), the standard deviation left after the adjustment.
 *
 * @throws RangeError naming the argument when stddev is not > 0, the effect is 0 or not finite, or alpha
 *   or power is outside (0, 1).
 */
export function minimumSampleSizeForMeans(input: MeanSampleSizeInput): number {
  const { stddev, minimumDetectableEffect } = input;
  const alpha = input.alpha ?? 0.05;
  const power = input.power ?? 0.8;
  assertPositive('stddev', stddev);
  assertFinite('minimumDetectableEffect', minimumDetectableEffect);
  if (minimumDetectableEffect === 0)
    throw new RangeError('minimumDetectableEffect must be non-zero; received 0');
  assertOpenUnit('alpha', alpha);
  assertOpenUnit('power', power);
  const z = normalQuantile(1 - alpha / 2) + normalQuantile(power);
  return Math.ceil((2 * stddev * stddev * z * z) / (minimumDetectableEffect * minimumDetectableEffect));
}
