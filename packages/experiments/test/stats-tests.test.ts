import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cupedAdjust,
  ipsEstimate,
  minimumSampleSize,
  minimumSampleSizeForMeans,
  msprt,
  sampleRatioMismatch,
  SequentialMonitor,
  summarize,
  type SequentialState,
  twoProportionZTest,
  welchTTest,
} from '@recs/experiments';
import { assertClose } from './stats-helpers';

// Expected values are worked by hand or computed independently with mpmath at 40 digits.

test('two-proportion z-test: worked example 200/1000 vs 250/1000', () => {
  const r = twoProportionZTest({ successesA: 200, trialsA: 1000, successesB: 250, trialsB: 1000 });
  assertClose(r.diff, 0.05, 1e-14);
  assertClose(r.lift, 0.25, 1e-14);
  // Pooled p = 0.225: z = 0.05 / √(0.225 · 0.775 · 0.002).
  assertClose(r.z, 2.6773977630083294, 1e-14);
  assertClose(r.pValue, 0.007419649261025675, 1e-12);
  // Unpooled: 0.05 ± 1.959964 · √(0.2·0.8/1000 + 0.25·0.75/1000).
  assertClose(r.ci.lower, 0.01346362168753984, 1e-12);
  assertClose(r.ci.upper, 0.08653637831246017, 1e-12);
  assert.equal(r.significant, true);
  // At alpha 0.005 neither the test nor the (wider) interval calls it.
  const strict = twoProportionZTest(
    { successesA: 200, trialsA: 1000, successesB: 250, trialsB: 1000 },
    { alpha: 0.005 },
  );
  assert.equal(strict.significant, false);
  assert.ok(strict.ci.lower < 0 && strict.ci.upper > r.ci.upper);
  // Swapping the arms flips the sign of the effect, not the evidence.
  const swapped = twoProportionZTest({ successesA: 250, trialsA: 1000, successesB: 200, trialsB: 1000 });
  assertClose(swapped.z, -r.z, 1e-15);
  assertClose(swapped.pValue, r.pValue, 1e-15);
});

test('two-proportion z-test: degenerate counts carry no evidence', () => {
  const none = twoProportionZTest({ successesA: 0, trialsA: 500, successesB: 0, trialsB: 400 });
  assert.equal(none.z, 0);
  assert.equal(none.pValue, 1);
  assert.ok(Number.isNaN(none.lift));
  assert.deepEqual(none.ci, { lower: 0, upper: 0 });
  const all = twoProportionZTest({ successesA: 10, trialsA: 10, successesB: 7, trialsB: 7 });
  assert.equal(all.pValue, 1);
  assert.equal(all.significant, false);
});

test("Welch's t-test: Wikipedia example 1 (t = 2.46, df = 25.0, p = 0.021)", () => {
  const a = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4];
  const b = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4];
  const sa = summarize(a);
  assert.equal(sa.n, 15);
  assertClose(sa.mean, 20.82, 1e-14);
  assertClose(sa.variance, 7.867428571428571, 1e-13);
  const r = welchTTest(sa, summarize(b));
  assertClose(r.diff, 2.1666666666666665, 1e-13);
  assertClose(r.t, 2.455356398286005, 1e-12);
  assertClose(r.df, 24.988529290231416, 1e-12);
  assertClose(r.pValue, 0.021378001462867034, 1e-11);
  assertClose(r.ci.lower, 0.3492370661924052, 1e-11);
  assertClose(r.ci.upper, 3.984096267140928, 1e-12);
  assert.equal(r.significant, true);
  assert.equal(welchTTest(sa, summarize(b), { alpha: 0.01 }).significant, false);
});

test("Welch's t-test: equal variances and sizes give df = 2n - 2; zero variance is handled", () => {
  const r = welchTTest({ n: 11, mean: 1, variance: 4 }, { n: 11, mean: 2, variance: 4 });
  assertClose(r.df, 20, 1e-14);
  assertClose(r.t, 1 / Math.sqrt(8 / 11), 1e-14);
  const same = welchTTest({ n: 3, mean: 5, variance: 0 }, { n: 4, mean: 5, variance: 0 });
  assert.deepEqual([same.t, same.pValue, same.df, same.significant], [0, 1, 5, false]);
  const apart = welchTTest({ n: 3, mean: 5, variance: 0 }, { n: 4, mean: 4, variance: 0 });
  assert.deepEqual([apart.t, apart.pValue, apart.ci.lower, apart.ci.upper], [-Infinity, 0, -1, -1]);
});

