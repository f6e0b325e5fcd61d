import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { HEADERS, PRIVACY_SETS, createLogger, parseForgottenUsers, userDigest } from '@recs/core';
import { LIVE_KEY_PREFIX, createMemoryEventLog, createMemoryRateLimiter, type EventLog } from '@recs/events';
import { createMemoryFeatureStore, driftReference, type FeatureStore } from '@recs/feature-store';
import { buildFeaturesApp, type FeaturesAppOptions } from '../src/app';
import { purgeForgotten } from '../src/privacy';
import { SECRET, admin, eventually, gqlOn, service, shopper, type Body } from './helpers';

/** The features subgraph alone on embedded backends: privacy, rate limits, data quality, drift. */
const ts = (s = 0) => new Date(Date.now() - 60_000 + s * 1000).toISOString();

interface Harness {
  app: FastifyInstance;
  log: EventLog;
  store: FeatureStore;
  live: FeatureStore;
  gql(query: string, variables: Record<string, unknown>, headers: Record<string, string>): Promise<Body>;
}

async function harness(extra: Partial<FeaturesAppOptions> = {}): Promise<Harness> {
  const log = createMemoryEventLog();
  const store = createMemoryFeatureStore();
  const live = createMemoryFeatureStore({ keyPrefix: LIVE_KEY_PREFIX });
  const app = await buildFeaturesApp({
    store,
    gatewaySecret: SECRET,
    logger: createLogger('features-test', 'silent'),
    events: { log, live: { store: live, keyPrefix: LIVE_KEY_PREFIX }, consumer: { blockMs: 20 } },
    ...extra,
  });
  await app.ready();
  return {
    app,
    log,
    store,
    live,
    gql: (query, variables, headers) => gqlOn(app, query, variables, headers),
  };
}

const RECORD = `mutation R($events: [EventInput!]!) {
  recordEvents(events: $events) { accepted duplicates rejected { index eventId field message } }
}`;
const FORGET = `mutation F($id: ID!) { forgetUser(id: $id) { userId erased { store removed } } }`;
const OPT_OUT = `mutation P($optOut: Boolean!, $userId: ID) {
  setPersonalization(optOut: $optOut, userId: $userId) { userId personalizationOptOut }
}`;
const USER = `query U($reps: [_Any!]!) { _entities(representations: $reps) {
  ... on User { id personalizationOptOut activity { actions recentActions } }
} }`;

