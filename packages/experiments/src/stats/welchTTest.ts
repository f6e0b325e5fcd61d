import { assertCount, assertFinite, assertNonNegative, assertOpenUnit } from './assertions';
import type { Interval } from './Interval';
import { studentTQuantile, studentTTail } from './studentT';
import type { SampleSummary } from './summarize';

export interface WelchOptions {
  /** Two-sided significance level in (0, 1); the interval has coverage 1 - alpha. Default 0.05. */
  alpha?: number;
}

export interface WelchResult {
  /** meanB - meanA. */
  diff: number;
  /** Standard error of diff, √(s²A/nA + s²B/nB). */
  se: number;
  t: number;
  /** Welch–Satterthwaite degrees of freedom (not an integer in general). */
  df: number;
  /** Two-sided p-value 2 P(T_df > |t|). */
  pValue: number;
  /** Interval for meanB - meanA at level 1 - alpha. */
  ci: Interval;
  /** pValue < alpha. */
  significant: boolean;
}

function assertSummary(name: string, s: SampleSummary): void {
  if (typeof s !== 'object' || s === null) {
    throw new RangeError(`${name} must be a summary {n, mean, variance}; received ${String(s)}`);
  }
  assertCount(`${name}.n`, s.n, 2);
  assertFinite(`${name}.mean`, s.mean);
  assertNonNegative(`${name}.variance`, s.variance);
}

/**
 * Welch's unequal-variance t-test of H₀: μA = μB, from per-arm summaries (see {@link summarize}).
 *
 * With vA = s²A/nA and vB = s²B/nB: se = √(vA + vB), t = (x̄B - x̄A)/se,
 * df = (vA + vB)² / (vA²/(nA - 1) + vB²/(nB - 1)) (Welch–Satterthwaite),
 * pValue = 2 P(T_df > |t|), ci = (x̄B - x̄A) ± t_{1-α/2, df} · se.
 * If both variances are 0 the data cannot separate noise from effect: se = 0, df = nA + nB - 2,
 * t = 0 and pValue = 1 for equal means, t = ±∞ and pValue = 0 otherwise, and the interval collapses
 * to the difference.
 *
 * @throws RangeError naming the field when n is not an integer >= 2, a mean is not finite, a variance is
 *   negative, or alpha is outside (0, 1).
 */
export function welchTTest(a: SampleSummary, b: SampleSummary, options: WelchOptions = {}): WelchResult {
  const alpha = options.alpha ?? 0.05;
  assertSummary('a', a);
  assertSummary('b', b);
  assertOpenUnit('alpha', alpha);

  const diff = b.mean - a.mean;
  const vA = a.variance / a.n;
  const vB = b.variance / b.n;
  const se = Math.sqrt(vA + vB);
  if (se === 0) {
    return {
      diff,
      se,
      t: diff === 0 ? 0 : Math.sign(diff) * Infinity,
      df: a.n + b.n - 2,
      pValue: diff === 0 ? 1 : 0,
      ci: { lower: diff, upper: diff },
      significant: diff !== 0,
    };
  }
  const t = diff / se;
  const df = (vA + vB) ** 2 / (vA ** 2 / (a.n - 1) + vB ** 2 / (b.n - 1));
  const pValue = Math.min(1, 2 * studentTTail(Math.abs(t), df));
  const half = studentTQuantile(1 - alpha / 2, df) * se;
  return {
    diff,
    se,
    t,
    df,
    pValue,
    ci: { lower: diff - half, upper: diff + half },
    significant: pValue < alpha,
  };
}
