import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  chiSquareSf,
  normalCdf,
  normalQuantile,
  normalSf,
  studentTCdf,
  studentTQuantile,
} from '@recs/experiments';
import { erfc, logBeta, logGamma, regularizedBeta, regularizedGammaQ } from '../src/stats/special';
import { assertClose } from './stats-helpers';

// Reference values below were computed with mpmath at 40 significant digits, or are closed forms.

test('erfc and log-gamma match 40-digit references and exact identities', () => {
  assertClose(erfc(0), 1, 0, 0);
  assertClose(erfc(0.3), 0.6713732405408726, 1e-15);
  assertClose(erfc(1), 0.15729920705028513, 1e-14);
  assertClose(erfc(3), 2.209049699858544e-5, 1e-14);
  assertClose(erfc(10), 2.088487583762545e-45, 1e-14);
  assertClose(erfc(-1), 2 - 0.15729920705028513, 1e-15);
  // Both sides of the switch from series to continued fraction agree.
  assertClose(erfc(1 - 1e-12), erfc(1), 1e-11);
  assertClose(logGamma(0.5), 0.5 * Math.log(Math.PI), 0, 4e-15);
  assertClose(logGamma(1), 0, 0, 4e-15);
  assertClose(logGamma(10), Math.log(362880), 1e-15);
  assertClose(logGamma(100), 359.1342053695754, 1e-15);
  assertClose(logGamma(1e-10), 23.025850929882736, 1e-15);
  // B(a, b) = Γ(a)Γ(b)/Γ(a+b) in all three regimes of logBeta.
  assertClose(logBeta(3, 4), Math.log(1 / 60), 1e-14);
  assertClose(logBeta(0.5, 20), logGamma(0.5) + logGamma(20) - logGamma(20.5), 1e-13);
  assertClose(logBeta(30, 40), logGamma(30) + logGamma(40) - logGamma(70), 1e-13);
  // I_x(1, b) = 1 - (1 - x)^b and I_x(a, 1) = x^a.
  assertClose(regularizedBeta(0.3, 1, 4.5), 1 - 0.7 ** 4.5, 1e-14);
  assertClose(regularizedBeta(0.3, 2.5, 1), 0.3 ** 2.5, 1e-14);
  assertClose(regularizedBeta(0.3, 2, 3), 0.3483, 1e-13);
  // Q(1, x) = e^{-x}; Q(½, x) = erfc(√x).
  assertClose(regularizedGammaQ(1, 3), Math.exp(-3), 1e-14);
  assertClose(regularizedGammaQ(0.5, 1.92), erfc(Math.sqrt(1.92)), 1e-14);
});

test('normal CDF: textbook values and tails to 1e-13 relative', () => {
  assertClose(normalCdf(1.96), 0.9750021048517795, 1e-15);
  assertClose(normalCdf(-1.96), 0.024997895148220435, 1e-14);
  assertClose(normalCdf(0.3), 0.6179114221889526, 1e-15);
  assertClose(normalCdf(-5), 2.866515718791939e-7, 1e-14);
  assertClose(normalCdf(-8.3), 5.205569744890254e-17, 1e-13);
  assertClose(normalCdf(-20), 2.7536241186062337e-89, 1e-13);
  assert.equal(normalCdf(0), 0.5);
  assert.equal(normalCdf(-Infinity), 0);
  assert.equal(normalCdf(Infinity), 1);
  assertClose(normalSf(5), 2.866515718791939e-7, 1e-14);
  for (let z = -6; z <= 6; z += 0.25) assertClose(normalCdf(z) + normalSf(z), 1, 1e-15, 0, `z=${z}`);
});

test('normal quantile (AS 241): textbook values and round trips through the CDF', () => {
  assertClose(normalQuantile(0.975), 1.959963984540054, 1e-15);
  assertClose(normalQuantile(0.975), 1.959963985, 0, 1e-9);
  assertClose(normalQuantile(0.95), 1.6448536269514726, 1e-15);
  assertClose(normalQuantile(0.8), 0.8416212335729143, 1e-15);
  assertClose(normalQuantile(0.001), -3.090232306167813, 1e-15);
  assertClose(normalQuantile(1e-10), -6.361340902404056, 1e-15);
  assertClose(normalQuantile(1e-300), -37.0470962993612, 1e-15);
  assert.equal(normalQuantile(0.5), 0);
  assert.equal(normalQuantile(0), -Infinity);
  assert.equal(normalQuantile(1), Infinity);
  // All three rational approximations (central, tail, far tail) invert the CDF.
  for (const p of [1e-250, 1e-30, 1e-12, 1e-6, 0.01, 0.074, 0.076, 0.3, 0.5001, 0.9, 0.99999]) {
    assertClose(normalCdf(normalQuantile(p)), p, 1e-13, 0, `p=${p}`);
  }
  for (let p = 0.01; p < 1; p += 0.01) assertClose(normalQuantile(p), -normalQuantile(1 - p), 1e-13, 1e-15);
});

