import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { userDigest } from '@recs/core';
import { createRedisFeatureStore } from '@recs/feature-store';
import { startStack, testRedis, type GraphQLBody, type Stack } from '@recs/testkit';

/**
 * forgetUser end to end on a real Redis: a shopper's data is written through the real paths (events
 * through the gateway into the stream and the consumer's live record, a dead letter, the
 * recommendations' preferences and e-mail sends, the opt-out flag, an offline feature record, cached
 * recommendation lists), then the shopper forgets themself, and every key and every value of every
 * type in Redis is read back: the id is nowhere. The field cache is on, so cached lists exist.
 * (Neo4j holds no shopper data: only products and co-purchase edges, see graph/src.)
 */
let stack: Stack;
let redis: Redis;
before(async () => {
  const { url } = await testRedis();
  stack = await startStack({ redisUrl: url, cacheTtlSeconds: 300 });
  redis = new Redis(url);
});
after(async () => {
  await stack?.stop();
  redis?.disconnect();
});

const uid = `privacy-${randomBytes(5).toString('hex')}`;
const now = (s = 0) => new Date(Date.now() - 60_000 + s * 1000).toISOString();

type Found = { key: string; type: string; where: 'key' | 'value' };

/** Every key of the server whose name or value (of any type) contains `needle`. */
async function scanFor(needle: string): Promise<Found[]> {
  const found: Found[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      if (key.includes(needle)) {
        found.push({ key, type, where: 'key' });
        continue;
      }
      let value: unknown;
      if (type === 'string') value = await redis.get(key);
      else if (type === 'hash') value = await redis.hgetall(key);
      else if (type === 'set') value = await redis.smembers(key);
      else if (type === 'zset') value = await redis.zrange(key, 0, -1, 'WITHSCORES');
      else if (type === 'list') value = await redis.lrange(key, 0, -1);
      else if (type === 'stream') value = await redis.xrange(key, '-', '+');
      else if (type === 'none') continue;
      else assert.fail(`a key of type ${type} (${key}) this test cannot read`);
      if (JSON.stringify(value).includes(needle)) found.push({ key, type, where: 'value' });
    }
  } while (cursor !== '0');
  return found;
}

async function ok(body: Promise<{ status: number; body: GraphQLBody }>): Promise<Record<string, unknown>> {
  const { body: b } = await body;
  assert.equal(b.errors, undefined, JSON.stringify(b.errors));
  return b.data!;
}