describe('forgetUser', () => {
  let h: Harness;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'forget-'));
    h = await harness({ privacy: { tombstoneFile: join(dir, 'forgotten-users.sha256') } });
  });
  after(async () => {
    await h?.app.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('the shopper or an admin key may forget; another shopper or a service key may not', async () => {
    for (const [headers, who] of [
      [shopper('other'), 'another shopper'],
      [service, 'a service key'],
    ] as const) {
      const body = await h.gql(FORGET, { id: 'u1' }, headers);
      assert.equal(body.errors?.[0]?.extensions?.code, 'FORBIDDEN', who);
    }
    const bad = await h.gql(FORGET, { id: ' ' }, admin);
    assert.equal(bad.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  });

  test("removes the shopper's events, live and offline records and opt-out flag, and records a tombstone", async () => {
    await h.store.setMany('user', [
      { id: 'u1', values: { orderCount: 3 } },
      { id: 'u2', values: { orderCount: 1 } },
    ]);
    const recorded = await h.gql(
      RECORD,
      {
        events: ['u1', 'u1', 'u2'].map((userId, i) => ({
          eventId: `f${i}`,
          type: 'VIEW',
          userId,
          productId: 'P1',
          timestamp: ts(i),
        })),
      },
      service,
    );
    assert.equal((recorded.data!.recordEvents as { accepted: number }).accepted, 3);
    await h.live.merge('user', 'u1', { hiddenProducts: ['P9'] });
    await h.live.addMembers(PRIVACY_SETS.personalizationOptOut, ['u1']);
    await eventually('the consumer', async () => (await h.live.getMany('user', ['u2']))[0] !== null);

    const body = await h.gql(FORGET, { id: 'u1' }, shopper('u1'));
    assert.equal(body.errors, undefined);
    assert.deepEqual(body.data!.forgetUser, {
      userId: 'u1',
      erased: [
        { store: 'event-log', removed: 4 }, // two entries, their two idempotency keys
        { store: 'live-store', removed: 2 }, // the record, the opt-out flag
        { store: 'feature-store', removed: 1 },
      ],
    });
    const raw = (await h.log.range()).map((e) => e.raw!).join('\n');
    assert.ok(!raw.includes('"u1"') && raw.includes('"u2"'));
    assert.deepEqual(await h.live.getMany('user', ['u1']), [null]);
    assert.deepEqual(await h.store.getMany('user', ['u1']), [null]);
    assert.notEqual((await h.store.getMany('user', ['u2']))[0], null, 'other shoppers are untouched');
    assert.deepEqual(await h.live.members(PRIVACY_SETS.forgottenUsers), [userDigest('u1')]);
    const file = await readFile(join(dir, 'forgotten-users.sha256'), 'utf8');
    assert.deepEqual([...parseForgottenUsers(file)], [userDigest('u1')]);
    assert.ok(!file.includes('u1'));

    const again = await h.gql(FORGET, { id: 'u1' }, admin);
    assert.deepEqual(
      (again.data!.forgetUser as { erased: { removed: number }[] }).erased.map((e) => e.removed),
      [0, 0, 0],
      'idempotent',
    );
    const metrics = await (await h.app.inject({ url: '/metrics' })).body;
    assert.match(metrics, /recs_privacy_erased_total\{eraser="event-log",outcome="removed"[^}]*\} 4/);
  });

  test('a failing store makes the call fail naming it, after the others ran', async () => {
    const failing = await harness({
      privacy: {
        erasers: [
          {
            name: 'exposure-log',
            erase: async () => {
              throw new Error('down');
            },
          },
        ],
      },
    });
    after(() => failing.app.close());
    await failing.live.merge('user', 'u3', { actions: 1 });
    const body = await failing.gql(FORGET, { id: 'u3' }, admin);
    assert.equal(body.errors?.[0]?.extensions?.code, 'BACKEND_UNAVAILABLE');
    assert.deepEqual(body.errors?.[0]?.extensions?.failed, ['exposure-log']);
    assert.deepEqual(await failing.live.getMany('user', ['u3']), [null], 'the other erasers ran');
  });
});

test('purgeForgotten deletes the offline records a fresh publish brought back, only of tombstoned shoppers', async () => {
  const store = createMemoryFeatureStore();
  const live = createMemoryFeatureStore({ keyPrefix: LIVE_KEY_PREFIX });
  await store.setMany(
    'user',
    ['a', 'b', 'c'].map((id) => ({ id, values: { orderCount: 1 } })),
  );
  assert.equal(await purgeForgotten(store, live, ['a', 'b', 'c']), 0, 'no tombstones');
  await live.addMembers(PRIVACY_SETS.forgottenUsers, [userDigest('b'), userDigest('zz')]);
  assert.equal(await purgeForgotten(store, live, ['a', 'b', 'c']), 1);
  assert.deepEqual(
    (await store.getMany('user', ['a', 'b', 'c'])).map((r) => r !== null),
    [true, false, true],
  );
});

