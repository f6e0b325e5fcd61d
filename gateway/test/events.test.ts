import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { startStack, testRedis, type Stack } from '@recs/testkit';

/**
 * Event ingestion end to end: `recordEvents` and `POST /events` through the gateway, the features
 * subgraph appending to a Redis stream, its in-process consumer writing the live store, and the next
 * request (features or recommendations) seeing the change. Field caching is off so that a changed
 * stock flag shows in the very next recommendation list.
 */
let stack: Stack;
before(async () => {
  stack = await startStack({ redisUrl: (await testRedis()).url, cacheTtlSeconds: 0 });
});
after(async () => {
  await stack?.stop();
});

const RECORD = `mutation Record($events: [EventInput!]!) {
  recordEvents(events: $events) { accepted duplicates rejected { index eventId field message } }
}`;
const ACTIVITY = `query Activity($userId: ID!, $productId: ID!) {
  user(id: $userId) { activity { recentActions actions lastSessionId } }
  product(id: $productId) { activity { views clicks impressions addToCarts purchases unitsSold ctr addToCartRate stock viewsToday views7d purchasesToday purchases7d } }
}`;
type Activity = {
  user: { activity: { recentActions: string[]; actions: number; lastSessionId: string | null } };
  product: {
    activity: {
      views: number;
      clicks: number;
      impressions: number;
      addToCarts: number;
      purchases: number;
      unitsSold: number;
      ctr: number | null;
      addToCartRate: number | null;
      stock: number | null;
      viewsToday: number;
      views7d: number;
      purchasesToday: number;
      purchases7d: number;
    };
  };
};

const now = () => new Date().toISOString();
let seq = 0;
const id = (p: string) => `${p}-${process.pid}-${++seq}`;

/**
 * Polls `read` until `ok` holds; fails if that takes longer than `deadlineMs` (the visibility budget).
 * Returns how long it took.
 */
async function visibleWithin<T>(
  deadlineMs: number,
  read: () => Promise<T>,
  ok: (v: T) => boolean,
): Promise<number> {
  const start = Date.now();
  let last: T | undefined;
  while (Date.now() - start <= deadlineMs) {
    last = await read();
    if (ok(last)) return Date.now() - start;
    await delay(10);
  }
  assert.fail(`not visible within ${deadlineMs} ms; last read ${JSON.stringify(last)}`);
}