test('summarize (Welford) keeps the variance when the mean dwarfs the spread', () => {
  assert.deepEqual(summarize([4, 7, 13, 16]), { n: 4, mean: 10, variance: 30 });
  const shifted = summarize([1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16]);
  assert.equal(shifted.mean, 1e9 + 10);
  assertClose(shifted.variance, 30, 1e-12);
  // The textbook Σx² - n·x̄² formula loses it entirely at this offset.
  const xs = [1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16];
  const naive = (xs.reduce((s, x) => s + x * x, 0) - 4 * (1e9 + 10) ** 2) / 3;
  assert.ok(Math.abs(naive - 30) > 1);
});

test('sample ratio mismatch: chi-square against the configured split', () => {
  // 50 000 vs 51 000 on a 50/50 split: χ² = 2 · 500²/50 500.
  const r = sampleRatioMismatch([50_000, 51_000], [50, 50]);
  assertClose(r.chiSquare, 9.900990099009901, 1e-14);
  assert.equal(r.df, 1);
  assertClose(r.pValue, 0.001651898732357363, 1e-12);
  assert.deepEqual(r.expected, [50_500, 50_500]);
  assert.equal(r.mismatch, false, 'default alpha is 0.001');
  assert.equal(sampleRatioMismatch([50_000, 51_000], [0.5, 0.5], { alpha: 0.01 }).mismatch, true);
  const three = sampleRatioMismatch([2000, 3000, 5150], [20, 30, 50]);
  assertClose(three.chiSquare, 2.2167487684729066, 1e-13);
  assert.equal(three.df, 2);
  assertClose(three.pValue, 0.33009513300402554, 1e-12);
  assert.equal(sampleRatioMismatch([1000, 1000], [1, 1]).pValue, 1);
});

test('minimum sample size per arm: the standard formulas', () => {
  // Baseline 10%, +10% relative, α = 0.05, power 0.8: 14 750.79 → 14 751.
  assert.equal(minimumSampleSize({ baselineRate: 0.1, relativeLift: 0.1 }), 14_751);
  assert.equal(minimumSampleSize({ baselineRate: 0.2, relativeLift: 0.1 }), 6510);
  // A drop of the same size needs about as many; more power or a smaller alpha needs more.
  const drop = minimumSampleSize({ baselineRate: 0.1, relativeLift: -0.1 });
  assert.ok(drop > 13_000 && drop < 14_751);
  assert.ok(minimumSampleSize({ baselineRate: 0.1, relativeLift: 0.1, power: 0.9 }) > 14_751);
  assert.ok(minimumSampleSize({ baselineRate: 0.1, relativeLift: 0.1, alpha: 0.01 }) > 14_751);
  // Means: 2σ²(1.959964 + 0.841621)²/δ² = 1569.78 → 1570.
  assert.equal(minimumSampleSizeForMeans({ stddev: 1, minimumDetectableEffect: 0.1 }), 1570);
  assert.equal(minimumSampleSizeForMeans({ stddev: 2, minimumDetectableEffect: -0.2 }), 1570);
});

test('mSPRT: likelihood ratio, p-value and confidence sequence of one look', () => {
  // s² = 2/10 = 0.2, τ² = 1: ln Λ = ½ ln(0.2/1.2) + 1.5²/(2 · 0.2 · 1.2).
  const r = msprt({ diff: 1.5, varianceOfDiff: 2, n: 10 }, { tau2: 1, alpha: 0.05 });
  assertClose(r.logLikelihoodRatio, 0.5 * Math.log(0.2 / 1.2) + 2.25 / 0.48, 1e-14);
  assertClose(r.logLikelihoodRatio, 3.7916202653859723, 1e-14);
  assertClose(r.pValue, 0.022559020623218885, 1e-13);
  // Half-width √(0.2 · 1.2 · (ln 6 - 2 ln 0.05)).
  assertClose(r.ci.upper - 1.5, 1.366738367033226, 1e-13);
  assertClose(1.5 - r.ci.lower, 1.366738367033226, 1e-13);
  // A small difference is evidence for H₀: Λ < 1, p capped at 1.
  assert.equal(msprt({ diff: 0.01, varianceOfDiff: 2, n: 10 }, { tau2: 1 }).pValue, 1);
  // The interval is the test inverted: it excludes 0 exactly when p < alpha.
  for (const diff of [-0.9, -0.5, 0, 0.3, 0.8, 0.85, 0.9, 1.2]) {
    const look = msprt({ diff, varianceOfDiff: 1, n: 20 }, { tau2: 0.05, alpha: 0.1 });
    assert.equal(look.pValue < 0.1, look.ci.lower > 0 || look.ci.upper < 0, `diff ${diff}`);
  }
});

