import assert from 'node:assert/strict';
import { test } from 'node:test';
import { percentile } from '../src/percentile';

test('percentile is the nearest rank', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(hundred, 50), 50);
  assert.equal(percentile(hundred, 99), 99);
  assert.equal(percentile(hundred, 100), 100);
  assert.equal(percentile([3, 7, 9], 50), 7);
  assert.equal(percentile([3, 7, 9], 99), 9);
  assert.equal(percentile([5], 1), 5);
  assert.ok(Number.isNaN(percentile([], 50)));
});
