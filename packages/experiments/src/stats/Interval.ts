/** A closed interval [lower, upper], e.g. a confidence interval for a difference B - A. */
export interface Interval {
  lower: number;
  upper: number;
}