describe('forgetUser on Redis', () => {
  test("after forgetUser, the shopper's id is in no Redis key or value", async () => {
    const self = { authorization: `Bearer ${stack.userToken(uid)}` };
    const admin = { 'x-api-key': stack.adminKey };
    const event = (n: number, type: string, extra: Record<string, unknown> = {}) => ({
      eventId: `${uid}-e${n}`,
      type,
      userId: uid,
      sessionId: `${uid}-session`,
      productId: '22726',
      timestamp: now(n),
      country: 'GB',
      ...extra,
    });

    // A product record the consumer cannot apply a view to: that event goes to the dead letters.
    await stack.liveStore.merge('product', 'ZZDEAD', { views: 'many' });
    const recorded = await ok(
      stack.query(
        {
          query: `mutation R($events: [EventInput!]!) { recordEvents(events: $events) { accepted rejected { message } } }`,
          variables: {
            events: [
              event(1, 'VIEW'),
              event(2, 'ADD_TO_CART', { quantity: 2 }),
              event(3, 'PURCHASE', { quantity: 2, price: 2.1 }),
              event(4, 'SEARCH', { productId: null, query: 'alarm clock' }),
              event(5, 'VIEW', { productId: 'ZZDEAD' }),
            ],
          },
        },
        self,
      ),
    );
    assert.deepEqual(recorded.recordEvents, { accepted: 5, rejected: [] });
    const ACTIVITY = `query { user(id: "${uid}") { activity { actions } } }`;
    for (let tries = 0; ; tries++) {
      const data = await ok(stack.query({ query: ACTIVITY }, self));
      if ((data.user as { activity: { actions: number } }).activity.actions === 4) break;
      assert.ok(tries < 500, 'the consumer applies the events within 10 s');
      await delay(20);
    }

    // An experiment exposure with a click: the experiments' per-shopper records.
    await ok(
      stack.query(
        {
          query: `mutation ($input: ExperimentInput!) { saveExperiment(input: $input) { id } }`,
          variables: {
            input: {
              id: 'privacy-exp',
              layer: 'privacy',
              status: 'RUNNING',
              surfaces: ['HOME'],
              variants: [
                { name: 'a', allocation: 50 },
                { name: 'b', allocation: 50 },
              ],
            },
          },
        },
        admin,
      ),
    );
    let served: { requestId: string; experiment: string | null; items: { product: { id: string } }[] };
    for (let tries = 0; ; tries++) {
      const data = await ok(
        stack.query(
          {
            query: `query { user(id: "${uid}") { recommendations(surface: HOME, limit: 5) { requestId experiment items { product { id } } } } }`,
          },
          self,
        ),
      );
      served = (data.user as { recommendations: typeof served }).recommendations;
      if (served.experiment === 'privacy-exp') break;
      assert.ok(tries < 100, 'the experiment is served within 2 s');
      await delay(20);
    }
    await ok(
      stack.query(
        {
          query: `mutation R($events: [EventInput!]!) { recordEvents(events: $events) { accepted } }`,
          variables: {
            events: [
              event(7, 'CLICK', { productId: served.items[0]!.product.id, requestId: served.requestId }),
            ],
          },
        },
        self,
      ),
    );

    // The recommendations subgraph's writes to the live record.
    await ok(
      stack.query(
        {
          query: `mutation { hideFromRecommendations(userId: "${uid}", productId: "22727") { productIds } }`,
        },
        self,
      ),
    );
    await ok(
      stack.query({ query: `mutation { recordEmailSend(userId: "${uid}", productIds: ["22728"]) }` }, admin),
    );
    // The offline store (what the pipeline publishes), under the stack's prefix next to the live one.
    const liveKey = (await scanFor(uid)).find((f) => f.key.endsWith(`-recs-live:v1:feat:user:${uid}`));
    assert.ok(liveKey, 'the live record exists');
    const offline = createRedisFeatureStore({
      client: redis,
      keyPrefix: liveKey.key.split('-recs-live:')[0]!,
    });
    await offline.setMany('user', [{ id: uid, values: { orderCount: 2, totalSpend: 4.2, country: 'GB' } }]);
    // Opted out last, so the flag is stored too; an event after it is stored anonymous.
    await ok(
      stack.query({ query: `mutation { setPersonalization(optOut: true) { personalizationOptOut } }` }, self),
    );
    await ok(
      stack.query(
        {
          query: `mutation R($events: [EventInput!]!) { recordEvents(events: $events) { accepted } }`,
          variables: { events: [event(6, 'VIEW')] },
        },
        self,
      ),
    );

    // Cached lists last: every change above drops them.
    for (const surface of ['CART', 'HOME']) {
      await ok(
        stack.query(
          {
            query: `query { user(id: "${uid}") { recommendations(surface: ${surface}, limit: 5) { items { product { id } } } } }`,
          },
          self,
        ),
      );
    }

    const before = await scanFor(uid);
    const types = new Set(before.map((f) => `${f.type}:${f.where}`));
    for (const expected of ['stream:value', 'string:key', 'set:value', 'set:key']) {
      assert.ok(types.has(expected), `seeded a ${expected} holding the id; found ${[...types].join(', ')}`);
    }
    const has = (pattern: RegExp) => before.some((f) => pattern.test(f.key));
    assert.ok(has(/:v1:events:dead$/), 'a dead letter');
    assert.ok(has(/:v1:event-id:/), 'idempotency keys');
    assert.ok(has(/^User\.recommendations~/), 'cached lists');
    assert.ok(has(/^r:user:/), 'the cache reference set');
    assert.ok(has(/^r:product:/), 'product reference sets shared with other shoppers hold its cache keys');
    assert.ok(has(/:set:personalization-opt-out$/), 'the opt-out flag');
    assert.ok(has(/-recs-exp:users:privacy-exp:/), "the experiment's per-shopper counters");

    const forgotten = await ok(
      stack.query(
        { query: `mutation { forgetUser(id: "${uid}") { userId erased { store removed } } }` },
        self,
      ),
    );
    const erased = (forgotten.forgetUser as { erased: { store: string; removed: number }[] }).erased;
    assert.deepEqual(
      erased.map((e) => e.store),
      ['event-log', 'live-store', 'feature-store', 'field-cache', 'experiment-outcomes'],
    );
    assert.ok(
      erased.every((e) => e.removed > 0),
      JSON.stringify(erased),
    );

    const left = await scanFor(uid);
    assert.deepEqual(left, [], `the id is still in ${JSON.stringify(left)}`);
    const tombstones = (await scanFor(userDigest(uid))).map((f) => f.key);
    assert.equal(tombstones.length, 1);
    assert.match(tombstones[0]!, /-recs-live:v1:set:forgotten-users$/);
  });
});
