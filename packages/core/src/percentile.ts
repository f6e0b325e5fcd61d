/**
 * The nearest-rank percentile of ascending `sorted` values: the smallest value with at least `p`% of
 * the values at or below it (`p` in (0, 100]); NaN for no values. Benchmarks and reports use this one
 * definition, so their p50 / p95 / p99 agree.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