test('SequentialMonitor keeps the running minimum p-value and the intersection of intervals', () => {
  const monitor = new SequentialMonitor({ tau2: 0.5, alpha: 0.05 });
  assert.deepEqual(monitor.state, {
    looks: 0,
    n: 0,
    pValue: 1,
    ci: { lower: -Infinity, upper: Infinity },
    significant: false,
    last: undefined,
  });
  const looks = [
    { diff: 0.9, varianceOfDiff: 2, n: 10 },
    { diff: 0.6, varianceOfDiff: 2, n: 40 },
    { diff: 0.5, varianceOfDiff: 2, n: 160 },
    { diff: 0.05, varianceOfDiff: 2, n: 320 },
  ];
  let previous: SequentialState = monitor.state;
  for (const look of looks) {
    const state = monitor.update(look);
    const alone = msprt(look, { tau2: 0.5, alpha: 0.05 });
    assert.equal(state.pValue, Math.min(previous.pValue, alone.pValue));
    assert.equal(state.ci.lower, Math.max(previous.ci.lower, alone.ci.lower));
    assert.equal(state.ci.upper, Math.min(previous.ci.upper, alone.ci.upper));
    assert.deepEqual(state.last, alone);
    assert.equal(state.n, look.n);
    previous = state;
  }
  assert.equal(previous.looks, 4);
  // The last look alone is evidence for H₀ (p = 1), but the look at n = 160 crossed: significance sticks.
  assert.equal(previous.last!.pValue, 1);
  assert.ok(previous.pValue < 1e-3);
  assert.equal(previous.significant, true);
  assert.throws(() => monitor.update({ diff: 0, varianceOfDiff: 2, n: 100 }), {
    name: 'RangeError',
    message: /^n must not decrease between looks .* received 100 after 320/,
  });
  assert.equal(monitor.state.looks, 4, 'a refused look changes nothing');
});

test('CUPED: hand-worked adjustment and variance reduction = ρ²', () => {
  // x̄ = 1.5, ȳ = 2.5, Sxy = 2, Sxx = 1 → θ = 2; ŷ = y - 2(x - 1.5) = [2, 3, 2, 3].
  const r = cupedAdjust([1, 2, 3, 4], [1, 1, 2, 2]);
  assert.equal(r.theta, 2);
  assert.equal(r.meanX, 1.5);
  assert.deepEqual(r.adjusted, [2, 3, 2, 3]);
  assertClose(r.varianceBefore, 5 / 3, 1e-15);
  assertClose(r.varianceAfter, 1 / 3, 1e-15);
  assertClose(r.varianceReduction, 0.8, 1e-14);
  assertClose(r.correlation ** 2, r.varianceReduction, 1e-14);
  // A pooled θ passed in is used as is; the mean of y is preserved either way.
  const fixed = cupedAdjust([1, 2, 3, 4], [1, 1, 2, 2], { theta: 1 });
  assert.deepEqual(fixed.adjusted, [1.5, 2.5, 2.5, 3.5]);
  // A constant covariate carries no information.
  const flat = cupedAdjust([1, 5, 2], [7, 7, 7]);
  assert.deepEqual([flat.theta, flat.correlation, flat.varianceReduction], [0, 0, 0]);
  assert.deepEqual(flat.adjusted, [1, 5, 2]);
});

