import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assign, bucketOf, validateExperiments } from '@recs/experiments';
import { experimentOf as exp } from './fixtures';

test('assignment is sticky and close to the allocation over 100k ids (chi-square)', () => {
  const e = exp({
    variants: [
      { name: 'a', allocation: 20 },
      { name: 'b', allocation: 30 },
      { name: 'c', allocation: 50 },
    ],
  });
  const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
  const n = 100_000;
  for (let i = 0; i < n; i++) counts[assign(String(i), [e])[0]!.variant]!++;
  const expected = { a: 0.2 * n, b: 0.3 * n, c: 0.5 * n };
  const chi2 = Object.keys(expected).reduce(
    (s, k) => s + (counts[k]! - expected[k as 'a']) ** 2 / expected[k as 'a'],
    0,
  );
  // 2 degrees of freedom: P(chi2 > 13.82) = 0.001.
  assert.ok(chi2 < 13.82, `chi2 ${chi2.toFixed(2)} for ${JSON.stringify(counts)}`);
  assert.deepEqual(assign('17850', [e]), assign('17850', [e]));
});

test('layers: exclusive inside, independent across; segments and status respected', () => {
  const a = exp({ id: 'a', traffic: { from: 0, to: 50 } });
  const b = exp({ id: 'b', traffic: { from: 50, to: 100 }, salt: 's2' });
  const c = exp({ id: 'c', layer: 'ui', salt: 's3' });
  const d = exp({ id: 'd', layer: 'email', salt: 's4', segment: { countries: ['DE'] } });
  const e = exp({ id: 'e', layer: 'push', salt: 's5', status: 'STOPPED' });
  for (let i = 0; i < 1000; i++) {
    const got = assign(String(i), [a, b, c, d, e]).map((x) => x.experimentId);
    assert.equal(got.filter((x) => x === 'a' || x === 'b').length, 1, 'exactly one per layer');
    assert.ok(got.includes('c'));
    assert.ok(!got.includes('d') && !got.includes('e'));
  }
  assert.ok(assign('1', [d], { country: 'DE' }).length === 1);
  assert.ok(bucketOf('x') >= 0 && bucketOf('x') < 100);
});

test('invalid experiment sets are refused with every problem', () => {
  assert.throws(
    () =>
      validateExperiments([
        exp({ id: 'a', variants: [{ name: 'x', allocation: 60 }] }),
        exp({ id: 'b', traffic: { from: 40, to: 100 } }),
      ]),
    (err: unknown) =>
      /sum to 100; received 60/.test((err as Error).message) &&
      /overlap in layer ranking/.test((err as Error).message),
  );
});
