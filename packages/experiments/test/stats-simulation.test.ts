// Seeded Monte Carlo checks that the fixed-horizon tests, the sample-size formula, CUPED and IPS behave as
// their formulas promise on data with a known truth. The seeds are fixed, so results never vary between
// runs; the tolerances are 4-sigma binomial bands, so a correct implementation passes for almost any seed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cupedAdjust,
  ipsEstimate,
  minimumSampleSize,
  summarize,
  twoProportionZTest,
  welchTTest,
} from '@recs/experiments';
import { assertClose, binomial, binomialTolerance, gaussian, seededRandom } from './stats-helpers';

const SIMULATIONS = 2000;
const ALPHA = 0.05;

test('A/A: the z-test rejects at rate alpha and its interval covers 0 at rate 1 - alpha', () => {
  const random = seededRandom(20_240_601);
  let rejections = 0;
  let covered = 0;
  for (let s = 0; s < SIMULATIONS; s++) {
    const r = twoProportionZTest(
      {
        successesA: binomial(random, 1000, 0.1),
        trialsA: 1000,
        successesB: binomial(random, 1000, 0.1),
        trialsB: 1000,
      },
      { alpha: ALPHA },
    );
    if (r.significant) rejections++;
    if (r.ci.lower <= 0 && r.ci.upper >= 0) covered++;
  }
  assertClose(
    rejections / SIMULATIONS,
    ALPHA,
    0,
    binomialTolerance(ALPHA, SIMULATIONS),
    'false-positive rate',
  );
  assertClose(covered / SIMULATIONS, 1 - ALPHA, 0, binomialTolerance(ALPHA, SIMULATIONS), 'coverage');
});

test('a true 10% lift is detected with power 0.8 at the minimum sample size', () => {
  const random = seededRandom(7);
  const n = minimumSampleSize({ baselineRate: 0.1, relativeLift: 0.1, alpha: ALPHA, power: 0.8 });
  assert.equal(n, 14_751);
  let detected = 0;
  for (let s = 0; s < SIMULATIONS; s++) {
    const r = twoProportionZTest(
      { successesA: binomial(random, n, 0.1), trialsA: n, successesB: binomial(random, n, 0.11), trialsB: n },
      { alpha: ALPHA },
    );
    if (r.significant && r.diff > 0) detected++;
  }
  assertClose(detected / SIMULATIONS, 0.8, 0, binomialTolerance(0.8, SIMULATIONS), 'power');
});

test('Welch on skewed data with unequal variances keeps its level', () => {
  // Exponential revenue-like data, 4x the spread in B, unequal sizes: the case Welch exists for.
  const random = seededRandom(99);
  const draw = (n: number, scale: number) => Array.from({ length: n }, () => -scale * Math.log(1 - random()));
  let rejections = 0;
  for (let s = 0; s < SIMULATIONS; s++) {
    // Equal means, so H₀ holds: A ~ 1 + Exp(mean 1), B ~ Exp(mean 2).
    const a = draw(60, 1).map((x) => x + 1);
    const b = draw(200, 2);
    if (welchTTest(summarize(a), summarize(b), { alpha: ALPHA }).significant) rejections++;
  }
  assertClose(
    rejections / SIMULATIONS,
    ALPHA,
    0,
    binomialTolerance(ALPHA, SIMULATIONS),
    'false-positive rate',
  );
});

test('CUPED removes rho² of the variance and keeps the treatment effect', () => {
  const random = seededRandom(11);
  const n = 20_000;
  const rho = 0.8;
  const x: number[] = [];
  const y: number[] = [];
  const arm: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const pre = gaussian(random);
    const treated = random() < 0.5;
    x.push(pre);
    y.push(rho * pre + Math.sqrt(1 - rho * rho) * gaussian(random) + (treated ? 0.05 : 0));
    arm.push(treated);
  }
  // θ from both arms pooled, then the same θ applied to each arm.
  const pooled = cupedAdjust(y, x);
  assertClose(pooled.varianceReduction, rho * rho, 0, 0.02, 'variance reduction');
  assertClose(pooled.varianceReduction, pooled.correlation ** 2, 1e-10);
  const split = (values: number[], treated: boolean) => values.filter((_, i) => arm[i] === treated);
  const raw = welchTTest(summarize(split(y, false)), summarize(split(y, true)));
  const adjusted = welchTTest(
    summarize(split(pooled.adjusted, false)),
    summarize(split(pooled.adjusted, true)),
  );
  assertClose(adjusted.diff, 0.05, 0, 4 * adjusted.se, 'effect after adjustment');
  assertClose(adjusted.se / raw.se, Math.sqrt(1 - rho * rho), 0.05, 0, 'standard error ratio');
});

test('IPS is unbiased and SNIPS consistent for a target policy replayed on uniform logs', () => {
  const random = seededRandom(5);
  const clickRate = [0.02, 0.05, 0.1, 0.2];
  // Target policy: 70% on the best action, 10% on each other one. True value Σ π(a) · rate(a).
  const target = [0.1, 0.1, 0.1, 0.7];
  const truth = target.reduce((s, p, a) => s + p * clickRate[a]!, 0);
  const logs = Array.from({ length: 50_000 }, () => {
    const action = Math.floor(random() * 4);
    return {
      reward: random() < clickRate[action]! ? 1 : 0,
      loggingPropensity: 0.25,
      targetPropensity: target[action]!,
    };
  });
  const r = ipsEstimate(logs);
  assertClose(r.ips, truth, 0, 4 * r.ipsStandardError, 'IPS');
  assertClose(r.snips, truth, 0, 4 * r.snipsStandardError, 'SNIPS');
  assertClose(r.meanWeight, 1, 0, 0.02);
  // Weights 0.4 (w.p. 3/4) and 2.8 (w.p. 1/4): ESS/n = E[w]²/E[w²] = 1/2.08.
  assertClose(r.effectiveSampleSize / r.n, 1 / 2.08, 0.03);
});
