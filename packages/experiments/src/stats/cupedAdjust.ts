import { assertFinite, assertFiniteArray, assertSameLength } from './assertions';

export interface CupedOptions {
  /**
   * Use this θ instead of estimating it from (y, x). In an experiment, estimate θ once on both arms
   * pooled and pass it when adjusting each arm, so the arms are adjusted identically.
   */
  theta?: number;
}

export interface CupedResult {
  /** θ = Cov(x, y) / Var(x) (or the one passed in). */
  theta: number;
  /** Mean of the covariate, the centre of the adjustment. */
  meanX: number;
  /** yᵢ - θ (xᵢ - x̄): same mean as y, smaller variance when x predicts y. */
  adjusted: number[];
  /** Sample correlation of x and y (0 when either is constant). */
  correlation: number;
  /** Sample variance of y. */
  varianceBefore: number;
  /** Sample variance of the adjusted values. */
  varianceAfter: number;
  /** 1 - varianceAfter / varianceBefore (0 when y is constant); equals correlation² for the estimated θ. */
  varianceReduction: number;
}

/**
 * CUPED (Deng, Xu, Kohavi, Walker 2013, "Improving the sensitivity of online controlled experiments by
 * utilizing pre-experiment data"): with a covariate x measured before assignment (e.g. the same metric in
 * the previous weeks), θ = Cov(x, y)/Var(x) and ŷᵢ = yᵢ - θ (xᵢ - x̄). Since x is independent of the
 * assignment, ŷ has the same expected difference between arms as y, with variance Var(y)(1 - ρ²): the
 * sample size needed for a given power shrinks by the same factor. Test the adjusted values as usual
 * (e.g. {@link summarize} then {@link welchTTest}).
 *
 * Sums of squares are formed around the means (two passes), not as Σx² - n x̄², so large offsets do not
 * cancel the variance away. A constant covariate carries no information: θ = 0 and y is returned unchanged.
 *
 * @throws RangeError naming the argument when y or x holds fewer than 2 values or a non-finite one, their
 *   lengths differ, or options.theta is not finite.
 */
export function cupedAdjust(
  y: readonly number[],
  x: readonly number[],
  options: CupedOptions = {},
): CupedResult {
  assertFiniteArray('y', y, 2);
  assertFiniteArray('x', x, 2);
  assertSameLength('y', y, 'x', x);
  if (options.theta !== undefined) assertFinite('theta', options.theta);
  const n = y.length;
  let meanX = 0;
  let meanY = 0;
  for (let i = 0; i < n; i++) {
    meanX += x[i]!;
    meanY += y[i]!;
  }
  meanX /= n;
  meanY /= n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - meanX;
    const dy = y[i]! - meanY;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  const theta = options.theta ?? (sxx > 0 ? sxy / sxx : 0);
  const adjusted = new Array<number>(n);
  let meanAdjusted = 0;
  for (let i = 0; i < n; i++) {
    adjusted[i] = y[i]! - theta * (x[i]! - meanX);
    meanAdjusted += adjusted[i]!;
  }
  meanAdjusted /= n;
  let saa = 0;
  for (let i = 0; i < n; i++) saa += (adjusted[i]! - meanAdjusted) ** 2;
  const varianceBefore = syy / (n - 1);
  const varianceAfter = saa / (n - 1);
  return {
    theta,
    meanX,
    adjusted,
    correlation: sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0,
    varianceBefore,
    varianceAfter,
    varianceReduction: varianceBefore > 0 ? 1 - varianceAfter / varianceBefore : 0,
  };
}
