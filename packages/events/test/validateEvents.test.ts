import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { effectsOf, parseTimestamp, validateEvents, type RecsEvent } from '../src/index';

const NOW = Date.parse('2011-11-09T12:00:00.000Z');
const opts = { now: () => NOW };
const ts = '2011-11-09T11:59:00Z';
const base = { eventId: 'e1', type: 'view', userId: '17850', productId: '85123A', timestamp: ts };

describe('validateEvents', () => {
  test('normalises a valid event: ids, type, timestamp, country, device; null is absent', () => {
    const { accepted, rejected } = validateEvents(
      [
        {
          eventId: 'e1',
          type: 'ADD_TO_CART',
          userId: ' 17850.0 ',
          sessionId: 's-1',
          productId: ' 85123a',
          quantity: 2,
          price: 2.55,
          requestId: '3f1c-77',
          timestamp: '2011-11-09T13:30:00+02:00',
          country: 'gb',
          device: 'Mobile',
          query: null,
        },
      ],
      opts,
    );
    assert.deepEqual(rejected, []);
    assert.deepEqual(accepted, [
      {
        index: 0,
        event: {
          eventId: 'e1',
          type: 'add_to_cart',
          userId: '17850',
          sessionId: 's-1',
          productId: '85123A',
          quantity: 2,
          price: 2.55,
          requestId: '3f1c-77',
          timestamp: '2011-11-09T11:30:00.000Z',
          country: 'GB',
          device: 'mobile',
        },
      },
    ]);
  });

  const cases: [string, Record<string, unknown> | unknown, string, RegExp][] = [
    ['not an object', 'view', 'event', /must be a JSON object/],
    ['an array', [1], 'event', /must be a JSON object/],
    ['an unknown field', { ...base, productID: 'x' }, 'productID', /not an event field/],
    ['no eventId', { ...base, eventId: undefined }, 'eventId', /is required/],
    ['an empty eventId', { ...base, eventId: '' }, 'eventId', /1\.\.64 printable/],
    ['a 65-character eventId', { ...base, eventId: 'x'.repeat(65) }, 'eventId', /1\.\.64 printable/],
    ['an eventId with a control character', { ...base, eventId: 'a\nb' }, 'eventId', /printable/],
    ['an eventId with surrounding spaces', { ...base, eventId: ' a' }, 'eventId', /surrounding spaces/],
    ['a numeric eventId', { ...base, eventId: 12 }, 'eventId', /must be a string; received 12/],
    ['no type', { ...base, type: undefined }, 'type', /is required/],
    [
      'an unknown type',
      { ...base, type: 'wishlist' },
      'type',
      /must be one of view, click, .*new_product; received "wishlist"/,
    ],
    ['a shopper event without userId', { ...base, userId: undefined }, 'userId', /required for view events/],
    ['a bad userId', { ...base, userId: 'a'.repeat(70) }, 'userId', /1\.\.64/],
    ['a view without productId', { ...base, productId: null }, 'productId', /required for view events/],
    [
      'a purchase of 0 units',
      { ...base, type: 'purchase', quantity: 0 },
      'quantity',
      /integer from 1 to 10000; received 0/,
    ],
    ['a fractional quantity', { ...base, type: 'add_to_cart', quantity: 1.5 }, 'quantity', /integer/],
    ['a quantity as a string', { ...base, type: 'add_to_cart', quantity: '2' }, 'quantity', /received "2"/],
    ['a negative price', { ...base, price: -1 }, 'price', /from 0 to/],
    ['a NaN price', { ...base, price: Number.NaN }, 'price', /received NaN/],
    [
      'a search without query',
      { ...base, type: 'search', productId: undefined },
      'query',
      /required for search/,
    ],
    ['a blank query', { ...base, type: 'search', query: '   ' }, 'query', /1\.\.256/],
    ['a query with a newline', { ...base, type: 'search', query: 'a\nb' }, 'query', /control/],
    ['a 257-character query', { ...base, type: 'search', query: 'q'.repeat(257) }, 'query', /1\.\.256/],
    ['no timestamp', { ...base, timestamp: undefined }, 'timestamp', /is required/],
    [
      'a timestamp without a time zone',
      { ...base, timestamp: '2011-11-09T11:00:00' },
      'timestamp',
      /with a time zone/,
    ],
    ['a date only', { ...base, timestamp: '2011-11-09' }, 'timestamp', /ISO 8601/],
    ['Feb 30', { ...base, timestamp: '2011-02-30T10:00:00Z' }, 'timestamp', /ISO 8601/],
    ['hour 24', { ...base, timestamp: '2011-11-08T24:00:00Z' }, 'timestamp', /ISO 8601/],
    ['epoch millis', { ...base, timestamp: NOW }, 'timestamp', /ISO 8601.*received 1320840000000/],
    [
      '6 minutes in the future',
      { ...base, timestamp: '2011-11-09T12:06:00Z' },
      'timestamp',
      /300 s in the future/,
    ],
    ['31 days old', { ...base, timestamp: '2011-10-09T11:59:59Z' }, 'timestamp', /older than 30 days/],
    ['a three-letter country', { ...base, country: 'GBR' }, 'country', /alpha-2/],
    ['an unknown device', { ...base, device: 'watch' }, 'device', /desktop, mobile, tablet, app/],
    [
      'a stock event without quantity',
      { eventId: 's', type: 'stock', productId: 'P', timestamp: ts },
      'quantity',
      /units in stock/,
    ],
    [
      'a negative stock',
      { eventId: 's', type: 'stock', productId: 'P', quantity: -1, timestamp: ts },
      'quantity',
      /0 to/,
    ],
    [
      'a price event without price',
      { eventId: 'p', type: 'price', productId: 'P', timestamp: ts },
      'price',
      /required for price/,
    ],
    [
      'a new product without productId',
      { eventId: 'n', type: 'new_product', timestamp: ts },
      'productId',
      /required/,
    ],
  ];
  for (const [what, raw, field, message] of cases) {
    test(`rejects ${what} (field ${field})`, () => {
      const { accepted, rejected } = validateEvents([raw], opts);
      assert.deepEqual(accepted, []);
      assert.equal(rejected.length, 1);
      assert.equal(rejected[0]!.index, 0);
      assert.equal(rejected[0]!.field, field);
      assert.match(rejected[0]!.message, message);
      assert.ok(rejected[0]!.message.startsWith(`${field} `), rejected[0]!.message);
    });
  }

  test('accepts the edges: 5 min ahead, 30 days old, catalogue events without userId, stock 0, price 0', () => {
    const { accepted, rejected } = validateEvents(
      [
        { ...base, timestamp: '2011-11-09T12:05:00Z' },
        { ...base, eventId: 'old', timestamp: '2011-10-10T12:00:00.000Z' },
        { eventId: 's', type: 'stock', productId: 'P', quantity: 0, timestamp: ts },
        { eventId: 'p', type: 'price', productId: 'P', price: 0, timestamp: ts },
        { eventId: 'n', type: 'new_product', productId: 'P', timestamp: ts },
        {
          eventId: 'q',
          type: 'search',
          userId: '1',
          query: ' red mug ',
          timestamp: '2011-11-09 11:00:00.123456Z',
        },
        { ...base, eventId: 'x'.repeat(64), timestamp: '2011-11-09T11:00:00.5+0100' },
      ],
      opts,
    );
    assert.deepEqual(rejected, []);
    assert.equal(accepted.length, 7);
    assert.equal(accepted[5]!.event.query, 'red mug');
    assert.equal(accepted[5]!.event.timestamp, '2011-11-09T11:00:00.123Z');
    assert.equal(accepted[6]!.event.timestamp, '2011-11-09T10:00:00.500Z');
  });

  test('a batch keeps its valid events; each rejection names the index, eventId and field', () => {
    const { accepted, rejected } = validateEvents(
      [
        base,
        { ...base, eventId: 'e2', productId: 7 },
        null,
        { ...base, eventId: 'e4', type: 'click' },
        { ...base, eventId: { id: 1 }, type: 'nope' },
      ],
      opts,
    );
    assert.deepEqual(
      accepted.map((a) => [a.index, a.event.eventId]),
      [
        [0, 'e1'],
        [3, 'e4'],
      ],
    );
    assert.deepEqual(
      rejected.map(({ index, eventId, field }) => ({ index, eventId, field })),
      [
        { index: 1, eventId: 'e2', field: 'productId' },
        { index: 2, eventId: undefined, field: 'event' },
        { index: 4, eventId: undefined, field: 'eventId' },
      ],
    );
  });

  test('parseTimestamp reads offsets and refuses impossible calendar dates', () => {
    assert.equal(parseTimestamp('2011-11-09T18:30:00Z'), Date.parse('2011-11-09T18:30:00Z'));
    assert.equal(parseTimestamp('2012-02-29T00:00:00-05:00'), Date.parse('2012-02-29T05:00:00Z'));
    assert.equal(parseTimestamp('2011-02-29T00:00:00Z'), undefined);
    assert.equal(parseTimestamp('2011-11-09T10:60:00Z'), undefined);
    assert.equal(parseTimestamp('yesterday'), undefined);
  });
});

