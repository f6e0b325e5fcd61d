import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { testRedis, unlinkPrefix } from '@recs/testkit/services';
import { createRedisFeatureStore, featureKey, listKey, type FeatureStore } from '../src/index';
import { runFeatureStoreContract } from './FeatureStore.contract';

/**
 * A random key prefix on the shared test server, an admin connection, and cleanup (SCAN + UNLINK of
 * the prefix, then closing every store and connection) registered on `t`.
 */
async function isolated(t: TestContext): Promise<{ url: string; admin: Redis; base: string }> {
  const { url } = await testRedis();
  const base = `fstest-${randomBytes(6).toString('hex')}`;
  const admin = new Redis(url, { maxRetriesPerRequest: 1 });
  t.after(async () => {
    await unlinkPrefix(admin, base);
    await admin.quit();
  });
  return { url, admin, base };
}

runFeatureStoreContract('redis', async (t) => {
  const { url, base } = await isolated(t);
  const stores: FeatureStore[] = [];
  t.after(() => Promise.all(stores.map((store) => store.close())));
  return {
    open: ({ schemaVersion, namespace } = {}) => {
      const store = createRedisFeatureStore({
        url,
        schemaVersion,
        keyPrefix: `${base}-${namespace ?? 'main'}`,
      });
      stores.push(store);
      return store;
    },
  };
});

test('redis: getMany is one MGET round trip, whatever the number of ids', async (t) => {
  const { url, base } = await isolated(t);
  const client = new Redis(url);
  t.after(() => client.quit());
  const store = createRedisFeatureStore({ client, keyPrefix: base });
  await store.setMany(
    'product',
    Array.from({ length: 150 }, (_, i) => ({ id: `P${i}`, values: { i } })),
  );

  // MONITOR shows every command the server runs; keep only those from the store's connection.
  const clientAddr = /(?:^|\s)addr=(\S+)/.exec(String(await client.client('INFO')))?.[1];
  assert.ok(clientAddr, 'CLIENT INFO names the connection address');
  // monitor() opens a second connection; both must be closed.
  const monitorParent = new Redis(url);
  const monitor = await monitorParent.monitor();
  t.after(() => {
    monitor.disconnect();
    monitorParent.disconnect();
  });
  const seen: string[][] = [];
  const endMarker = `end-${randomBytes(4).toString('hex')}`;
  const sawEnd = new Promise<void>((resolve) => {
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== clientAddr) return;
      seen.push(args);
      if (args[0]?.toLowerCase() === 'echo' && args[1] === endMarker) resolve();
    });
  });

  const ids = [...Array.from({ length: 150 }, (_, i) => `P${i}`), 'P3', 'missing', 'P3'];
  const records = await store.getMany('product', ids);
  await client.echo(endMarker);
  await sawEnd;

  assert.equal(records.length, ids.length);
  assert.equal(records[150]?.values.i, 3);
  assert.equal(records[151], null);
  assert.deepEqual(records[152], records[150]);
  const commands = seen.slice(0, -1);
  assert.equal(commands.length, 1, `expected one command, saw ${commands.map((c) => c[0]).join(', ')}`);
  assert.deepEqual(commands[0], ['mget', ...ids.map((id) => featureKey(base, 1, 'product', id))]);
});

test('redis: setMany writes in pipelined chunks and they all land', async (t) => {
  const { url, base } = await isolated(t);
  const store = createRedisFeatureStore({ url, keyPrefix: base, chunkSize: 100 });
  t.after(() => store.close());
  const entries = Array.from({ length: 1001 }, (_, i) => ({ id: `U${i}`, values: { i } }));
  await store.setMany('user', entries);
  const records = await store.getMany(
    'user',
    entries.map((entry) => entry.id),
  );
  assert.deepEqual(
    records.map((record) => record?.values.i),
    entries.map((_, i) => i),
  );
  assert.equal(await store.deleteMany('user', [...entries.map((entry) => entry.id), 'U0']), 1001);
});

test('redis: the key schema is what the README documents, and values are JSON', async (t) => {
  const { url, admin, base } = await isolated(t);
  const store = createRedisFeatureStore({
    url,
    keyPrefix: base,
    schemaVersion: 3,
    now: () => 1_700_000_000_000,
  });
  t.after(() => store.close());
  await store.setMany('user', [{ id: '17850', values: { country: 'GB', top: ['85123A'] } }]);
  await store.setList('popular:GB', ['85123A']);

  assert.equal(featureKey(base, 3, 'user', '17850'), `${base}:v3:feat:user:17850`);
  assert.deepEqual(JSON.parse((await admin.get(`${base}:v3:feat:user:17850`))!), {
    updatedAt: 1_700_000_000_000,
    values: { country: '"GB"', top: '["85123A"]' },
  });
  assert.equal(await admin.get(listKey(base, 3, 'popular:GB')), '["85123A"]');
});

test('redis: a corrupt stored value fails with an error naming the key', async (t) => {
  const { url, admin, base } = await isolated(t);
  const store = createRedisFeatureStore({ url, keyPrefix: base });
  t.after(() => store.close());
  const key = featureKey(base, 1, 'user', 'broken');
  const names =
    (problem: RegExp, at = key) =>
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'INTERNAL_SERVER_ERROR');
      assert.ok(err.message.includes(`"${at}"`), err.message);
      assert.match(err.message, problem);
      return true;
    };

  await admin.set(key, 'not json{');
  await assert.rejects(store.getMany('user', ['broken']), names(/not JSON.*received "not json\{"/));
  await assert.rejects(store.merge('user', 'broken', { a: 1 }), names(/merge found no feature record/));

  await admin.set(key, JSON.stringify({ updatedAt: 1, values: { a: '[1,"x"]' } }));
  await assert.rejects(store.getMany('user', ['broken']), names(/feature "a" is not a valid feature value/));

  await admin.set(listKey(base, 1, 'top'), '{"not":"a list"}');
  await assert.rejects(
    store.getList('top'),
    names(/expected a JSON array of strings/, listKey(base, 1, 'top')),
  );
});

test('redis: close() leaves an injected client open, and ping() is false when Redis is unreachable', async (t) => {
  const { url } = await testRedis();
  const client = new Redis(url);
  t.after(() => client.quit());
  await createRedisFeatureStore({ client }).close();
  assert.equal(await client.ping(), 'PONG');

  // Port 1 on loopback is closed, so the connection is refused and retried in the background.
  const errors: Error[] = [];
  const unreachable = createRedisFeatureStore({
    url: 'redis://127.0.0.1:1',
    pingTimeoutMs: 300,
    onError: (err) => errors.push(err),
  });
  t.after(() => unreachable.close());
  assert.equal(await unreachable.ping(), false);
  assert.match(errors.map((err) => err.message).join('\n'), /ECONNREFUSED/);
});