test('IPS and self-normalised IPS: hand-worked estimates, errors and effective sample size', () => {
  // Weights 2, 2, 0, 0.5; w·r = 2, 0, 0, 1.
  const r = ipsEstimate([
    { reward: 1, loggingPropensity: 0.5, targetPropensity: 1 },
    { reward: 0, loggingPropensity: 0.25, targetPropensity: 0.5 },
    { reward: 1, loggingPropensity: 1, targetPropensity: 0 },
    { reward: 2, loggingPropensity: 0.5, targetPropensity: 0.25 },
  ]);
  assert.equal(r.n, 4);
  assertClose(r.ips, 0.75, 1e-15);
  // Deviations of w·r from 0.75: 1.25, -0.75, -0.75, 0.25 → Σ² = 2.75; SE = √(2.75/3/4).
  assertClose(r.ipsStandardError, Math.sqrt(2.75 / 12), 1e-15);
  assertClose(r.snips, 3 / 4.5, 1e-15);
  // Σ w²(r - 2/3)² = 4/9 + 16/9 + 0 + 4/9 = 24/9; SE = √(24/9)/4.5.
  assertClose(r.snipsStandardError, Math.sqrt(24 / 9) / 4.5, 1e-15);
  assertClose(r.effectiveSampleSize, 4.5 ** 2 / 8.25, 1e-15);
  assert.equal(r.meanWeight, 1.125);
  assert.equal(r.maxWeight, 2);
  // On-policy logs (target = logging) reduce both estimators to the plain mean, with ESS = n.
  const onPolicy = ipsEstimate(
    [0.2, 0.5, 0.9].map((p, i) => ({ reward: i, loggingPropensity: p, targetPropensity: p })),
  );
  assertClose(onPolicy.ips, 1, 1e-15);
  assertClose(onPolicy.snips, 1, 1e-15);
  assertClose(onPolicy.effectiveSampleSize, 3, 1e-15);
  // A target that never agrees with the log leaves SNIPS undefined, not zero.
  const disjoint = ipsEstimate([
    { reward: 1, loggingPropensity: 0.5, targetPropensity: 0 },
    { reward: 0, loggingPropensity: 0.5, targetPropensity: 0 },
  ]);
  assert.ok(Number.isNaN(disjoint.snips));
  assert.equal(disjoint.effectiveSampleSize, 0);
});