describe('setPersonalization', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h?.app.close());

  test("who may set it: the shopper's own token, an admin key for anyone", async () => {
    assert.equal(
      (await h.gql(OPT_OUT, { optOut: true, userId: 'a' }, shopper('b'))).errors?.[0]?.extensions?.code,
      'FORBIDDEN',
    );
    assert.equal(
      (await h.gql(OPT_OUT, { optOut: true, userId: 'a' }, service)).errors?.[0]?.extensions?.code,
      'FORBIDDEN',
    );
    const noId = await h.gql(OPT_OUT, { optOut: true }, admin);
    assert.equal(noId.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.deepEqual((await h.gql(OPT_OUT, { optOut: true, userId: 'a' }, admin)).data, {
      setPersonalization: { userId: 'a', personalizationOptOut: true },
    });
  });

  test("an opted-out shopper's new events are stored anonymous: product counters only", async () => {
    const view = (eventId: string, s: number) => ({
      eventId,
      type: 'VIEW',
      userId: 'o1',
      sessionId: 'sess-o1',
      productId: 'P7',
      timestamp: ts(s),
      country: 'GB',
      device: 'mobile',
      requestId: 'req-o1',
    });
    await h.gql(RECORD, { events: [view('o-before', 0)] }, shopper('o1'));
    const set = await h.gql(OPT_OUT, { optOut: true }, shopper('o1'));
    assert.deepEqual(set.data, { setPersonalization: { userId: 'o1', personalizationOptOut: true } });
    const recorded = await h.gql(RECORD, { events: [view('o-after', 1)] }, shopper('o1'));
    assert.deepEqual(recorded.data!.recordEvents, { accepted: 1, duplicates: 0, rejected: [] });
    const retry = await h.gql(RECORD, { events: [view('o-after', 1)] }, shopper('o1'));
    assert.deepEqual(
      retry.data!.recordEvents,
      { accepted: 0, duplicates: 1, rejected: [] },
      'still idempotent',
    );

    const stored = (await h.log.range()).map((e) => JSON.parse(e.raw!) as Record<string, unknown>);
    const last = stored.at(-1)!;
    assert.deepEqual(Object.keys(last).sort(), ['anonymous', 'eventId', 'productId', 'timestamp', 'type']);
    assert.ok(!JSON.stringify(last).includes('o1'));
    await eventually('both views counted', async () => {
      const [p] = await h.live.getMany('product', ['P7']);
      return p?.values.views === 2;
    });
    const user = await h.gql(USER, { reps: [{ __typename: 'User', id: 'o1' }] }, shopper('o1'));
    assert.deepEqual(user.data!._entities, [
      { id: 'o1', personalizationOptOut: true, activity: { actions: 1, recentActions: ['view:P7'] } },
    ]);

    await h.gql(OPT_OUT, { optOut: false }, shopper('o1'));
    await h.gql(RECORD, { events: [view('o-back', 2)] }, shopper('o1'));
    await eventually('personal again', async () => {
      const [u] = await h.live.getMany('user', ['o1']);
      return u?.values.actions === 2;
    });
  });
});

describe('rate limits', () => {
  let h: Harness;
  before(async () => {
    h = await harness({
      rateLimits: {
        limiter: createMemoryRateLimiter(),
        service: { perSecond: 1000, burst: 1000 },
        shopper: { perSecond: 0.5, burst: 3 },
      },
    });
  });
  after(() => h?.app.close());

  const events = (n: number, userId: string, tag: string) =>
    Array.from({ length: n }, (_, i) => ({
      eventId: `${tag}${i}`,
      type: 'VIEW',
      userId,
      productId: `P${i}`,
      timestamp: ts(i),
    }));

  test('a shopper past their bucket gets RATE_LIMITED with the wait; another shopper and API keys are not affected', async () => {
    const ok = await h.gql(RECORD, { events: events(3, 'r1', 'a') }, shopper('r1'));
    assert.equal((ok.data!.recordEvents as { accepted: number }).accepted, 3);
    const limited = await h.gql(RECORD, { events: events(1, 'r1', 'b') }, shopper('r1'));
    assert.equal(limited.errors?.[0]?.extensions?.code, 'RATE_LIMITED');
    // one token at 0.5/s: 2 s (minus what the test took)
    assert.ok([1, 2].includes(limited.errors?.[0]?.extensions?.retryAfterSeconds as number));
    assert.match(limited.errors![0]!.message, /too many events for this shopper \(0.5\/s, bursts of 3\)/);
    const other = await h.gql(RECORD, { events: events(1, 'r2', 'c') }, shopper('r2'));
    assert.equal(other.errors, undefined);
    const key = await h.gql(RECORD, { events: events(10, 'r1', 'd') }, service);
    assert.equal((key.data!.recordEvents as { accepted: number }).accepted, 10);
  });

  test('POST /events answers 429 with Retry-After', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/events',
      headers: { 'content-type': 'application/x-ndjson', [HEADERS.gatewaySecret]: SECRET, ...shopper('r1') },
      payload: events(1, 'r1', 'e')
        .map((e) => JSON.stringify(e))
        .join('\n'),
    });
    assert.equal(res.statusCode, 429);
    assert.match(String(res.headers['retry-after']), /^[12]$/);
    const body = res.json() as Body;
    assert.equal(body.errors?.[0]?.extensions?.code, 'RATE_LIMITED');
    assert.equal(String(body.errors?.[0]?.extensions?.retryAfterSeconds), res.headers['retry-after']);
  });
});

