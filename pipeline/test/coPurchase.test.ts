import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@recs/core';
import { trainCoPurchase } from '../src/models/coPurchase';
import type { Interaction } from '../src/ingest/Interaction';
import { purchase } from './purchase';

const TS = Date.UTC(2011, 5, 1);
const basket = (id: string, products: string[]): Interaction[] =>
  products.map((productId) => purchase({ basketId: id, productId, ts: TS }));

test('co-purchase counts, confidence and lift on hand-computed baskets', () => {
  const pairs = trainCoPurchase([
    ...basket('b1', ['A', 'B', 'C']),
    ...basket('b2', ['A', 'B']),
    ...basket('b3', ['A', 'C']),
    ...basket('b4', ['B', 'A', 'A']), // a product twice in one basket counts once
    ...basket('b5', ['D']),
  ]);
  // N = 5 baskets; support A 4, B 3, C 2, D 1; A-B in 3 baskets, A-C in 2, B-C in 1 (below minCount 2)
  assert.deepEqual(pairs, [
    { a: 'A', b: 'B', count: 3, confidence: 1, lift: (3 * 5) / (4 * 3) },
    { a: 'A', b: 'C', count: 2, confidence: 1, lift: (2 * 5) / (4 * 2) },
  ]);
});

test('co-purchase pairs equal a brute-force count over many products (every count shard used)', () => {
  const random = seededRandom(3);
  const products = Array.from({ length: 300 }, (_, i) => `P${String(i).padStart(3, '0')}`);
  const baskets = Array.from({ length: 2_000 }, () => [
    ...new Set(
      Array.from({ length: 2 + Math.floor(random() * 6) }, () => products[Math.floor(random() ** 2 * 300)]!),
    ),
  ]);
  const got = trainCoPurchase(
    baskets.flatMap((b, i) => basket(`b${i}`, b)),
    { maxNeighbours: 1_000 },
  );
  const support = new Map<string, number>();
  const counts = new Map<string, number>();
  for (const b of baskets) {
    for (const p of b) support.set(p, (support.get(p) ?? 0) + 1);
    const sorted = [...b].sort();
    for (let x = 0; x < sorted.length; x++)
      for (let y = x + 1; y < sorted.length; y++) {
        const key = `${sorted[x]} ${sorted[y]}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
  }
  const expected = new Map([...counts].filter(([, c]) => c >= 2));
  assert.ok(expected.size > 1_000, `${expected.size} pairs`);
  assert.equal(got.length, expected.size);
  for (const p of got) {
    assert.equal(p.count, expected.get(`${p.a} ${p.b}`), `${p.a} ${p.b}`);
    assert.ok(Math.abs(p.lift - (p.count * baskets.length) / (support.get(p.a)! * support.get(p.b)!)) < 1e-9);
  }
});
