import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { PRIVACY_SETS } from '@recs/core';
import { createMemoryFeatureStore } from '@recs/feature-store';
import { testRedis } from '@recs/testkit/services';
import {
  anonymise,
  createFieldCacheEraser,
  decodeEvent,
  effectsOf,
  encodeEvent,
  globEscape,
  liveStoreEraser,
  validateEvents,
  type RecsEvent,
} from '../src/index';

const event: RecsEvent = {
  eventId: 'shop-17850-42',
  type: 'add_to_cart',
  userId: '17850',
  sessionId: 'S-17850',
  productId: '85123A',
  quantity: 2,
  requestId: 'req-1',
  timestamp: '2030-01-01T00:00:00.000Z',
  country: 'GB',
  device: 'mobile',
};

test('anonymise keeps what the product counters need and nothing that points at the shopper', () => {
  const anon = anonymise(event);
  assert.deepEqual(Object.keys(anon).sort(), [
    'anonymous',
    'eventId',
    'productId',
    'quantity',
    'timestamp',
    'type',
  ]);
  assert.equal(anon.anonymous, true);
  assert.match(anon.eventId, /^anon-[\w-]{32}$/);
  assert.equal(anonymise(event).eventId, anon.eventId, 'a retry maps to the same id');
  assert.ok(!encodeEvent(anon).includes('17850'));
  assert.deepEqual(
    effectsOf(anon).map((e) => e.kind),
    ['product', 'product'],
    'only product counters change',
  );
  const stock: RecsEvent = {
    eventId: 's',
    type: 'stock',
    productId: 'P',
    quantity: 1,
    timestamp: event.timestamp,
  };
  assert.equal(anonymise(stock), stock);
});

test('a stored anonymous event decodes; clients cannot send the field', () => {
  assert.deepEqual(decodeEvent(encodeEvent(anonymise(event))), anonymise(event));
  const { rejected } = validateEvents([{ ...anonymise(event), timestamp: new Date().toISOString() }]);
  assert.equal(rejected[0]?.field, 'anonymous');
  assert.equal(decodeEvent(JSON.stringify({ ...anonymise(event), userId: 'x' })), undefined);
});

test('liveStoreEraser removes the live record and the opt-out flag', async () => {
  const live = createMemoryFeatureStore({ keyPrefix: 'recs-live' });
  await live.merge('user', '17850', { actions: 3, hiddenProducts: ['P'] });
  await live.addMembers(PRIVACY_SETS.personalizationOptOut, ['17850', 'other']);
  const eraser = liveStoreEraser(live);
  assert.equal(eraser.name, 'live-store');
  assert.equal(await eraser.erase('17850'), 2);
  assert.equal(await eraser.erase('17850'), 0);
  assert.deepEqual(await live.getMany('user', ['17850']), [null]);
  assert.deepEqual(await live.members(PRIVACY_SETS.personalizationOptOut), ['other']);
});

test('createFieldCacheEraser removes the values, reference sets and key sets of one shopper', async (t) => {
  const { url } = await testRedis();
  const redis = new Redis(url);
  const ns = `fc-${randomBytes(4).toString('hex')}`;
  const user = `u*${ns}`;
  const other = `v-${ns}`;
  const key = (id: string, s: string) => `${ns}.recs~m1:${id}:${s}`;
  // the layout mercurius-cache's Redis storage writes (see async-cache-dedupe storage/redis.js)
  for (const id of [user, other]) {
    for (const s of ['CART', 'HOME']) {
      await redis.set(key(id, s), '{"items":[]}');
      await redis.sadd(`r:user:${id}`, key(id, s));
      await redis.sadd(`k:${key(id, s)}`, `user:${id}`);
    }
  }
  // a value whose reference set expired already
  await redis.set(key(user, 'EMAIL'), '{}');
  t.after(async () => {
    const [, left] = await redis.scan('0', 'MATCH', `*${ns}*`, 'COUNT', 100000);
    if (left.length > 0) await redis.del(...left);
    await redis.quit();
  });
  const eraser = createFieldCacheEraser({
    client: redis,
    layout: {
      references: (id) => [`user:${id}`],
      keyPatterns: (id) => [`${ns}.recs~*:${globEscape(id)}:*`],
    },
  });
  assert.equal(await eraser.erase(user), 3 + 1 + 2, 'three values, the reference set, two key sets');
  const [, left] = await redis.scan('0', 'MATCH', `*${ns}*`, 'COUNT', 100000);
  assert.ok(
    left.every((k) => !k.includes(user)),
    `left: ${left.join(', ')}`,
  );
  assert.equal(left.length, 5, "the other shopper's two values, two key sets and reference set");
  assert.equal(await eraser.erase(user), 0);
});
