import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { HEADERS, createLogger } from '@recs/core';
import { LIVE_KEY_PREFIX, createMemoryEventLog, type EventLog, type RecsEvent } from '@recs/events';
import { createMemoryFeatureStore } from '@recs/feature-store';
import { buildFeaturesApp } from '../src/app';
import { SECRET, admin, eventually, gqlOn, service, shopper } from './helpers';

/** The features subgraph alone (embedded log and stores), driven like the gateway drives it. */
const NOW = Date.now();
const ts = (s = 0) => new Date(NOW - 60_000 + s * 1000).toISOString();

let app: FastifyInstance;
let log: EventLog;
const applied: RecsEvent[] = [];
before(async () => {
  log = createMemoryEventLog();
  app = await buildFeaturesApp({
    store: createMemoryFeatureStore(),
    gatewaySecret: SECRET,
    logger: createLogger('features-test', 'silent'),
    events: {
      log,
      live: { store: createMemoryFeatureStore({ keyPrefix: LIVE_KEY_PREFIX }), keyPrefix: LIVE_KEY_PREFIX },
      consumer: { blockMs: 50 },
      onApplied: (e) => void applied.push(e),
      maxBodyBytes: 10_000,
      maxLines: 50,
    },
  });
  await app.ready();
});
after(() => app?.close());

const gql = (query: string, variables: Record<string, unknown>, headers: Record<string, string>) =>
  gqlOn(app, query, variables, headers);

const RECORD = `mutation R($events: [EventInput!]!) {
  recordEvents(events: $events) { accepted duplicates rejected { index eventId field message } }
}`;
const ACTIVITY = `query A($reps: [_Any!]!) { _entities(representations: $reps) {
  ... on Product { id activity { views clicks impressions addToCarts purchases unitsSold ctr addToCartRate stock price newProduct } }
  ... on User { id activity { recentActions actions lastSessionId lastEventAt } }
} }`;