describe('effectsOf', () => {
  const e = (over: Partial<RecsEvent>): RecsEvent => ({
    eventId: 'x',
    type: 'view',
    userId: 'u',
    productId: 'P',
    timestamp: '2011-11-09T11:00:00.000Z',
    ...over,
  });
  test('a view counts for the product and the session; an impression only for the product', () => {
    assert.deepEqual(
      effectsOf(e({})).map((x) => [x.op, x.kind, 'field' in x ? x.field : x.atField]),
      [
        ['incr', 'product', 'views'],
        ['dayIncr', 'product', 'viewsByDay'],
        ['ratio', 'product', 'addToCartRate'],
        ['incr', 'user', 'actions'],
        ['push', 'user', 'recentActions'],
        ['setIfNewer', 'user', 'lastEventAt'],
      ],
    );
    assert.deepEqual(
      effectsOf(e({ type: 'impression' })).map((x) => [x.op, x.kind, 'field' in x ? x.field : x.atField]),
      [
        ['incr', 'product', 'impressions'],
        ['ratio', 'product', 'ctr'],
      ],
    );
  });
  test('a search is a session action without a product; catalogue events touch only the product', () => {
    const search = effectsOf(e({ type: 'search', productId: undefined, query: 'red mug' }));
    assert.deepEqual(
      search.filter((x) => x.op === 'push').map((x) => (x as { value: string }).value),
      ['search:red mug'],
    );
    assert.ok(search.every((x) => x.kind === 'user'));
    assert.deepEqual(effectsOf(e({ type: 'stock', userId: undefined, quantity: 4 })), [
      {
        op: 'keepPrevious',
        kind: 'product',
        id: 'P',
        field: 'previousStock',
        from: 'stock',
        atField: 'stockUpdatedAt',
        at: '2011-11-09T11:00:00.000Z',
      },
      {
        op: 'setIfNewer',
        kind: 'product',
        id: 'P',
        atField: 'stockUpdatedAt',
        at: '2011-11-09T11:00:00.000Z',
        values: { stock: 4 },
      },
    ]);
  });
});