test('invalid input is refused with a RangeError naming the argument', () => {
  const counts = { successesA: 10, trialsA: 100, successesB: 12, trialsB: 100 };
  const cases: [string, () => unknown, RegExp][] = [
    [
      'negative count',
      () => twoProportionZTest({ ...counts, successesA: -1 }),
      /^successesA must be an integer >= 0; received -1/,
    ],
    [
      'fractional count',
      () => twoProportionZTest({ ...counts, trialsB: 10.5 }),
      /^trialsB must be an integer >= 1/,
    ],
    [
      'no trials',
      () => twoProportionZTest({ ...counts, trialsA: 0, successesA: 0 }),
      /^trialsA must be an integer >= 1; received 0/,
    ],
    [
      'successes > trials',
      () => twoProportionZTest({ ...counts, successesB: 101 }),
      /^successesB must be <= trialsB; received 101 > 100/,
    ],
    ['alpha 0', () => twoProportionZTest(counts, { alpha: 0 }), /^alpha must be in \(0, 1\); received 0/],
    [
      'alpha 1',
      () => welchTTest({ n: 5, mean: 0, variance: 1 }, { n: 5, mean: 0, variance: 1 }, { alpha: 1 }),
      /^alpha must be in \(0, 1\)/,
    ],
    [
      'n < 2',
      () => welchTTest({ n: 1, mean: 0, variance: 1 }, { n: 5, mean: 0, variance: 1 }),
      /^a\.n must be an integer >= 2; received 1/,
    ],
    [
      'negative variance',
      () => welchTTest({ n: 3, mean: 0, variance: 1 }, { n: 5, mean: 0, variance: -1 }),
      /^b\.variance must be a finite number >= 0; received -1/,
    ],
    [
      'NaN mean',
      () => welchTTest({ n: 3, mean: NaN, variance: 1 }, { n: 5, mean: 0, variance: 1 }),
      /^a\.mean must be a finite number; received NaN/,
    ],
    ['one value', () => summarize([3]), /^values must hold at least 2 values; received 1/],
    [
      'non-finite value',
      () => summarize([1, Infinity]),
      /^values\[1\] must be a finite number; received Infinity/,
    ],
    [
      'length mismatch',
      () => sampleRatioMismatch([10, 20, 30], [1, 1]),
      /^observedCounts and expectedShares must have the same length; received 3 and 2/,
    ],
    [
      'negative observed',
      () => sampleRatioMismatch([10, -2], [1, 1]),
      /^observedCounts\[1\] must be an integer >= 0; received -2/,
    ],
    [
      'zero share',
      () => sampleRatioMismatch([10, 2], [1, 0]),
      /^expectedShares\[1\] must be a finite number > 0; received 0/,
    ],
    [
      'one arm',
      () => sampleRatioMismatch([10], [1]),
      /^observedCounts must be an array of at least 2 counts/,
    ],
    ['no units', () => sampleRatioMismatch([0, 0], [1, 1]), /^observedCounts must not all be 0/],
    [
      'SRM alpha',
      () => sampleRatioMismatch([1, 2], [1, 1], { alpha: 2 }),
      /^alpha must be in \(0, 1\); received 2/,
    ],
    [
      'baseline 0',
      () => minimumSampleSize({ baselineRate: 0, relativeLift: 0.1 }),
      /^baselineRate must be in \(0, 1\); received 0/,
    ],
    [
      'lift 0',
      () => minimumSampleSize({ baselineRate: 0.1, relativeLift: 0 }),
      /^relativeLift must be non-zero/,
    ],
    [
      'lift past 1',
      () => minimumSampleSize({ baselineRate: 0.6, relativeLift: 1 }),
      /^relativeLift must keep the treated rate .* in \(0, 1\); received 1/,
    ],
    [
      'power 1',
      () => minimumSampleSize({ baselineRate: 0.1, relativeLift: 0.1, power: 1 }),
      /^power must be in \(0, 1\); received 1/,
    ],
    [
      'stddev 0',
      () => minimumSampleSizeForMeans({ stddev: 0, minimumDetectableEffect: 1 }),
      /^stddev must be a finite number > 0; received 0/,
    ],
    [
      'effect 0',
      () => minimumSampleSizeForMeans({ stddev: 1, minimumDetectableEffect: 0 }),
      /^minimumDetectableEffect must be non-zero/,
    ],
    [
      'msprt n 0',
      () => msprt({ diff: 0, varianceOfDiff: 1, n: 0 }, { tau2: 1 }),
      /^n must be an integer >= 1; received 0/,
    ],
    [
      'msprt variance',
      () => msprt({ diff: 0, varianceOfDiff: 0, n: 5 }, { tau2: 1 }),
      /^varianceOfDiff must be a finite number > 0; received 0/,
    ],
    [
      'msprt tau2',
      () => msprt({ diff: 0, varianceOfDiff: 1, n: 5 }, { tau2: -1 }),
      /^tau2 must be a finite number > 0; received -1/,
    ],
    [
      'monitor alpha',
      () => new SequentialMonitor({ tau2: 1, alpha: 1.5 }),
      /^alpha must be in \(0, 1\); received 1.5/,
    ],
    [
      'cuped lengths',
      () => cupedAdjust([1, 2, 3], [1, 2]),
      /^y and x must have the same length; received 3 and 2/,
    ],
    ['cuped n < 2', () => cupedAdjust([1], [1]), /^y must hold at least 2 values; received 1/],
    ['cuped NaN', () => cupedAdjust([1, 2], [1, NaN]), /^x\[1\] must be a finite number; received NaN/],
    [
      'ips propensity 0',
      () =>
        ipsEstimate([
          { reward: 1, loggingPropensity: 0.5, targetPropensity: 1 },
          { reward: 1, loggingPropensity: 0, targetPropensity: 1 },
        ]),
      /^logs\[1\]\.loggingPropensity must be in \(0, 1\]; received 0/,
    ],
    [
      'ips propensity > 1',
      () =>
        ipsEstimate([
          { reward: 1, loggingPropensity: 1.2, targetPropensity: 1 },
          { reward: 1, loggingPropensity: 0.5, targetPropensity: 1 },
        ]),
      /^logs\[0\]\.loggingPropensity must be in \(0, 1\]; received 1.2/,
    ],
    [
      'ips target > 1',
      () =>
        ipsEstimate([
          { reward: 1, loggingPropensity: 1, targetPropensity: 1 },
          { reward: 1, loggingPropensity: 0.5, targetPropensity: 2 },
        ]),
      /^logs\[1\]\.targetPropensity must be in \[0, 1\]; received 2/,
    ],
    [
      'ips reward',
      () =>
        ipsEstimate([
          { reward: NaN, loggingPropensity: 1, targetPropensity: 1 },
          { reward: 1, loggingPropensity: 0.5, targetPropensity: 1 },
        ]),
      /^logs\[0\]\.reward must be a finite number; received NaN/,
    ],
    ['ips n < 2', () => ipsEstimate([]), /^logs must be an array of at least 2 decisions; received 0/],
  ];
  for (const [label, call, message] of cases) {
    assert.throws(call, (err: unknown) => {
      assert.ok(err instanceof RangeError, `${label}: expected a RangeError, got ${String(err)}`);
      assert.match(err.message, message, label);
      return true;
    });
  }
});