describe('data quality and drift', () => {
  let h: Harness;
  before(async () => {
    h = await harness({
      quality: { mode: 'enforce', maxUserEventsPerMinute: 5 },
      drift: {
        modelVersion: 'v-test',
        references: [
          driftReference('product_price', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
          driftReference('product_orders', [1, 10, 100], [1, 10, 100]),
          driftReference('user_order_count', [1, 1, 2, 3]),
        ],
        minSamples: 20,
      },
    });
    await h.store.setMany('product', [{ id: 'PX', values: { medianPrice: 5, ordersAllTime: 10 } }]);
    await h.store.setMany('user', [{ id: 'buyer0', values: { orderCount: 2 } }]);
  });
  after(() => h?.app.close());

  test('a bot is dropped past its rate, with a QUALITY rejection, and counted', async () => {
    // all in one minute of event time (the rate's window)
    const minute = Math.floor((Date.now() - 120_000) / 60_000) * 60_000;
    const events = Array.from({ length: 7 }, (_, i) => ({
      eventId: `bot${i}`,
      type: 'VIEW',
      userId: 'bot',
      productId: `P${i}`,
      timestamp: new Date(minute + i * 1000).toISOString(),
    }));
    const body = await h.gql(RECORD, { events }, service);
    const result = body.data!.recordEvents as {
      accepted: number;
      rejected: { index: number; message: string }[];
    };
    assert.equal(result.accepted, 5);
    assert.deepEqual(
      result.rejected.map((r) => [r.index, r.message.split(':').slice(0, 2).join(':')]),
      [
        [5, 'QUALITY: bot_user_rate'],
        [6, 'QUALITY: bot_user_rate'],
      ],
    );
    const metrics = (await h.app.inject({ url: '/metrics' })).body;
    assert.match(metrics, /recs_event_quality_total\{check="bot_user_rate",action="dropped"[^}]*\} 2/);
  });

  test('featureDrift: PSI per feature from recorded purchases, for API keys only; also a metric', async () => {
    const purchases = Array.from({ length: 30 }, (_, i) => ({
      eventId: `buy${i}`,
      type: 'PURCHASE',
      userId: `buyer${i % 3}`,
      productId: 'PX',
      price: i === 0 ? 500 : 9 + (i % 2),
      timestamp: ts(i),
    }));
    await h.gql(RECORD, { events: purchases }, service);
    const DRIFT = `{ featureDrift { modelVersion features { feature psi status samples unseen bins { upperBound expectedShare observedShare } } } }`;
    type Drift = { feature: string; psi: number | null; status: string; samples: number; unseen: number };
    let report: { modelVersion: string; features: Drift[] } | undefined;
    await eventually('the observations', async () => {
      report = (await h.gql(DRIFT, {}, service)).data!.featureDrift as typeof report;
      return report!.features.find((f) => f.feature === 'product_price')!.samples === 29;
    });
    assert.equal(report!.modelVersion, 'v-test');
    const byName = new Map(report!.features.map((f) => [f.feature, f]));
    // 29 prices of 9 or 10 (500 is a price outlier: counted, not observed) against 1..10
    assert.equal(byName.get('product_price')!.status, 'SHIFTED');
    assert.equal(byName.get('product_orders')!.samples, 30);
    // three buyers, one known to the snapshot
    assert.deepEqual(
      [byName.get('user_order_count')!.samples, byName.get('user_order_count')!.unseen],
      [1, 2],
    );
    assert.equal(byName.get('user_order_count')!.status, 'INSUFFICIENT_DATA');
    const forbidden = await h.gql(DRIFT, {}, shopper('buyer0'));
    assert.equal(forbidden.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    const metrics = (await h.app.inject({ url: '/metrics' })).body;
    assert.match(metrics, /recs_feature_drift_psi\{feature="product_price"[^}]*\} \d/);
    assert.match(metrics, /recs_event_quality_total\{check="price_outlier",action="flagged"[^}]*\} 1/);
  });
});
