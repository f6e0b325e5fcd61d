import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { createRedisFeatureStore, featureKey, type FeatureStore } from '@recs/feature-store';
import { startRedis, testRedis, unlinkPrefix } from '@recs/testkit/services';
import { EventConsumer, createRedisEventLog, eventIdKey, streamKey, type RecsEvent } from '../src/index';
import { eventually, expectedState, mixedEvents, runEventLogContract, shopper } from './EventLog.contract';

/** A random key prefix on the shared test server, an admin connection, and SCAN + UNLINK cleanup. */
async function isolated(t: TestContext, url?: string): Promise<{ url: string; admin: Redis; base: string }> {
  const redisUrl = url ?? (await testRedis()).url;
  const base = `evtest-${randomBytes(6).toString('hex')}`;
  const admin = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  t.after(async () => {
    if (admin.status === 'ready') {
      await unlinkPrefix(admin, base);
    }
    admin.disconnect();
  });
  return { url: redisUrl, admin, base };
}

runEventLogContract('redis', async (t) => {
  const { url, admin, base } = await isolated(t);
  const opened: { close(): Promise<void> }[] = [];
  t.after(() => Promise.all(opened.map((o) => o.close())));
  const livePrefix = `${base}-live`;
  const store = createRedisFeatureStore({ url, keyPrefix: livePrefix });
  opened.push(store);
  return {
    openLog: (opts = {}) => {
      const log = createRedisEventLog({ url, keyPrefix: base, dedupeTtlSeconds: opts.dedupeTtlSeconds });
      opened.push(log);
      return log;
    },
    live: { store, keyPrefix: livePrefix },
    corruptRecord: async (kind, id) => {
      await admin.set(featureKey(livePrefix, 1, kind, id), 'not json{');
    },
  };
});

test('redis: the keys are what the README documents; appends never trim', async (t) => {
  const { url, admin, base } = await isolated(t);
  const log = createRedisEventLog({ url, keyPrefix: base });
  t.after(() => log.close());
  const events = Array.from({ length: 1200 }, (_, i) => shopper(`k${i}`, 'view', 'P1'));
  const out = await log.append(events);
  assert.equal(log.stream, `${base}:v1:events`);
  assert.equal(streamKey(base, 1), `${base}:v1:events`);
  assert.equal(await admin.xlen(`${base}:v1:events`), 1200, 'no MAXLEN on XADD');
  const key = eventIdKey(base, 1, 'k7');
  assert.equal(key, `${base}:v1:event-id:k7`);
  assert.equal(await admin.get(key), out[7]!.entryId, 'the id key holds the entry id');
  const ttl = await admin.ttl(key);
  assert.ok(ttl > 7 * 24 * 3600 - 60 && ttl <= 7 * 24 * 3600, `ttl ${ttl}`);
  const [[, fields]] = (await admin.xrange(log.stream, out[0]!.entryId, out[0]!.entryId)) as [
    string,
    string[],
  ][];
  assert.deepEqual(fields, ['event', JSON.stringify(events[0])]);
});

/** Live records written by the apply script are read back by the feature store exactly (values and encoding). */
test('redis: the apply script writes the feature-store encoding', async (t) => {
  const { url, admin, base } = await isolated(t);
  const log = createRedisEventLog({ url, keyPrefix: base });
  const store = createRedisFeatureStore({ url, keyPrefix: `${base}-live` });
  t.after(() => Promise.all([log.close(), store.close()]));
  const events = [
    shopper('1', 'impression', 'P/1'),
    shopper('2', 'impression', 'P/1'),
    shopper('3', 'impression', 'P/1'),
    shopper('4', 'click', 'P/1', 'u"1', { sessionId: 's/1' }),
  ];
  await log.append(events);
  await log.createGroup('g');
  const entries = await log.read('g', 'c', { count: 10 });
  const { effectsOf } = await import('../src/index');
  await log.applyAndAck(
    'g',
    entries.map((e, i) => ({ id: e.id, effects: effectsOf(events[i]!) })),
    { store, keyPrefix: `${base}-live` },
  );
  const [product] = await store.getMany('product', ['P/1']);
  assert.deepEqual(product!.values, { impressions: 3, clicks: 1, ctr: 1 / 3 });
  const raw = JSON.parse((await admin.get(featureKey(`${base}-live`, 1, 'product', 'P/1')))!);
  assert.equal(typeof raw.updatedAt, 'number');
  assert.equal(JSON.parse(raw.values.ctr), 1 / 3, '17 significant digits survive');
  const [user] = await store.getMany('user', ['u"1']);
  assert.deepEqual(user!.values.recentActions, ['click:P/1']);
  assert.equal(user!.values.lastSessionId, 's/1');
});

const CONSUMER_PROCESS = join(import.meta.dirname, 'fixtures', 'consumerProcess.ts');

