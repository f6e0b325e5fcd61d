import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DriftMonitor, binOf, driftReference, psi } from '../src/index';

test('driftReference cuts at weighted deciles and merges equal ones', () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  const ref = driftReference('x', values);
  assert.deepEqual(ref.bounds, [10, 20, 30, 40, 50, 60, 70, 80, 90]);
  assert.deepEqual(
    ref.expected.map((e) => Math.round(e * 100) / 100),
    [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
  );
  // a weight of 9 on the value 1 puts half the mass there
  const skewed = driftReference('y', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [10, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  assert.equal(skewed.bounds[0], 1);
  assert.equal(skewed.expected[0], 10 / 19);
  assert.equal(new Set(skewed.bounds).size, skewed.bounds.length, 'bounds are distinct');
  assert.throws(() => driftReference('z', []), /no training values/);
});

test('binOf: a value belongs to the first bin whose upper bound is >= it', () => {
  assert.deepEqual(
    [0, 1, 1.5, 2, 3, 99].map((v) => binOf([1, 2, 3], v)),
    [0, 0, 1, 1, 2, 3],
  );
});

test('psi: 0 for the same distribution, known value for a shift, finite for empty bins', () => {
  assert.equal(psi([0.5, 0.5], [0.5, 0.5]), 0);
  const expected = (0.7 - 0.5) * Math.log(0.7 / 0.5) + (0.3 - 0.5) * Math.log(0.3 / 0.5);
  assert.ok(Math.abs(psi([0.5, 0.5], [0.7, 0.3]) - expected) < 1e-12);
  assert.ok(Number.isFinite(psi([1, 0], [0, 1])));
});

test('DriftMonitor: stable on the training distribution, shifted when online values move', () => {
  const training = Array.from({ length: 1000 }, (_, i) => (i % 100) + 1);
  const monitor = new DriftMonitor([driftReference('price', training)], { window: 500, minSamples: 100 });
  assert.equal(monitor.report()[0]!.status, 'INSUFFICIENT_DATA');
  for (let i = 0; i < 500; i++) monitor.observe('price', (i % 100) + 1);
  const stable = monitor.report()[0]!;
  assert.equal(stable.status, 'STABLE');
  assert.ok(stable.psi! < 0.01, `psi ${stable.psi}`);
  assert.equal(stable.samples, 500);
  // the window slides: 500 new values, all expensive, replace the old ones
  for (let i = 0; i < 500; i++) monitor.observe('price', 95 + (i % 10));
  monitor.observe('price', undefined);
  monitor.observe('unknown-feature', 1);
  const shifted = monitor.report()[0]!;
  assert.equal(shifted.status, 'SHIFTED');
  assert.equal(shifted.samples, 499);
  assert.equal(shifted.unseen, 1);
  assert.equal(shifted.bins.length, 10);
  assert.equal(shifted.bins.at(-1)!.upperBound, null);
  assert.ok(Math.abs(shifted.bins.reduce((s, b) => s + b.observedShare, 0) - 1) < 1e-9);
});
