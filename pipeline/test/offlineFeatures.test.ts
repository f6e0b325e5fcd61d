import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  computeProductFeatures,
  computeUserFeatures,
  pricePercentiles,
} from '../src/features/offlineFeatures';
import type { CatalogueEntry, Interaction } from '../src/ingest/Interaction';

const catalogue = new Map<string, CatalogueEntry>(
  [
    { id: 'A', title: 'MUG A', price: 1, category: 'mugs' },
    { id: 'B', title: 'MUG B', price: 2, category: 'mugs' },
    { id: 'C', title: 'MUG C', price: 3, category: 'mugs' },
    { id: 'D', title: 'BAG D', price: 5, category: 'bags' },
  ].map((c) => [c.id, c]),
);
const DAY = 86_400_000;
const until = Date.parse('2011-11-09T00:00:00Z');
const buy = (userId: string, productId: string, basketId: string, daysBefore: number) =>
  ({
    type: 'purchase',
    userId,
    productId,
    basketId,
    quantity: 1,
    unitPrice: catalogue.get(productId)!.price,
    ts: until - daysBefore * DAY,
    country: 'GB',
  }) as unknown as Interaction;

test('price percentiles are per category; user preferences and price sensitivity follow what they bought', () => {
  assert.deepEqual(Object.fromEntries(pricePercentiles(catalogue)), { A: 0, B: 0.5, C: 1, D: 0.5 });
  const rows = [
    buy('u', 'A', 'i1', 40),
    buy('u', 'A', 'i2', 3),
    buy('u', 'B', 'i2', 3),
    buy('u', 'D', 'i3', 10),
  ];
  const u = computeUserFeatures(rows, catalogue).u!;
  assert.deepEqual(u.categoryPreferences, ['mugs:0.75', 'bags:0.25']);
  // percentiles bought: 0, 0, 0.5, 0.5 -> mean 0.25 -> sensitivity 0.75
  assert.equal(u.priceSensitivity, 0.75);
  const p = computeProductFeatures(rows, catalogue, until);
  assert.deepEqual(
    [p.A!.orders7d, p.A!.orders30d, p.A!.ordersAllTime, p.A!.category, p.A!.pricePercentile],
    [1, 1, 2, 'mugs', 0],
  );
  assert.equal(p.D!.orders7d, 0);
});
