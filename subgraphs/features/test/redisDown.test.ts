import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { HEADERS, createLogger } from '@recs/core';
import { LIVE_KEY_PREFIX, createRedisEventLog } from '@recs/events';
import { createRedisFeatureStore } from '@recs/feature-store';
import { startRedis } from '@recs/testkit/services';
import { buildFeaturesApp } from '../src/app';

test('with Redis gone, recording fails as BACKEND_UNAVAILABLE and the app still shuts down promptly', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  const quiet = { onError: () => undefined };
  const store = createRedisFeatureStore({ url: redis.url, ...quiet });
  const live = createRedisFeatureStore({ url: redis.url, keyPrefix: LIVE_KEY_PREFIX, ...quiet });
  t.after(() => Promise.all([store.close(), live.close()]));
  const app = await buildFeaturesApp({
    store,
    gatewaySecret: 'test-gateway-secret',
    logger: createLogger('features-test', 'silent'),
    events: {
      log: createRedisEventLog({ url: redis.url, ...quiet }),
      live: { store: live, keyPrefix: LIVE_KEY_PREFIX },
      consumer: { blockMs: 200 },
    },
  });
  await app.ready();
  await delay(300); // the consumer is blocked in XREADGROUP
  process.kill(redis.pid, 'SIGKILL');
  await delay(100);

  const res = await app.inject({
    method: 'POST',
    url: '/events',
    headers: {
      'content-type': 'application/x-ndjson',
      [HEADERS.gatewaySecret]: 'test-gateway-secret',
      [HEADERS.principalKind]: 'service',
      [HEADERS.principalRole]: 'service',
    },
    payload: JSON.stringify({
      eventId: 'down-1',
      type: 'view',
      userId: '1',
      productId: 'P',
      timestamp: new Date().toISOString(),
    }),
  });
  assert.equal(res.statusCode, 503);
  assert.equal(res.json().errors[0].extensions.code, 'BACKEND_UNAVAILABLE');

  const t0 = Date.now();
  await app.close();
  assert.ok(Date.now() - t0 < 6000, `closed in ${Date.now() - t0} ms`);
});
