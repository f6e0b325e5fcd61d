// Shared by the statistics tests: closeness assertions and seeded samplers (never Math.random, so every
// Monte Carlo test sees the same draws on every run and cannot flake).
import assert from 'node:assert/strict';
import { seededRandom } from '@recs/core';

export { seededRandom };

/** |actual - expected| <= rel · |expected| (or <= abs when expected is 0 or abs is given and larger). */
export function assertClose(actual: number, expected: number, rel: number, abs = 0, label = ''): void {
  const tolerance = Math.max(rel * Math.abs(expected), abs);
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${label ? `${label}: ` : ''}expected ${expected} ± ${tolerance.toExponential(1)}, got ${actual} (off by ${Math.abs(actual - expected).toExponential(2)})`,
  );
}

/** Number of successes in `n` Bernoulli(p) trials, drawn one by one. */
export function binomial(random: () => number, n: number, p: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) if (random() < p) s++;
  return s;
}

/** A standard normal draw by Box–Muller (1 - u keeps the logarithm finite). */
export function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/**
 * Half-width of a 4-sigma band for a rate estimated from `trials` simulations when the true rate is p:
 * the chance that a correct implementation falls outside is 6e-5, and the seed is fixed anyway.
 */
export function binomialTolerance(p: number, trials: number): number {
  return 4 * Math.sqrt((p * (1 - p)) / trials);
}