describe('recording events through the gateway', () => {
  test('a shopper records their session; User.activity and Product.activity show it within 1 s', async () => {
    const shopper = { authorization: `Bearer ${stack.userToken('17850')}` };
    const events = [
      { eventId: id('imp'), type: 'IMPRESSION', userId: '17850', productId: '85123A', timestamp: now() },
      { eventId: id('imp'), type: 'IMPRESSION', userId: '17850', productId: '85123A', timestamp: now() },
      {
        eventId: id('clk'),
        type: 'CLICK',
        userId: '17850',
        productId: '85123A',
        sessionId: 'sess-1',
        timestamp: now(),
      },
      {
        eventId: id('view'),
        type: 'VIEW',
        userId: '17850',
        productId: '85123A',
        sessionId: 'sess-1',
        timestamp: now(),
      },
      {
        eventId: id('cart'),
        type: 'ADD_TO_CART',
        userId: '17850',
        productId: '85123A',
        sessionId: 'sess-1',
        timestamp: now(),
      },
      {
        eventId: id('buy'),
        type: 'PURCHASE',
        userId: '17850',
        productId: '85123A',
        quantity: 6,
        timestamp: now(),
      },
    ];
    const before = (
      await stack.query({ query: ACTIVITY, variables: { userId: '17850', productId: '85123A' } }, shopper)
    ).body.data as Activity;
    const { status, body } = await stack.query({ query: RECORD, variables: { events } }, shopper);
    assert.equal(status, 200);
    assert.equal(body.errors, undefined);
    assert.deepEqual(body.data!.recordEvents, { accepted: 6, duplicates: 0, rejected: [] });

    const ms = await visibleWithin(
      1000,
      async () =>
        (await stack.query({ query: ACTIVITY, variables: { userId: '17850', productId: '85123A' } }, shopper))
          .body.data as Activity,
      (a) =>
        a.product.activity.purchases === before.product.activity.purchases + 1 &&
        a.user.activity.actions === before.user.activity.actions + 4,
    );
    const after = (
      await stack.query({ query: ACTIVITY, variables: { userId: '17850', productId: '85123A' } }, shopper)
    ).body.data as Activity;
    const p = after.product.activity;
    const b = before.product.activity;
    assert.deepEqual(
      [
        p.impressions - b.impressions,
        p.clicks - b.clicks,
        p.views - b.views,
        p.addToCarts - b.addToCarts,
        p.unitsSold - b.unitsSold,
      ],
      [2, 1, 1, 1, 6],
    );
    // the trending windows count the events of today (their timestamps are now)
    assert.deepEqual(
      [p.viewsToday - b.viewsToday, p.purchasesToday - b.purchasesToday, p.views7d - b.views7d],
      [1, 1, 1],
    );
    assert.equal(p.ctr, p.clicks / p.impressions);
    assert.equal(p.addToCartRate, p.addToCarts / p.views);
    assert.deepEqual(after.user.activity.recentActions.slice(-4), [
      'click:85123A',
      'view:85123A',
      'add_to_cart:85123A',
      'purchase:85123A',
    ]);
    assert.equal(after.user.activity.lastSessionId, 'sess-1');
    console.log(`# events visible ${ms} ms after recordEvents returned`);

    // The same batch again (a client retry) is all duplicates and changes nothing.
    const retry = await stack.query({ query: RECORD, variables: { events } }, shopper);
    assert.deepEqual(retry.body.data!.recordEvents, { accepted: 0, duplicates: 6, rejected: [] });
  });

  test("a shopper's events for another user are rejected one by one as FORBIDDEN; the rest go through", async () => {
    const shopper = { authorization: `Bearer ${stack.userToken('17850')}` };
    const { body } = await stack.query(
      {
        query: RECORD,
        variables: {
          events: [
            { eventId: id('x'), type: 'VIEW', userId: '13047', productId: '22423', timestamp: now() },
            { eventId: id('x'), type: 'VIEW', userId: '17850', productId: '22423', timestamp: now() },
            { eventId: id('x'), type: 'STOCK', productId: '22423', quantity: 5, timestamp: now() },
          ],
        },
      },
      shopper,
    );
    const result = body.data!.recordEvents as {
      accepted: number;
      rejected: { index: number; field: string; message: string }[];
    };
    assert.equal(result.accepted, 1);
    assert.deepEqual(
      result.rejected.map((r) => [r.index, r.field, r.message.split(':')[0]]),
      [
        [0, 'userId', 'FORBIDDEN'],
        [2, 'type', 'FORBIDDEN'],
      ],
    );
  });

  test('without credentials: UNAUTHENTICATED, for the mutation and for POST /events', async () => {
    const { status, body } = await stack.query({ query: RECORD, variables: { events: [] } }, {});
    assert.equal(status, 401);
    assert.equal(body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    const res = await fetch(stack.gatewayUrl.replace('/graphql', '/events'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: '{}\n',
    });
    assert.equal(res.status, 401);
    assert.equal(
      ((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code,
      'UNAUTHENTICATED',
    );
  });

  test('POST /events takes JSON lines from a service key and answers like the mutation', async () => {
    const lines = [
      { eventId: id('h'), type: 'view', userId: '12583', productId: '22728', timestamp: now() },
      { eventId: id('h'), type: 'search', userId: '12583', query: 'alarm clock', timestamp: now() },
      { eventId: id('h'), type: 'view', userId: '12583', timestamp: now() },
    ];
    const res = await fetch(stack.gatewayUrl.replace('/graphql', '/events'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', 'x-api-key': stack.serviceKey },
      body: lines.map((l) => JSON.stringify(l)).join('\n'),
    });
    assert.equal(res.status, 200);
    const result = (await res.json()) as {
      accepted: number;
      duplicates: number;
      rejected: { index: number; field: string }[];
    };
    assert.equal(result.accepted, 2);
    assert.deepEqual(
      result.rejected.map((r) => [r.index, r.field]),
      [[2, 'productId']],
    );
    await visibleWithin(
      1000,
      async () =>
        (await stack.query({ query: ACTIVITY, variables: { userId: '12583', productId: '22728' } })).body
          .data as Activity,
      (a) => a.user.activity.recentActions.at(-1) === 'search:alarm clock',
    );
  });

  test('an admin STOCK 0 event takes the product out of the next recommendation list within 1 s', async () => {
    const CART = `query Cart($cart: [ID!]!) { user(id: "17850") {
      recommendations(surface: CART, limit: 10, context: { cartProductIds: $cart }) { items { product { id } } } } }`;
    const cart = ['22726', '22727'];
    const list = async () =>
      (
        (await stack.query({ query: CART, variables: { cart } })).body.data as {
          user: { recommendations: { items: { product: { id: string } }[] } };
        }
      ).user.recommendations.items.map((i) => i.product.id);
    const first = (await list())[0]!;
    assert.ok(first, 'the list is not empty');
    const { body } = await stack.query(
      {
        query: RECORD,
        variables: {
          events: [{ eventId: id('stock'), type: 'STOCK', productId: first, quantity: 0, timestamp: now() }],
        },
      },
      { 'x-api-key': stack.adminKey },
    );
    assert.deepEqual(body.data!.recordEvents, { accepted: 1, duplicates: 0, rejected: [] });
    await visibleWithin(1000, list, (ids) => !ids.includes(first) && ids.length === 10);
    const stock = await stack.query({ query: ACTIVITY, variables: { userId: '17850', productId: first } });
    assert.equal((stock.body.data as Activity).product.activity.stock, 0);
  });
});

describe('freshness of recommendations', () => {
  // a stack with the field cache on: the event must also drop the cached list
  let cached: Stack;
  before(async () => {
    cached = await startStack({ redisUrl: (await testRedis()).url, cacheTtlSeconds: 300 });
  });
  after(async () => {
    await cached?.stop();
  });

  test('an add_to_cart reaches the next CART list within 1 s, through the cache', async () => {
    const stack = cached;
    const userId = `fresh-${process.pid}`;
    const shopper = { authorization: `Bearer ${stack.userToken(userId)}` };
    const CART = `query { user(id: "${userId}") { recommendations(surface: CART, limit: 10) {
      fallback items { product { id } reasonCode reason } } } }`;
    type Cart = {
      user: { recommendations: { items: { product: { id: string }; reasonCode: string; reason: string }[] } };
    };
    const cart = async () =>
      ((await stack.query({ query: CART }, shopper)).body.data as Cart).user.recommendations;
    // no cart yet: popular products, now cached for this shopper
    const empty = await cart();
    assert.ok(empty.items.every((i) => i.reasonCode !== 'BOUGHT_TOGETHER'));
    const { body } = await stack.query(
      {
        query: RECORD,
        variables: {
          events: [
            { eventId: id('cart'), type: 'ADD_TO_CART', userId, productId: '22726', timestamp: now() },
          ],
        },
      },
      shopper,
    );
    assert.deepEqual(body.data!.recordEvents, { accepted: 1, duplicates: 0, rejected: [] });
    const ms = await visibleWithin(1000, cart, (list) =>
      list.items.some((i) => /^Bought together with ALARM CLOCK BAKELIKE/.test(i.reason)),
    );
    const after = await cart();
    assert.ok(
      after.items.every((i) => i.product.id !== '22726'),
      'never the cart item itself',
    );
    console.log(`# add_to_cart reflected in the CART list ${ms} ms after recordEvents returned`);
  });

  test('a stock-out drops every cached list showing the product within 1 s', async () => {
    const stack = cached;
    const userId = `stockout-${process.pid}`;
    const shopper = { authorization: `Bearer ${stack.userToken(userId)}` };
    const HOME = `query { user(id: "${userId}") { recommendations(surface: HOME, limit: 10) { items { product { id } } } } }`;
    type Home = { user: { recommendations: { items: { product: { id: string } }[] } } };
    const ids = async () =>
      ((await stack.query({ query: HOME }, shopper)).body.data as Home).user.recommendations.items.map(
        (i) => i.product.id,
      );
    const before = await ids();
    assert.deepEqual(await ids(), before, 'cached');
    const gone = before[0]!;
    const { body } = await stack.query(
      {
        query: RECORD,
        variables: {
          events: [{ eventId: id('oos'), type: 'STOCK', productId: gone, quantity: 0, timestamp: now() }],
        },
      },
      { 'x-api-key': stack.adminKey },
    );
    assert.equal((body.data!.recordEvents as { accepted: number }).accepted, 1);
    const ms = await visibleWithin(1000, ids, (list) => !list.includes(gone) && list.length === 10);
    console.log(`# stock-out reflected in a cached HOME list ${ms} ms after recordEvents returned`);
  });

  test('a first purchase personalises the next HOME list within 1 s, through the cache', async () => {
    const stack = cached;
    const userId = `buyer-${process.pid}`;
    const shopper = { authorization: `Bearer ${stack.userToken(userId)}` };
    const HOME = `query { user(id: "${userId}") { recommendations(surface: HOME, limit: 10) { items { product { id } reasonCode } } } }`;
    type Home = { user: { recommendations: { items: { product: { id: string }; reasonCode: string }[] } } };
    const home = async () =>
      ((await stack.query({ query: HOME }, shopper)).body.data as Home).user.recommendations;
    const personal = (list: Awaited<ReturnType<typeof home>>) =>
      list.items.filter((i) => i.reasonCode === 'BUY_AGAIN' || i.reasonCode === 'FOR_YOU').length;
    assert.equal(personal(await home()), 0, 'a new shopper: cold start, now cached');
    const { body } = await stack.query(
      {
        query: RECORD,
        variables: {
          events: [
            {
              eventId: id('buy'),
              type: 'PURCHASE',
              userId,
              productId: '22726',
              quantity: 2,
              price: 3.75,
              timestamp: now(),
            },
          ],
        },
      },
      shopper,
    );
    assert.equal((body.data!.recordEvents as { accepted: number }).accepted, 1);
    const ms = await visibleWithin(1000, home, (list) => personal(list) > 0);
    console.log(`# first purchase reflected in the HOME list ${ms} ms after recordEvents returned`);
  });

  test('a view reaches the next HOME list within 1 s as session candidates, through the cache', async () => {
    const stack = cached;
    const userId = `session-${process.pid}`;
    const shopper = { authorization: `Bearer ${stack.userToken(userId)}` };
    const HOME = `query { user(id: "${userId}") { recommendations(surface: HOME, limit: 10) {
      items { product { id } reasonCode reason } } } }`;
    type Home = {
      user: { recommendations: { items: { product: { id: string }; reasonCode: string; reason: string }[] } };
    };
    const home = async () =>
      ((await stack.query({ query: HOME }, shopper)).body.data as Home).user.recommendations;
    const before = await home();
    assert.ok(
      before.items.every((i) => i.reasonCode !== 'SESSION'),
      'no session yet; the list is cached',
    );
    const { body } = await stack.query(
      {
        query: RECORD,
        variables: {
          events: [{ eventId: id('view'), type: 'VIEW', userId, productId: '22726', timestamp: now() }],
        },
      },
      shopper,
    );
    assert.equal((body.data!.recordEvents as { accepted: number }).accepted, 1);
    const ms = await visibleWithin(1000, home, (list) =>
      list.items.some(
        (i) => i.reasonCode === 'SESSION' && /^Because you looked at ALARM CLOCK BAKELIKE/.test(i.reason),
      ),
    );
    console.log(`# view reflected in the HOME list ${ms} ms after recordEvents returned`);
  });
});
