import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { createLogger } from '@recs/core';
import { createRedisEventLog } from '@recs/events';
import { createRedisFeatureStore, driftReference, type FeatureStore } from '@recs/feature-store';
import { askedThrice, testRedis, unlinkPrefix } from '@recs/testkit/services';
import { buildFeaturesApp } from '../src/app';
import { DRIFT_FEATURES } from '../src/drift';
import { SECRET, admin, eventually, gqlOn, type Body } from './helpers';

/**
 * Mercurius runs an operation text interpreted (graphql-js) on its first use and compiled (graphql-jit)
 * from its second. Every field of every type this subgraph serves is asked three times with the same
 * text, on real Redis, and the three answers must be the same and free of errors.
 */
const base = `jit-features-${randomBytes(6).toString('hex')}`;
const DAY = 86_400_000;
const ts = (agoMs: number) => new Date(Date.now() - agoMs).toISOString();
const USER = `${base}-u`;
const OPT_OUT_USER = `${base}-o`;
const PRODUCT = 'JIT1';
const UNKNOWN_PRODUCT = 'JIT2';

let app: FastifyInstance;
let store: FeatureStore;
let live: FeatureStore;
let redis: Redis;
before(async () => {
  const { url } = await testRedis();
  redis = new Redis(url, { maxRetriesPerRequest: 1 });
  store = createRedisFeatureStore({ url, keyPrefix: `${base}-features` });
  live = createRedisFeatureStore({ url, keyPrefix: `${base}-live` });
  app = await buildFeaturesApp({
    store,
    gatewaySecret: SECRET,
    logger: createLogger('features-test', 'silent'),
    events: {
      log: createRedisEventLog({ url, keyPrefix: base }),
      live: { store: live, keyPrefix: `${base}-live` },
      consumer: { blockMs: 50 },
    },
    drift: {
      modelVersion: 'jit-model',
      references: [
        driftReference(DRIFT_FEATURES.productPrice, [1, 2, 3, 4, 5, 6, 7, 8]),
        driftReference(DRIFT_FEATURES.productOrders, [1, 5, 10, 20, 40]),
        driftReference(DRIFT_FEATURES.userOrderCount, [1, 2, 3, 4]),
      ],
      minSamples: 1,
    },
  });
  await app.ready();
  await store.setMany('user', [
    {
      id: USER,
      values: {
        orderCount: 3,
        distinctProducts: 7,
        totalSpend: 42.5,
        country: 'GB',
        lastPurchaseAt: '2011-11-09T18:30:00',
        categoryPreferences: ['candles:0.5', 'lights:0.25'],
        priceSensitivity: 0.4,
      },
    },
  ]);
  await store.setMany('product', [
    {
      id: PRODUCT,
      values: {
        observedTitle: 'WHITE HANGING HEART T-LIGHT HOLDER',
        medianPrice: 2.55,
        orders30d: 12,
        orders7d: 3,
        category: 'lights',
        pricePercentile: 0.3,
        ordersAllTime: 120,
      },
    },
  ]);
  // Activity with every counter, flag and trending window set, and a purchase for the drift monitor.
  const shopper = { userId: USER, productId: PRODUCT, sessionId: 's1', country: 'GB', device: 'mobile' };
  const events = [
    { type: 'VIEW', ...shopper, timestamp: ts(2 * DAY) },
    { type: 'IMPRESSION', ...shopper, timestamp: ts(60_000) },
    { type: 'VIEW', ...shopper, timestamp: ts(55_000) },
    { type: 'CLICK', ...shopper, timestamp: ts(50_000) },
    { type: 'ADD_TO_CART', ...shopper, quantity: 2, timestamp: ts(45_000) },
    { type: 'REMOVE_FROM_CART', ...shopper, timestamp: ts(40_000) },
    { type: 'PURCHASE', ...shopper, quantity: 1, price: 2.55, timestamp: ts(35_000) },
    { type: 'RETURN', ...shopper, timestamp: ts(30_000) },
    { type: 'SEARCH', userId: USER, query: 'lantern', timestamp: ts(25_000) },
    { type: 'NEW_PRODUCT', productId: PRODUCT, price: 2.55, quantity: 10, timestamp: ts(20_000) },
    { type: 'STOCK', productId: PRODUCT, quantity: 8, timestamp: ts(15_000) },
    { type: 'PRICE', productId: PRODUCT, price: 2.95, timestamp: ts(10_000) },
  ].map((e, i) => ({ eventId: `${base}-seed-${i}`, ...e }));
  const seeded = await gqlOn(
    app,
    'mutation Seed($events: [EventInput!]!) { recordEvents(events: $events) { accepted rejected { message } } }',
    { events },
    admin,
  );
  assert.deepEqual(seeded, { data: { recordEvents: { accepted: events.length, rejected: [] } } });
  await eventually('the consumer to apply the seeded events', async () => {
    const [record] = await live.getMany('product', [PRODUCT]);
    return record?.values.price === 2.95 && record.values.returns === 1;
  });
  await eventually('the drift monitor to observe the purchase', async () => {
    const body = await gqlOn(app, '{ featureDrift { features { feature samples } } }', {}, admin);
    const features = (body.data?.featureDrift as { features: { samples: number }[] } | undefined)?.features;
    return features?.length === 3 && features.every((f) => f.samples > 0);
  });
});
after(async () => {
  await app?.close();
  await Promise.all([store?.close(), live?.close()]);
  if (redis) {
    await unlinkPrefix(redis, base);
    redis.disconnect();
  }
});

