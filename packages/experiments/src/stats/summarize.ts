import { assertFiniteArray } from './assertions';

/** Sufficient statistics of one arm for a test of means. */
export interface SampleSummary {
  /** Number of observations, >= 2. */
  n: number;
  mean: number;
  /** Sample (unbiased, n - 1 denominator) variance. */
  variance: number;
}

/**
 * n, mean and sample variance of `values` in one pass by Welford's update: for the k-th value x,
 * δ = x - mean, mean += δ/k, M₂ += δ (x - mean); variance = M₂/(n - 1). Unlike Σx² - n·mean², it does not
 * lose the variance to cancellation when the mean is large relative to the spread (revenue in cents,
 * timestamps).
 *
 * @throws RangeError naming `values` when it holds fewer than 2 values or a non-finite one.
 */
export function summarize(values: readonly number[]): SampleSummary {
  assertFiniteArray('values', values, 2);
  let mean = 0;
  let m2 = 0;
  for (let k = 1; k <= values.length; k++) {
    const x = values[k - 1]!;
    const delta = x - mean;
    mean += delta / k;
    m2 += delta * (x - mean);
  }
  return { n: values.length, mean, variance: m2 / (values.length - 1) };
}
