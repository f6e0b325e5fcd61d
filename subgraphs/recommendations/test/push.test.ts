import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_PUSH_RULES, decidePush, isQuietHour, type PushProductState } from '../src/rules/push';
import { parseContextTime } from '../src/RecommendationRequest';

const NOW = Date.UTC(2026, 10, 29, 14, 0); // 14:00 on the shopper's wall clock
const HOUR = 3_600_000;
const products = (entries: Record<string, Partial<PushProductState>>) =>
  new Map(Object.entries(entries).map(([id, p]) => [id, { title: `Product ${id}`, ...p }]));
const shopper = (over: Partial<Parameters<typeof decidePush>[0]> = {}) => ({
  interested: [],
  cart: [],
  sentAt: [],
  ...over,
});

describe('push triggers', () => {
  test('a viewed product back in stock comes first, then a price drop, then an abandoned cart', () => {
    const all = products({
      A: { stock: 4, previousStock: 0, stockUpdatedAt: NOW - HOUR },
      B: { price: 8, previousPrice: 10, priceUpdatedAt: NOW - HOUR, stock: 3 },
      C: { stock: 2 },
    });
    const s = shopper({ interested: ['B', 'A'], cart: ['C'], lastEventAt: NOW - 2 * HOUR });
    const first = decidePush(s, all, NOW, NOW);
    assert.ok(first.send);
    assert.equal(first.trigger, 'BACK_IN_STOCK');
    assert.deepEqual(first.productIds, ['A']);
    assert.equal(first.title, 'Product A is back in stock');
    assert.equal(first.deliverAfter, undefined);
    const second = decidePush({ ...s, interested: ['B'] }, all, NOW, NOW);
    assert.ok(second.send && second.trigger === 'PRICE_DROP');
    assert.equal(second.title, 'Product B is now 20% cheaper');
    assert.equal(second.body, 'Down from 10.00 to 8.00.');
    const third = decidePush({ ...s, interested: [] }, all, NOW, NOW);
    assert.ok(third.send && third.trigger === 'ABANDONED_CART');
    assert.deepEqual(third.productIds, ['C']);
  });

  test('no trigger: an old restock, a small price drop, a cart touched minutes ago or days ago', () => {
    const all = products({
      A: { stock: 4, previousStock: 0, stockUpdatedAt: NOW - 8 * 24 * HOUR },
      B: { price: 9.8, previousPrice: 10, priceUpdatedAt: NOW - HOUR },
      C: { stock: 0 },
    });
    for (const lastEventAt of [NOW - 10 * 60_000, NOW - 100 * HOUR]) {
      const d = decidePush(shopper({ interested: ['A', 'B'], cart: ['C', 'B'], lastEventAt }), all, NOW, NOW);
      assert.equal(d.send, false, `cart last touched ${(NOW - lastEventAt) / HOUR} hours ago`);
    }
    // a cart of only out-of-stock products is not worth a push
    const d = decidePush(shopper({ cart: ['C'], lastEventAt: NOW - 2 * HOUR }), all, NOW, NOW);
    assert.equal(d.send, false);
  });

  test('frequency caps and quiet hours', () => {
    const all = products({ A: { stock: 4, previousStock: 0, stockUpdatedAt: NOW - HOUR } });
    const s = shopper({ interested: ['A'] });
    const capped = decidePush({ ...s, sentAt: [NOW - 5 * HOUR] }, all, NOW, NOW);
    assert.deepEqual(capped, { send: false, reason: 'frequency cap: 1 push(es) in 24 h' });
    const week = [1, 2, 3].map((d) => NOW - d * 25 * HOUR);
    assert.match((decidePush({ ...s, sentAt: week }, all, NOW, NOW) as { reason: string }).reason, /7 days/);
    // 23:30 local: deliver at 08:00 the next morning, 8.5 hours from now
    const late = Date.UTC(2026, 10, 29, 23, 30);
    const quiet = decidePush(s, all, NOW, late);
    assert.ok(quiet.send);
    assert.equal(quiet.deliverAfter, NOW + 8.5 * HOUR);
    // 06:00 local: the same morning
    const early = Date.UTC(2026, 10, 29, 6, 0);
    const morning = decidePush(s, all, NOW, early);
    assert.ok(morning.send);
    assert.equal(morning.deliverAfter, NOW + 2 * HOUR);
    // a zone in context.time is not applied: 20:30 in New York is 20:30 for the shopper, not quiet,
    // whatever the server's zone (it was read as 01:30 UTC, a quiet hour)
    const evening = parseContextTime('2026-11-29T20:30:00-05:00')!;
    const now = decidePush(s, all, NOW, evening);
    assert.ok(now.send);
    assert.equal(now.deliverAfter, undefined);
    assert.ok(isQuietHour(21, DEFAULT_PUSH_RULES) && isQuietHour(3, DEFAULT_PUSH_RULES));
    assert.ok(!isQuietHour(8, DEFAULT_PUSH_RULES) && !isQuietHour(20, DEFAULT_PUSH_RULES));
  });
});
