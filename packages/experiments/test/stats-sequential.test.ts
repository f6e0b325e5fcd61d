// Seeded Monte Carlo checks of the always-valid guarantee: an A/A experiment watched after every batch
// with the mSPRT rejects at most alpha of the time, while re-running a fixed-horizon z-test at every look
// ("peeking") rejects far more often; with a real effect the mSPRT still stops, and its running
// confidence sequence covers the true difference at all looks at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SequentialMonitor, twoProportionZTest } from '@recs/experiments';
import { assertClose, binomial, binomialTolerance, gaussian, seededRandom } from './stats-helpers';

const ALPHA = 0.05;

interface Outcome {
  /** The mSPRT crossed at some look. */
  msprt: boolean;
  /** A z-test re-run at every look crossed at some look. */
  peeking: boolean;
  /** The z-test at the planned end alone. */
  fixedHorizon: boolean;
  /** The running confidence sequence at the end contains the true difference. */
  covered: boolean;
}

/** One conversion experiment (control rate 0.1) watched after each of `looks` batches of `batch` units per arm. */
function watchConversions(random: () => number, rateB: number, looks: number, batch: number): Outcome {
  // τ = 0.01: effects of about one percentage point are what the test is tuned to find.
  const monitor = new SequentialMonitor({ tau2: 0.01 ** 2, alpha: ALPHA });
  let successesA = 0;
  let successesB = 0;
  let peeking = false;
  let fixedHorizon = false;
  for (let k = 1; k <= looks; k++) {
    successesA += binomial(random, batch, 0.1);
    successesB += binomial(random, batch, rateB);
    const n = k * batch;
    const pA = successesA / n;
    const pB = successesB / n;
    monitor.update({ diff: pB - pA, varianceOfDiff: pA * (1 - pA) + pB * (1 - pB), n });
    const z = twoProportionZTest({ successesA, trialsA: n, successesB, trialsB: n }, { alpha: ALPHA });
    peeking ||= z.significant;
    if (k === looks) fixedHorizon = z.significant;
  }
  const { significant, ci } = monitor.state;
  const truth = rateB - 0.1;
  return { msprt: significant, peeking, fixedHorizon, covered: ci.lower <= truth && truth <= ci.upper };
}

function rates(outcomes: Outcome[]): Record<keyof Outcome, number> {
  const rate = (key: keyof Outcome) => outcomes.filter((o) => o[key]).length / outcomes.length;
  return {
    msprt: rate('msprt'),
    peeking: rate('peeking'),
    fixedHorizon: rate('fixedHorizon'),
    covered: rate('covered'),
  };
}

test('A/A conversions checked after every batch: mSPRT keeps the false-positive rate, peeking does not', () => {
  const random = seededRandom(2017);
  const simulations = 2000;
  const outcomes = Array.from({ length: simulations }, () => watchConversions(random, 0.1, 50, 200));
  const r = rates(outcomes);
  const tolerance = binomialTolerance(ALPHA, simulations);
  assert.ok(
    r.msprt <= ALPHA + tolerance,
    `mSPRT false-positive rate ${r.msprt} > ${ALPHA} + ${tolerance.toFixed(4)}`,
  );
  assert.ok(r.peeking > ALPHA + tolerance, `peeking false-positive rate ${r.peeking} should exceed ${ALPHA}`);
  assert.ok(r.peeking > 3 * ALPHA, `50 peeks should at least triple the error rate; got ${r.peeking}`);
  // The fixed-horizon test, looked at once, is fine: the damage is done by looking repeatedly.
  assertClose(r.fixedHorizon, ALPHA, 0, tolerance, 'fixed-horizon false-positive rate');
  assert.ok(r.covered >= 1 - ALPHA - tolerance, `confidence sequence coverage ${r.covered}`);
});

test('a real +2 point lift is found by the mSPRT and covered by its confidence sequence', () => {
  const random = seededRandom(2018);
  const simulations = 500;
  const r = rates(Array.from({ length: simulations }, () => watchConversions(random, 0.12, 50, 200)));
  assert.ok(r.msprt >= 0.85, `mSPRT power ${r.msprt}`);
  assert.ok(r.covered >= 1 - ALPHA - binomialTolerance(ALPHA, simulations), `coverage ${r.covered}`);
});

test('normal data with known variance, 1000 looks each: the Ville bound holds', () => {
  // The setting in which the mSPRT guarantee is exact: per-arm N(0, 1) observations, varianceOfDiff = 2,
  // checked after every single pair. The running sum of differences is drawn directly.
  const random = seededRandom(1970);
  const simulations = 2000;
  let rejections = 0;
  for (let s = 0; s < simulations; s++) {
    const monitor = new SequentialMonitor({ tau2: 0.01, alpha: ALPHA });
    let sum = 0;
    for (let n = 1; n <= 1000; n++) {
      sum += Math.SQRT2 * gaussian(random);
      if (monitor.update({ diff: sum / n, varianceOfDiff: 2, n }).significant) {
        rejections++;
        break;
      }
    }
  }
  const rate = rejections / simulations;
  assert.ok(rate <= ALPHA + binomialTolerance(ALPHA, simulations), `false-positive rate ${rate}`);
});
