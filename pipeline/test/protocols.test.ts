import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Interaction } from '../src/ingest/Interaction';
import { buildCases } from '../src/eval/protocols';
import { purchase } from './purchase';

const day = (d: number) => Date.UTC(2011, 9, d);
const buy = (basketId: string, userId: string | null, productId: string, d: number): Interaction =>
  purchase({ basketId, userId, productId, ts: day(d) });

const DATA: Interaction[] = [
  // training period (before day 9)
  buy('i1', 'u1', 'A', 1),
  buy('i1', 'u1', 'B', 1),
  buy('i2', 'u2', 'C', 2),
  // test window [9, 20)
  buy('t1', 'u1', 'A', 10),
  buy('t1', 'u1', 'B', 10),
  buy('t1', 'u1', 'C', 10),
  buy('t2', 'u3', 'A', 11), // new customer, two products
  buy('t2', 'u3', 'NEW', 11),
  buy('t3', null, 'B', 12), // guest invoice with one product: not a CART case
  buy('t4', 'u2', 'C', 25), // after the window
];

describe('evaluation protocols', () => {
  const cases = buildCases(DATA, day(9), day(20), new Set(['A', 'B', 'C']));

  it('CART hides one product of each multi-product test invoice, reproducibly', () => {
    const again = buildCases(DATA, day(9), day(20), new Set(['A', 'B', 'C']));
    assert.deepEqual(again, cases, 'same seed, same cases');
    const all = [...cases.cart.map((c) => c.basketId)];
    // t2 is a case only when the cart keeps its catalogue product A (NEW hidden: a case, always a miss)
    assert.ok(all.includes('t1'));
    assert.ok(!all.includes('t3') && !all.includes('t4'));
    for (const c of cases.cart) {
      assert.ok(!c.cart.includes(c.hidden), 'the hidden product is not in the cart');
      assert.ok(
        c.cart.some((p) => ['A', 'B', 'C'].includes(p)),
        'every cart holds a catalogue product',
      );
    }
    assert.equal(cases.cart.length + cases.cartSkippedNoCatalogueItem, 2);
    assert.equal(cases.cartHiddenNew, cases.cart.filter((c) => c.hidden === 'NEW').length);
    const t1 = cases.cart.find((c) => c.basketId === 't1')!;
    assert.equal(t1.cart.length, 2);
  });

  it('PRODUCT views one catalogue product of an invoice and targets the rest of it', () => {
    assert.equal(cases.product.length, 1, 't2 has one catalogue product only, t3 one product');
    const [p] = cases.product;
    assert.equal(p!.basketId, 't1');
    assert.ok(['A', 'B', 'C'].includes(p!.seed));
    assert.deepEqual(
      [...p!.target].sort(),
      ['A', 'B', 'C'].filter((x) => x !== p!.seed),
    );
  });

  it('new products are viewed products first sold in the window; their invoice is the target', () => {
    assert.deepEqual(
      cases.newProducts.map((c) => [c.basketId, c.productId, [...c.target]]),
      [['t2', 'NEW', ['A']]],
    );
  });

  it('HOME takes customers seen before and in the window; new customers are apart', () => {
    assert.deepEqual(
      cases.home.map((c) => [c.userId, [...c.target].sort()]),
      [['u1', ['A', 'B', 'C']]],
    );
    assert.deepEqual(
      cases.newCustomers.map((c) => [c.userId, [...c.target].sort()]),
      [['u3', ['A', 'NEW']]],
    );
  });

  it('CART keeps a hidden new product as a case and skips a cart without catalogue products', () => {
    const outcomes = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const c = buildCases(DATA, day(9), day(20), new Set(['A', 'B', 'C']), seed);
      const t2 = c.cart.find((x) => x.basketId === 't2');
      if (t2) {
        assert.deepEqual([t2.hidden, t2.cart], ['NEW', ['A']]);
        assert.equal(c.cartHiddenNew, 1);
        outcomes.add('kept');
      } else {
        assert.equal(c.cartSkippedNoCatalogueItem, 1, 'A hidden leaves only NEW in the cart');
        outcomes.add('skipped');
      }
    }
    assert.deepEqual([...outcomes].sort(), ['kept', 'skipped']);
  });

  it('a different seed can hide a different product', () => {
    const hidden = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const c = buildCases(DATA, day(9), day(20), new Set(['A', 'B', 'C']), seed).cart.find(
        (x) => x.basketId === 't1',
      );
      hidden.add(c!.hidden);
    }
    assert.ok(hidden.size > 1);
  });

  it('CART draws as the datasets README: invoice-number order, sorted codes, CPython random.choice', () => {
    // Expected hidden products printed by CPython: r = random.Random(seed); r.choice(['A','B','C']),
    // then r.choice(['A','NEW']) (t1 before t2 by number, whatever the time and line order).
    const reordered: Interaction[] = [
      ...DATA.filter((e) => e.ts < day(9)),
      buy('t2', 'u3', 'NEW', 10),
      buy('t2', 'u3', 'A', 10),
      buy('t1', 'u1', 'C', 11),
      buy('t1', 'u1', 'A', 11),
      buy('t1', 'u1', 'B', 11),
    ];
    const hidden = (seed: number) =>
      Object.fromEntries(
        buildCases(reordered, day(9), day(20), new Set(['A', 'B', 'C']), seed).cart.map((c) => [
          c.basketId,
          c.hidden,
        ]),
      );
    assert.deepEqual(hidden(42), { t1: 'C' }, 't2 hides A, which leaves no catalogue product: skipped');
    assert.deepEqual(hidden(9), { t2: 'NEW', t1: 'B' }, 'cases are listed in time order');
    assert.deepEqual(hidden(5), { t2: 'NEW', t1: 'C' });
  });
});