test('redis: a consumer process killed (SIGKILL) holding a batch; a second consumer reclaims it; counters exact', async (t) => {
  const { url, base } = await isolated(t);
  const livePrefix = `${base}-live`;
  const log = createRedisEventLog({ url, keyPrefix: base });
  const store = createRedisFeatureStore({ url, keyPrefix: livePrefix });
  t.after(() => Promise.all([log.close(), store.close()]));
  const events = mixedEvents(2000, 'k');
  for (let i = 0; i < events.length; i += 500) await log.append(events.slice(i, i + 500));

  // The child applies 3 batches of 100, reads a 4th and then hangs before applying it.
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CONSUMER_PROCESS, url, base, livePrefix, 'doomed', '100', '4'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const holding = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /HOLDING (\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`consumer process exited early (${code}): ${out}`)));
  });
  assert.equal(holding, '100');
  const killed = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await killed;

  const info = (await log.groupInfo('online-state'))!;
  const held = info.consumers.find((c) => c.name === 'doomed')!.pending;
  // The batch it hung on, plus the ones it had read ahead (its pipeline holds up to three).
  assert.ok([100, 200, 300].includes(held), `the dead consumer held its entries; held ${held}`);
  const undelivered = info.lag ?? 0;
  const appliedByChild = (await store.getMany('user', ['U0']))[0] !== null;
  assert.ok(appliedByChild, 'the child applied its first batches before it died');

  const order: RecsEvent[] = [];
  const second = new EventConsumer({
    log,
    live: { store, keyPrefix: livePrefix },
    name: 'rescuer',
    batchSize: 200,
    blockMs: 100,
    claimMinIdleMs: 300,
    claimEveryMs: 50,
    onApplied: (e) => void order.push(e),
  });
  await second.start();
  t.after(() => second.stop());
  await eventually('the rescuer to catch up', () => second.caughtUp());
  await second.stop();
  assert.equal(second.stats.claimed, held);
  assert.equal(second.stats.applied, held + undelivered, 'the claimed entries and those never delivered');
  assert.equal(second.stats.skipped, 0);

  // Product counters do not depend on the order of application: all must be exact.
  for (const [key, want] of expectedState(events)) {
    const [kind, id] = key.split(':') as ['product' | 'user', string];
    if (kind !== 'product') continue;
    assert.deepEqual((await store.getMany(kind, [id]))[0]?.values, want, key);
  }
  const users = [...new Set(events.map((e) => e.userId).filter((u): u is string => u !== undefined))];
  const records = await store.getMany('user', users);
  const actions = records.reduce((n, r) => n + ((r?.values.actions as number) ?? 0), 0);
  assert.equal(actions, events.filter((e) => e.userId && e.type !== 'impression').length);
  assert.equal((await log.groupInfo('online-state'))!.pending, 0);
});

test('redis: with AOF on, accepted events, id keys and pending entries survive a restart and a kill -9', async (t) => {
  const redis = await startRedis({ appendOnly: true });
  t.after(() => redis.stop());
  const log = createRedisEventLog({ url: redis.url, keyPrefix: 'aof', onError: () => undefined });
  t.after(() => log.close());
  const events = Array.from({ length: 1000 }, (_, i) => shopper(`a${i}`, 'view', `P${i % 10}`));
  const accepted = await log.append(events);
  assert.ok(accepted.every((o) => o.status === 'appended'));
  await log.createGroup('g');
  const pending = await log.read('g', 'c', { count: 10 });

  await redis.restart!();
  await eventually('the log to reconnect', () => log.ping());
  assert.equal(await log.length(), 1000);
  const entries = await log.range();
  assert.deepEqual(
    entries.map((e) => e.id),
    accepted.map((o) => o.entryId),
  );
  assert.equal((await log.append([events[3]!]))[0]!.status, 'duplicate', 'the idempotency keys survived');
  assert.equal((await log.groupInfo('g'))!.pending, 10, 'the pending list survived');
  assert.deepEqual(
    (await log.read('g', 'c', { count: 100, ownPending: true })).map((e) => e.id),
    pending.map((e) => e.id),
  );

  // appendfsync always: every write is on disk before Redis answers, so even SIGKILL loses nothing.
  const admin = new Redis(redis.url, { maxRetriesPerRequest: 1, lazyConnect: true });
  await admin.connect();
  await admin.config('SET', 'appendfsync', 'always');
  admin.disconnect();
  const more = await log.append(Array.from({ length: 200 }, (_, i) => shopper(`b${i}`, 'click', 'P1')));
  process.kill(redis.pid, 'SIGKILL');
  await redis.restart!();
  await eventually('the log to reconnect', () => log.ping());
  assert.equal(await log.length(), 1200);
  assert.equal(
    (await log.range(more.at(-1)!.entryId, '+'))[0]?.raw,
    JSON.stringify(shopper('b199', 'click', 'P1')),
  );
});

test('redis: a corrupt live record only dead-letters the entries that touch it, the consumer keeps going', async (t) => {
  const { url, admin, base } = await isolated(t);
  const log = createRedisEventLog({ url, keyPrefix: base });
  const store: FeatureStore = createRedisFeatureStore({ url, keyPrefix: `${base}-live` });
  t.after(() => Promise.all([log.close(), store.close()]));
  await admin.set(featureKey(`${base}-live`, 1, 'product', 'BROKEN'), '[1,2');
  await admin.xadd(log.stream, '*', 'event', '{"not":"an event"}');
  const consumer = new EventConsumer({
    log,
    live: { store, keyPrefix: `${base}-live` },
    name: 'c',
    blockMs: 100,
  });
  await consumer.start();
  t.after(() => consumer.stop());
  await log.append([shopper('1', 'view', 'BROKEN'), shopper('2', 'view', 'FINE')]);
  await eventually('the consumer to catch up', () => consumer.caughtUp());
  assert.equal(consumer.stats.dead, 2);
  assert.equal(consumer.stats.applied, 1);
  const dead = await log.deadLetters();
  assert.deepEqual(
    dead.map((d) => d.reason.replace(base, '<base>')),
    ['not a readable event', 'record <base>-live:v1:feat:product:BROKEN is not a JSON feature record'],
  );
  assert.equal((await store.getMany('product', ['FINE']))[0]?.values.views, 1);
});