describe('recordEvents', () => {
  test('a shopper records their own events; others and catalogue events are rejected per event', async () => {
    const body = await gql(
      RECORD,
      {
        events: [
          {
            eventId: 'm1',
            type: 'VIEW',
            userId: '17850',
            productId: '85123a',
            timestamp: ts(),
            sessionId: 's1',
          },
          { eventId: 'm2', type: 'VIEW', userId: '13047', productId: '85123A', timestamp: ts() },
          { eventId: 'm3', type: 'STOCK', productId: '85123A', quantity: 0, timestamp: ts() },
          { eventId: 'm4', type: 'CLICK', userId: '17850', productId: '85123A', timestamp: 'yesterday' },
          { eventId: 'm5', type: 'ADD_TO_CART', userId: '17850.0', productId: '85123A', timestamp: ts(1) },
        ],
      },
      shopper('17850'),
    );
    assert.equal(body.errors, undefined);
    assert.deepEqual(body.data!.recordEvents, {
      accepted: 2,
      duplicates: 0,
      rejected: [
        {
          index: 1,
          eventId: 'm2',
          field: 'userId',
          message: 'FORBIDDEN: a shopper may only record their own events',
        },
        {
          index: 2,
          eventId: 'm3',
          field: 'type',
          message: 'FORBIDDEN: stock events change the catalogue and need an admin key',
        },
        {
          index: 3,
          eventId: 'm4',
          field: 'timestamp',
          message:
            'timestamp must be an ISO 8601 date-time with a time zone, e.g. "2011-11-09T18:30:00Z"; received "yesterday"',
        },
      ],
    });
    await eventually('the consumer to apply both', async () => applied.some((e) => e.eventId === 'm5'));
    const activity = await gql(
      ACTIVITY,
      {
        reps: [
          { __typename: 'Product', id: '85123A' },
          { __typename: 'User', id: '17850' },
        ],
      },
      shopper('17850'),
    );
    assert.equal(activity.errors, undefined);
    assert.deepEqual(activity.data!._entities, [
      {
        id: '85123A',
        activity: {
          views: 1,
          clicks: 0,
          impressions: 0,
          addToCarts: 1,
          purchases: 0,
          unitsSold: 0,
          ctr: null,
          addToCartRate: 1,
          stock: null,
          price: null,
          newProduct: false,
        },
      },
      {
        id: '17850',
        activity: {
          recentActions: ['view:85123A', 'add_to_cart:85123A'],
          actions: 2,
          lastSessionId: 's1',
          lastEventAt: ts(1),
        },
      },
    ]);
  });

  test('a service key records any shopper, not the catalogue; an admin key records the catalogue', async () => {
    const stock = { eventId: 'c1', type: 'STOCK', productId: '22423', quantity: 0, timestamp: ts() };
    const viaService = await gql(
      RECORD,
      {
        events: [
          stock,
          { eventId: 'c2', type: 'PURCHASE', userId: '99', productId: '22423', quantity: 2, timestamp: ts() },
        ],
      },
      service,
    );
    assert.deepEqual(viaService.data!.recordEvents, {
      accepted: 1,
      duplicates: 0,
      rejected: [
        {
          index: 0,
          eventId: 'c1',
          field: 'type',
          message: 'FORBIDDEN: stock events change the catalogue and need an admin key',
        },
      ],
    });
    const viaAdmin = await gql(RECORD, { events: [stock, stock] }, admin);
    assert.deepEqual(viaAdmin.data!.recordEvents, { accepted: 1, duplicates: 1, rejected: [] });
    await eventually('the stock flag', async () => {
      const b = await gql(ACTIVITY, { reps: [{ __typename: 'Product', id: '22423' }] }, service);
      const a = (b.data!._entities as { activity: { stock: number | null; unitsSold: number } }[])[0]!
        .activity;
      return a.stock === 0 && a.unitsSold === 2;
    });
  });

  test("a shopper cannot read another shopper's activity", async () => {
    const body = await gql(ACTIVITY, { reps: [{ __typename: 'User', id: '13047' }] }, shopper('17850'));
    assert.equal(body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
  });

  test('more than 1000 events in one mutation is BAD_USER_INPUT', async () => {
    const events = Array.from({ length: 1001 }, (_, i) => ({
      eventId: `big${i}`,
      type: 'VIEW',
      userId: '1',
      productId: 'P',
      timestamp: ts(),
    }));
    const body = await gql(RECORD, { events }, service);
    assert.equal(body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(body.errors![0]!.message, /at most 1000/);
  });
});

describe('POST /events', () => {
  const post = (payload: string, headers: Record<string, string>, contentType = 'application/x-ndjson') =>
    app.inject({
      method: 'POST',
      url: '/events',
      headers: { 'content-type': contentType, [HEADERS.gatewaySecret]: SECRET, ...headers },
      payload,
    });
  const line = (o: Record<string, unknown>) => JSON.stringify(o);

  test('JSON lines: one result for the batch, rejections by line number', async () => {
    const body = [
      line({ eventId: 'h1', type: 'view', userId: '17850', productId: 'H1', timestamp: ts() }),
      '{not json',
      line({ eventId: 'h1', type: 'view', userId: '17850', productId: 'H1', timestamp: ts() }),
      line({ eventId: 'h3', type: 'view', userId: '17850', timestamp: ts() }),
      '',
      line({ eventId: 'h5', type: 'search', userId: '17850', query: 'mug', timestamp: ts() }),
    ].join('\n');
    const res = await post(`${body}\n`, shopper('17850'));
    assert.equal(res.statusCode, 200);
    const json = res.json() as {
      accepted: number;
      duplicates: number;
      rejected: { index: number; field: string; message: string }[];
    };
    assert.equal(json.accepted, 2);
    assert.equal(json.duplicates, 1);
    assert.deepEqual(
      json.rejected.map((r) => [r.index, r.field]),
      [
        [1, 'event'],
        [3, 'productId'],
        [4, 'event'],
      ],
    );
    assert.match(json.rejected[0]!.message, /not JSON/);
  });

  test('without the gateway secret or a verified caller: UNAUTHENTICATED', async () => {
    const noCaller = await post(line({ eventId: 'x' }), {});
    assert.equal(noCaller.statusCode, 401);
    assert.equal(noCaller.json().errors[0].extensions.code, 'UNAUTHENTICATED');
    const wrongSecret = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { 'content-type': 'application/x-ndjson', [HEADERS.gatewaySecret]: 'wrong', ...service },
      payload: line({ eventId: 'x' }),
    });
    assert.equal(wrongSecret.statusCode, 401);
  });

  test('a body over the limit is DOCUMENT_TOO_LARGE, too many lines and other content types BAD_USER_INPUT', async () => {
    const big = await post('x'.repeat(10_001), service);
    assert.equal(big.statusCode, 413);
    assert.equal(big.json().errors[0].extensions.code, 'DOCUMENT_TOO_LARGE');
    const many = await post(Array.from({ length: 51 }, () => '{}').join('\n'), service);
    assert.equal(many.statusCode, 400);
    assert.match(many.json().errors[0].message, /at most 50 events/);
    const xml = await post('<events/>', service, 'application/xml');
    assert.equal(xml.statusCode, 400);
    assert.equal(xml.json().errors[0].extensions.code, 'BAD_USER_INPUT');
  });

  test('readiness reports the event log and the live store', async () => {
    const res = await app.inject({ method: 'GET', url: '/ready' });
    assert.deepEqual(res.json().checks, { featureStore: true, liveStore: true, eventLog: true });
  });

  test('metrics count recorded events by outcome', async () => {
    // this file recorded 6 events (m1, m5, c2, c1, h1, h5) and 2 duplicates (the second c1, the second h1)
    await eventually('the consumer to apply the last batch', async () =>
      applied.some((e) => e.eventId === 'h5'),
    );
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    const value = (series: string) => {
      const m = new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\d+)$`, 'm').exec(res.body);
      assert.ok(m, `${series} is exported`);
      return Number(m[1]);
    };
    assert.equal(value('recs_events_recorded_total{outcome="duplicate",service="features"}'), 2);
    assert.equal(value('recs_events_recorded_total{outcome="accepted",service="features"}'), 6);
    assert.equal(value('recs_event_consumer_entries{outcome="applied",service="features"}'), 6);
    assert.equal(applied.length, 6);
  });
});
