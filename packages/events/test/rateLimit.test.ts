import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { testRedis } from '@recs/testkit/services';
import { createMemoryRateLimiter, createRedisRateLimiter, type RateLimiter } from '../src/index';

/** What both limiters do, with a limit slow enough that a test's own run time refills < 1 token. */
function contract(name: string, open: () => Promise<RateLimiter>): void {
  describe(`RateLimiter contract: ${name}`, () => {
    test('a burst passes, then it refuses with the time until the cost is back; keys are independent', async (t) => {
      const limiter = await open();
      t.after(() => limiter.close());
      const limit = { perSecond: 1, burst: 10 };
      const key = `k-${randomBytes(4).toString('hex')}`;
      assert.deepEqual(await limiter.take(key, 6, limit), { allowed: true, remaining: 4, retryAfterMs: 0 });
      assert.deepEqual(await limiter.take(key, 4, limit), { allowed: true, remaining: 0, retryAfterMs: 0 });
      const refused = await limiter.take(key, 3, limit);
      assert.equal(refused.allowed, false);
      assert.equal(refused.remaining, 0);
      assert.ok(
        refused.retryAfterMs > 2900 && refused.retryAfterMs <= 3000,
        `retry after ${refused.retryAfterMs}`,
      );
      assert.equal(
        (await limiter.take(`${key}-other`, 10, limit)).allowed,
        true,
        'another key has its own bucket',
      );
      // a cost above the burst is charged as the burst
      const big = await limiter.take(`${key}-big`, 50, limit);
      assert.deepEqual(big, { allowed: true, remaining: 0, retryAfterMs: 0 });
      await assert.rejects(limiter.take(key, 0, limit), /cost/);
      await assert.rejects(limiter.take(key, 1, { perSecond: 0, burst: 1 }), /perSecond/);
    });

    test('tokens come back at the rate', async (t) => {
      const limiter = await open();
      t.after(() => limiter.close());
      const limit = { perSecond: 100, burst: 5 };
      const key = `r-${randomBytes(4).toString('hex')}`;
      assert.equal((await limiter.take(key, 5, limit)).allowed, true);
      const refused = await limiter.take(key, 5, limit);
      assert.equal(refused.allowed, false);
      assert.ok(refused.retryAfterMs <= 50);
      await delay(refused.retryAfterMs + 20);
      assert.equal((await limiter.take(key, 5, limit)).allowed, true);
    });
  });
}

contract('memory', async () => createMemoryRateLimiter());
contract('redis', async () =>
  createRedisRateLimiter({
    url: (await testRedis()).url,
    keyPrefix: `rltest-${randomBytes(4).toString('hex')}`,
  }),
);

test('memory: the bucket follows the injected clock', async () => {
  let now = 0;
  const limiter = createMemoryRateLimiter({ now: () => now });
  const limit = { perSecond: 2, burst: 4 };
  assert.equal((await limiter.take('a', 4, limit)).allowed, true);
  assert.deepEqual(await limiter.take('a', 1, limit), { allowed: false, remaining: 0, retryAfterMs: 500 });
  now += 500;
  assert.deepEqual(await limiter.take('a', 1, limit), { allowed: true, remaining: 0, retryAfterMs: 0 });
  now += 60_000;
  assert.deepEqual(
    await limiter.take('a', 1, limit),
    { allowed: true, remaining: 3, retryAfterMs: 0 },
    'full again, never more',
  );
});

test('redis: the bucket is one hash under the prefix that expires once full again', async (t) => {
  const { url } = await testRedis();
  const admin = new Redis(url);
  const prefix = `rltest-${randomBytes(4).toString('hex')}`;
  const limiter = createRedisRateLimiter({ client: admin, keyPrefix: prefix });
  t.after(async () => {
    await admin.del(`${prefix}:v1:rate:key:svc`);
    await limiter.close();
    await admin.quit();
  });
  await limiter.take('key:svc', 3, { perSecond: 1, burst: 10 });
  assert.equal(await admin.type(`${prefix}:v1:rate:key:svc`), 'hash');
  const ttl = await admin.pttl(`${prefix}:v1:rate:key:svc`);
  assert.ok(ttl > 3000 && ttl <= 4000, `pttl ${ttl}`);
});