/** Asks `query` three times with the same text: interpreted, then compiled twice. */
const thrice = (
  query: string,
  variables: (i: number) => Record<string, unknown>,
  normalise?: (body: Body) => unknown,
): Promise<Body> => askedThrice((i) => gqlOn(app, query, variables(i), admin), normalise);

const USER_FIELDS = `id personalizationOptOut
  features { orderCount distinctProducts totalSpend country lastPurchaseAt
    categoryPreferences { category share } priceSensitivity updatedAt }
  activity { recentActions actions lastEventAt lastSessionId lastCountry lastDevice }`;
const PRODUCT_FIELDS = `id
  features { observedTitle medianPrice orders30d orders7d category pricePercentile ordersAllTime updatedAt }
  activity { views clicks impressions addToCarts removeFromCarts purchases unitsSold returns ctr
    addToCartRate stock price newProduct listedAt viewsToday views7d purchasesToday purchases7d trend updatedAt }`;

describe('the features subgraph answers the same interpreted and compiled (graphql-jit)', () => {
  test('_entities: every field of User and Product, with and without data', async () => {
    const body = await thrice(
      `query Entities($reps: [_Any!]!) { _entities(representations: $reps) {
        __typename ... on User { ${USER_FIELDS} } ... on Product { ${PRODUCT_FIELDS} } } }`,
      () => ({
        reps: [
          { __typename: 'User', id: USER },
          { __typename: 'User', id: `${base}-nobody` },
          { __typename: 'Product', id: PRODUCT },
          { __typename: 'Product', id: UNKNOWN_PRODUCT },
        ],
      }),
    );
    const [user, nobody, product, unknown] = body.data!._entities as Record<string, unknown>[];
    assert.deepEqual(user!.features, {
      orderCount: 3,
      distinctProducts: 7,
      totalSpend: 42.5,
      country: 'GB',
      lastPurchaseAt: '2011-11-09T18:30:00',
      categoryPreferences: [
        { category: 'candles', share: 0.5 },
        { category: 'lights', share: 0.25 },
      ],
      priceSensitivity: 0.4,
      updatedAt: (user!.features as { updatedAt: string }).updatedAt,
    });
    assert.equal((user!.activity as { lastDevice: string }).lastDevice, 'mobile');
    assert.equal(nobody!.features, null);
    const activity = product!.activity as Record<string, unknown>;
    assert.equal(activity.stock, 8);
    assert.equal(activity.newProduct, true);
    assert.equal((product!.features as { category: string }).category, 'lights');
    assert.equal(unknown!.features, null);
  });

  test('Query.featureDrift: every field of the report', async () => {
    const body = await thrice(
      `query Drift { featureDrift { modelVersion
        features { feature psi status samples unseen bins { upperBound expectedShare observedShare } } } }`,
      () => ({}),
    );
    const drift = body.data!.featureDrift as { modelVersion: string; features: { psi: number | null }[] };
    assert.equal(drift.modelVersion, 'jit-model');
    assert.ok(drift.features.every((f) => typeof f.psi === 'number'));
  });

  test('Mutation.recordEvents: fresh events each time, the same answer', async () => {
    const body = await thrice(
      `mutation Record($events: [EventInput!]!) {
        recordEvents(events: $events) { accepted duplicates rejected { index eventId field message } } }`,
      (i) => ({
        events: [
          {
            eventId: `${base}-r${i}-a`,
            type: 'VIEW',
            userId: USER,
            productId: PRODUCT,
            timestamp: ts(5_000),
          },
          { eventId: `${base}-r${i}-b`, type: 'CLICK', userId: USER, productId: PRODUCT, timestamp: 'soon' },
        ],
      }),
      (b) => JSON.parse(JSON.stringify(b).replace(/-r\d-/g, '-r#-')),
    );
    assert.deepEqual(body.data!.recordEvents, {
      accepted: 1,
      duplicates: 0,
      rejected: [
        {
          index: 1,
          eventId: `${base}-r0-b`,
          field: 'timestamp',
          message:
            'timestamp must be an ISO 8601 date-time with a time zone, e.g. "2011-11-09T18:30:00Z"; received "soon"',
        },
      ],
    });
  });

  test('Mutation.setPersonalization: every field', async () => {
    const body = await thrice(
      `mutation OptOut($optOut: Boolean!, $userId: ID) {
        setPersonalization(optOut: $optOut, userId: $userId) { userId personalizationOptOut } }`,
      () => ({ optOut: true, userId: OPT_OUT_USER }),
    );
    assert.deepEqual(body.data!.setPersonalization, { userId: OPT_OUT_USER, personalizationOptOut: true });
  });

  test('Mutation.forgetUser: a fresh shopper each time, the same answer', async () => {
    const ids = [0, 1, 2].map((i) => `${base}-f${i}`);
    await store.setMany(
      'user',
      ids.map((id) => ({ id, values: { orderCount: 1 } })),
    );
    const body = await thrice(
      `mutation Forget($id: ID!) { forgetUser(id: $id) { userId erased { store removed } } }`,
      (i) => ({ id: ids[i] }),
      (b) => JSON.parse(JSON.stringify(b).replace(/-f\d"/g, '-f#"')),
    );
    const forgot = body.data!.forgetUser as { userId: string; erased: { store: string; removed: number }[] };
    assert.equal(forgot.userId, ids[0]);
    assert.deepEqual(
      forgot.erased.find((e) => e.store === 'feature-store'),
      { store: 'feature-store', removed: 1 },
    );
  });
});
