import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryKeyspace, createMemoryFeatureStore, featureKey } from '@recs/feature-store';
import { EventConsumer, createMemoryEventLog, createRedisEventLog } from '../src/index';
import { runEventLogContract, shopper } from './EventLog.contract';

runEventLogContract('memory', async () => {
  const keyspace = new MemoryKeyspace();
  const store = createMemoryFeatureStore({ keyspace, keyPrefix: 'test-live' });
  let log: ReturnType<typeof createMemoryEventLog> | undefined;
  let ttl: number | undefined;
  return {
    openLog: (opts = {}) => {
      if (log && opts.dedupeTtlSeconds !== ttl) throw new Error('one memory log per test');
      ttl = opts.dedupeTtlSeconds;
      log ??= createMemoryEventLog({ dedupeTtlSeconds: opts.dedupeTtlSeconds });
      return log;
    },
    live: { store, keyPrefix: 'test-live' },
    corruptRecord: async (kind, id) =>
      keyspace.set(featureKey('test-live', 1, kind, id), 'not json{', undefined),
  };
});

test('memory: ids follow the injected clock and stay increasing when it stands still', async () => {
  let now = 1_700_000_000_000;
  const log = createMemoryEventLog({ now: () => now });
  const out = await log.append([shopper('a', 'view', 'P'), shopper('b', 'view', 'P')]);
  now += 5;
  const more = await log.append([shopper('c', 'view', 'P')]);
  assert.deepEqual(
    [...out, ...more].map((o) => o.entryId),
    ['1700000000000-0', '1700000000000-1', '1700000000005-0'],
  );
});

test('memory: a closed log refuses work and ends blocked reads', async () => {
  const log = createMemoryEventLog();
  await log.createGroup('g');
  const waiting = log.read('g', 'c', { count: 1, blockMs: 10_000 });
  await log.close();
  assert.deepEqual(await waiting, []);
  await assert.rejects(log.append([shopper('a', 'view', 'P')]), /closed/);
  assert.equal(await log.ping(), false);
});

test('the consumer refuses a log and a live store on different backends', () => {
  const redisLog = createRedisEventLog({ url: 'redis://127.0.0.1:1', onError: () => undefined });
  assert.throws(
    () =>
      new EventConsumer({
        log: redisLog,
        live: { store: createMemoryFeatureStore(), keyPrefix: 'recs-live' },
      }),
    /event log \(redis\) applies to redis; the live store is on memory/,
  );
  return redisLog.close();
});