test('Student t CDF: closed forms for df 1-4, textbook and 40-digit values', () => {
  for (const t of [-30, -4, -1.3, -0.2, 0, 0.7, 2, 12, 300]) {
    // df = 1 (Cauchy), 2, 3 and 4 have elementary CDFs.
    assertClose(studentTCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, 1e-13, 1e-16, `df=1 t=${t}`);
    assertClose(studentTCdf(t, 2), 0.5 + t / (2 * Math.sqrt(2 + t * t)), 1e-13, 1e-16, `df=2 t=${t}`);
    const u = t / Math.sqrt(3);
    assertClose(
      studentTCdf(t, 3),
      0.5 + (u / (1 + u * u) + Math.atan(u)) / Math.PI,
      1e-12,
      1e-16,
      `df=3 t=${t}`,
    );
    const w = (t * t) / (1 + (t * t) / 4);
    assertClose(
      studentTCdf(t, 4),
      0.5 + (3 / 8) * (t / Math.sqrt(1 + (t * t) / 4)) * (1 - w / 12),
      1e-12,
      1e-16,
      `df=4 t=${t}`,
    );
  }
  // The table value: t = 2.228 is the 97.5% point for df = 10.
  assertClose(studentTCdf(2.228, 10), 0.975, 0, 1e-5);
  assertClose(studentTCdf(2.228, 10), 0.9749941140914443, 1e-14);
  assertClose(studentTCdf(-2.5, 29.7), 0.00908849504257575, 1e-13);
  assertClose(studentTCdf(6, 5.5), 0.9993396086332332, 1e-14);
  assertClose(studentTCdf(1.5, 200), 0.9324043393864825, 1e-14);
  assertClose(studentTCdf(-3, 1e4), 0.0013532240949988331, 1e-12);
  // Large df: the continued fraction needs ~√df terms and loses a few digits, still far inside 1e-9.
  assertClose(studentTCdf(-3, 1e6), 0.0013499312707108812, 1e-10);
  assertClose(studentTCdf(-3, 1e6), normalCdf(-3), 1e-4);
  assert.equal(studentTCdf(1.2, Infinity), normalCdf(1.2));
  assert.equal(studentTCdf(-Infinity, 5), 0);
  assert.equal(studentTCdf(Infinity, 5), 1);
});

test('Student t quantile: table values, closed forms and round trips', () => {
  assertClose(studentTQuantile(0.975, 10), 2.228138851986275, 1e-14);
  assertClose(studentTQuantile(0.975, 3), 3.1824463052837095, 1e-14);
  assertClose(studentTQuantile(0.995, 29.7), 2.751864766583077, 1e-13);
  assertClose(studentTQuantile(1e-8, 7.3), -25.679425650359136, 1e-12);
  assertClose(studentTQuantile(0.9, 1), Math.tan(Math.PI * 0.4), 1e-14);
  assertClose(studentTQuantile(0.025, 2), -4.302652729749464, 1e-14);
  assert.equal(studentTQuantile(0.5, 7), 0);
  assert.equal(studentTQuantile(1, 7), Infinity);
  assert.equal(studentTQuantile(0.3, Infinity), normalQuantile(0.3));
  for (const df of [1.5, 3, 8.25, 40, 1000]) {
    for (const p of [1e-9, 0.001, 0.05, 0.4, 0.6, 0.975, 0.9999]) {
      assertClose(studentTCdf(studentTQuantile(p, df), df), p, 1e-11, 0, `df=${df} p=${p}`);
    }
  }
});

test('chi-square survival function: critical values and closed forms', () => {
  assertClose(chiSquareSf(3.841458820694124, 1), 0.05, 1e-14);
  assertClose(chiSquareSf(3.841, 1), 0.05, 0, 2e-4);
  assertClose(chiSquareSf(7.814727903251178, 3), 0.05, 1e-14);
  assertClose(chiSquareSf(18.307038053275146, 10), 0.05, 1e-14);
  assertClose(chiSquareSf(150, 100), 0.0009039320423540091, 1e-13);
  assertClose(chiSquareSf(60, 5), 1.215456977718304e-11, 1e-13);
  for (const x of [0.01, 1, 5, 40, 700]) {
    // df = 1: erfc(√(x/2)); df = 2: e^{-x/2}; df = 4: e^{-x/2}(1 + x/2).
    assertClose(chiSquareSf(x, 1), erfc(Math.sqrt(x / 2)), 1e-13, 0, `df=1 x=${x}`);
    assertClose(chiSquareSf(x, 2), Math.exp(-x / 2), 1e-13, 0, `df=2 x=${x}`);
    assertClose(chiSquareSf(x, 4), Math.exp(-x / 2) * (1 + x / 2), 1e-13, 0, `df=4 x=${x}`);
  }
  assert.equal(chiSquareSf(0, 3), 1);
  assert.equal(chiSquareSf(Infinity, 3), 0);
});

test('distribution functions refuse NaN and out-of-range arguments by name', () => {
  assert.throws(() => normalCdf(NaN), { name: 'RangeError', message: /^z must be a number/ });
  assert.throws(() => normalQuantile(1.5), {
    name: 'RangeError',
    message: /^p must be a probability in \[0, 1\]; received 1.5/,
  });
  assert.throws(() => studentTCdf(1, 0), { name: 'RangeError', message: /^df must be > 0/ });
  assert.throws(() => studentTCdf(NaN, 3), { name: 'RangeError', message: /^t must be a number/ });
  assert.throws(() => studentTQuantile(-0.1, 3), { name: 'RangeError', message: /^p must be/ });
  assert.throws(() => chiSquareSf(1, -2), {
    name: 'RangeError',
    message: /^df must be a finite number > 0; received -2/,
  });
});
