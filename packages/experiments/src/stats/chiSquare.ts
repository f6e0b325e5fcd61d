import { regularizedGammaQ } from './special';

/**
 * Chi-square survival function P(X > x) for X ~ χ²(df), df > 0: the regularized upper incomplete gamma
 * Q(df/2, x/2), by its series below x/2 = df/2 + 1 and its continued fraction above (see special.ts), so
 * small p-values keep their relative accuracy. Examples: sf(3.841458820694124, 1) = 0.05;
 * sf(x, 2) = e^{-x/2}. Returns 1 for x ≤ 0.
 */
export function chiSquareSf(x: number, df: number): number {
  if (typeof x !== 'number' || Number.isNaN(x)) {
    throw new RangeError(`x must be a number (±Infinity allowed); received ${String(x)}`);
  }
  if (typeof df !== 'number' || !(df > 0) || !Number.isFinite(df)) {
    throw new RangeError(`df must be a finite number > 0; received ${String(df)}`);
  }
  return regularizedGammaQ(df / 2, x / 2);
}
