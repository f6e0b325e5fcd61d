import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { createRedisFeatureStore, featureKey } from '@recs/feature-store';
import { startKafka, type KafkaHandle } from '@recs/testkit/kafka';
import { testRedis, unlinkPrefix } from '@recs/testkit/services';
import {
  EventConsumer,
  createKafkaEventLog,
  effectsOf,
  encodeEvent,
  kafkaKeyOf,
  parseKafkaUrl,
  type RecsEvent,
} from '../src/index';
import { eventually, expectedState, mixedEvents, runEventLogContract, shopper } from './EventLog.contract';

/*
 * Against a real single-node Kafka started here (packages/testkit/src/kafka.ts, jars from
 * scripts/install-kafka.sh). Without the jars every test fails with the install hint: no skip, like the
 * Neo4j and FAISS tests.
 */
let broker: Promise<KafkaHandle> | undefined;
const brokers = async (): Promise<string[]> => (await (broker ??= startKafka())).brokers;
after(async () => {
  const handle = await broker?.catch(() => undefined);
  await handle?.stop();
});

/** A fresh topic and Redis prefix per test, keys removed afterwards. */
async function isolated(t: TestContext) {
  const [kafkaBrokers, { url }] = await Promise.all([brokers(), testRedis()]);
  const base = `kevtest-${randomBytes(6).toString('hex')}`;
  const admin = new Redis(url, { maxRetriesPerRequest: 1 });
  const opened: { close(): Promise<void> }[] = [];
  t.after(async () => {
    await Promise.allSettled(opened.map((o) => o.close()));
    await unlinkPrefix(admin, base);
    admin.disconnect();
  });
  const livePrefix = `${base}-live`;
  const store = createRedisFeatureStore({ url, keyPrefix: livePrefix });
  opened.push(store);
  const openLog = (o: { partitions?: number; dedupeTtlSeconds?: number; skipCommit?: boolean } = {}) => {
    const log = createKafkaEventLog({
      brokers: kafkaBrokers,
      topic: base,
      partitions: o.partitions ?? 1,
      redis: { url },
      keyPrefix: base,
      dedupeTtlSeconds: o.dedupeTtlSeconds,
      sessionTimeoutMs: 6000,
      skipCommit: o.skipCommit,
    });
    opened.push(log);
    return log;
  };
  return {
    url,
    admin,
    base,
    kafkaBrokers,
    livePrefix,
    store,
    live: { store, keyPrefix: livePrefix },
    openLog,
  };
}

/** Contract cases whose semantics Kafka does not have, and where the Kafka behaviour is tested instead. */
const NOT_FOR_KAFKA: Record<string, string> = {
  'a group delivers each entry once, keeps it pending until acknowledged, and re-reads own pending':
    'Kafka assigns partitions, not entries: a consumer joining the group re-reads the uncommitted offsets of the partitions it gets (see "kafka: a joining consumer")',
  'claimIdle takes over only entries idle for longer than minIdleMs':
    'claimIdle returns [] on Kafka: a rebalance moves a dead consumer’s partitions (see "kafka: crash")',
  "eraseUser deletes a shopper's entries, dead letters and idempotency keys, and nothing else":
    'Kafka cannot delete one record (see "kafka: eraseUser")',
  'trim removes only acknowledged entries older than the retention, never pending or undelivered':
    'trim returns 0 on Kafka: the topic’s retention.ms removes old segments',
  'pruneConsumers deletes only idle consumers without pending entries':
    'pruneConsumers returns [] on Kafka: a consumer leaves the group when it disconnects or times out',
  'consumer killed mid-stream: another reclaims its entries and every counter is exact (2,000 events)':
    'relies on claimIdle; the Kafka version is "kafka: crash"',
};

runEventLogContract(
  'kafka',
  async (t) => {
    const { openLog, live, admin, livePrefix } = await isolated(t);
    // One partition: the contract pairs entries with events by position, i.e. expects one total order.
    return {
      openLog: (opts = {}) => openLog({ dedupeTtlSeconds: opts.dedupeTtlSeconds }),
      live,
      corruptRecord: async (kind, id) => {
        await admin.set(featureKey(livePrefix, 1, kind, id), 'not json{');
      },
    };
  },
  { skip: NOT_FOR_KAFKA },
);

describe('kafka event log', () => {
  test('kafka: parseKafkaUrl', () => {
    assert.deepEqual(parseKafkaUrl('kafka://k1:9092,k2:9093/recs-events?partitions=24&replicationFactor=3'), {
      brokers: ['k1:9092', 'k2:9093'],
      topic: 'recs-events',
      partitions: 24,
      replicationFactor: 3,
    });
    assert.throws(() => parseKafkaUrl('kafka://k1/recs'), /host:port/);
    assert.throws(() => parseKafkaUrl('kafka://k1:9092'), /kafka:\/\/host:port/);
    assert.throws(() => parseKafkaUrl('kafka://k1:9092/a b'), /kafka:\/\/host:port|topic/);
    assert.throws(() => parseKafkaUrl('kafka://k1:9092/t?acks=1'), /unknown Kafka URL option/);
  });

  test('kafka: appends are keyed by shopper; two consumers keep each shopper’s order; counters exact', async (t) => {
    const { openLog, live, store } = await isolated(t);
    const producer = openLog({ partitions: 4 });
    const events = mixedEvents(1200, 'o');
    const t0 = Date.now();
    for (let i = 0; i < events.length; i += 300) await producer.append(events.slice(i, i + 300));
    const appendMs = Date.now() - t0;
    const entries = await producer.range();
    assert.equal(entries.length, 1200);
    // Every shopper's events sit in one partition, in append order.
    const partitionOf = new Map<string, string>();
    for (const e of entries) {
      const event = JSON.parse(e.raw!) as RecsEvent;
      const p = e.id.split('-')[0]!;
      const key = kafkaKeyOf(event);
      assert.equal(partitionOf.get(key) ?? p, p, `${key} in one partition`);
      partitionOf.set(key, p);
    }
    assert.ok(new Set(partitionOf.values()).size > 1, 'the keys spread over partitions');

    const seen = new Map<string, string[]>();
    const onApplied = (e: RecsEvent) => {
      const k = kafkaKeyOf(e);
      seen.set(k, [...(seen.get(k) ?? []), e.eventId]);
    };
    const consumers = ['a', 'b'].map(
      (name) =>
        new EventConsumer({
          log: openLog({ partitions: 4 }),
          live,
          name,
          batchSize: 100,
          blockMs: 200,
          onApplied,
        }),
    );
    const t1 = Date.now();
    for (const c of consumers) await c.start();
    t.after(() => Promise.all(consumers.map((c) => c.stop())));
    await eventually(
      'the consumers to catch up',
      async () => {
        const applied = consumers.reduce((n, c) => n + c.stats.applied + c.stats.skipped, 0);
        return applied >= 1200 && (await consumers[0]!.caughtUp());
      },
      60_000,
    );
    const consumeMs = Date.now() - t1;
    t.diagnostic(
      `1200 events over 4 partitions: append ${appendMs} ms, 2 consumers ${consumeMs} ms (incl. group join)`,
    );
    for (const [key, ids] of seen) {
      const want = events.filter((e) => kafkaKeyOf(e) === key).map((e) => e.eventId);
      assert.deepEqual([...new Set(ids)], want, `order of ${key}`);
    }
    assert.equal(
      consumers.reduce((n, c) => n + c.stats.applied, 0),
      1200,
      'each event applied once',
    );
    for (const [k, want] of expectedState(events)) {
      const [kind, id] = k.split(':') as ['product' | 'user', string];
      assert.deepEqual((await store.getMany(kind, [id]))[0]?.values, want, k);
    }
    // The two contract cases skipped for Kafka (NOT_FOR_KAFKA): both are no-ops here, and say so.
    assert.equal(await producer.trim({ retainMs: 0 }), 0, 'trim leaves retention to the topic');
    assert.equal((await producer.range()).length, 1200, 'trim removed nothing');
    assert.deepEqual(await producer.pruneConsumers('recs-events', 0), [], 'no consumer pruned by hand');
  });

  test('kafka: the same eventId from two producers (two processes) is appended once', async (t) => {
    const { openLog } = await isolated(t);
    const [a, b] = [openLog({ partitions: 4 }), openLog({ partitions: 4 })];
    const event = shopper('twice', 'view', 'P1', 'u9');
    const [ra, rb] = await Promise.all([a.append([event]), b.append([event])]);
    const statuses = [ra[0]!.status, rb[0]!.status].sort();
    assert.deepEqual(statuses, ['appended', 'duplicate']);
    assert.equal(await a.length(), 1);
    const again = await b.append([event]);
    assert.equal(again[0]!.status, 'duplicate');
    assert.equal(again[0]!.entryId, (ra[0]!.status === 'appended' ? ra : rb)[0]!.entryId);
  });

  test('kafka: crash after the apply, before the commit: the redelivered entries are skipped, counted once', async (t) => {
    const { openLog, live, store } = await isolated(t);
    const events = Array.from({ length: 50 }, (_, i) => shopper(`c${i}`, 'view', 'CRASH', `u${i % 5}`));
    await openLog({ partitions: 4 }).append(events);
    const first = openLog({ partitions: 4, skipCommit: true });
    await first.createGroup('g');
    const got = await first.read('g', 'doomed', { count: 100 });
    assert.equal(got.length, 50);
    const byId = new Map(got.map((e) => [e.id, JSON.parse(e.raw!) as RecsEvent]));
    const items = got.map((e) => ({ id: e.id, effects: effectsOf(byId.get(e.id)!) }));
    assert.deepEqual(await first.applyAndAck('g', items.slice(0, 30), live), Array(30).fill('applied'));
    // The process dies: its offsets were never committed.
    await first.close();

    const second = openLog({ partitions: 4 });
    const again = await second.read('g', 'rescuer', { count: 100 });
    assert.equal(again.length, 50, 'Kafka redelivers everything after the last commit');
    const outcomes = await second.applyAndAck(
      'g',
      again.map((e) => ({ id: e.id, effects: effectsOf(JSON.parse(e.raw!) as RecsEvent) })),
      live,
    );
    const appliedBefore = new Set(items.slice(0, 30).map((i) => i.id));
    again.forEach((e, i) =>
      assert.equal(outcomes[i], appliedBefore.has(e.id) ? 'skipped' : 'applied', `outcome of ${e.id}`),
    );
    assert.equal((await store.getMany('product', ['CRASH']))[0]?.values.views, 50, 'each view counted once');
    const info = (await second.groupInfo('g'))!;
    assert.deepEqual([info.pending, info.lag], [0, 0], 'committed: nothing left');
    assert.deepEqual(await second.claimIdle('g', 'rescuer', { minIdleMs: 0, count: 10 }), []);
  });

  test('kafka: a joining consumer takes partitions over; the markers keep every count exact', async (t) => {
    const { openLog, live, store } = await isolated(t);
    const events = Array.from({ length: 200 }, (_, i) => shopper(`j${i}`, 'click', 'JOIN', `u${i % 20}`));
    await openLog({ partitions: 4 }).append(events);
    const log = openLog({ partitions: 4 });
    await log.createGroup('g');
    const a = await log.read('g', 'a', { count: 500 });
    await log.applyAndAck(
      'g',
      a.slice(0, 40).map((e) => ({ id: e.id, effects: effectsOf(JSON.parse(e.raw!) as RecsEvent) })),
      live,
    );
    // b joins through another log (another process): it gets some partitions and re-reads them from
    // the last commit; a keeps what it holds. Both apply everything they got.
    const other = openLog({ partitions: 4 });
    const b = await other.read('g', 'b', { count: 500, blockMs: 8000 });
    const outA = await log.applyAndAck(
      'g',
      a.slice(40).map((e) => ({ id: e.id, effects: effectsOf(JSON.parse(e.raw!) as RecsEvent) })),
      live,
    );
    const outB = await other.applyAndAck(
      'g',
      b.map((e) => ({ id: e.id, effects: effectsOf(JSON.parse(e.raw!) as RecsEvent) })),
      live,
    );
    const applied = [...outA, ...outB].filter((o) => o === 'applied').length;
    assert.equal(40 + applied, 200, 'every event applied exactly once across both');
    assert.equal((await store.getMany('product', ['JOIN']))[0]?.values.clicks, 200);
  });

  test('kafka: dead letters go to <topic>.dead-letter with the reason; the consumer keeps going', async (t) => {
    const { openLog, live, store, admin, livePrefix, kafkaBrokers, base } = await isolated(t);
    const log = openLog({ partitions: 2 });
    await admin.set(featureKey(livePrefix, 1, 'product', 'BROKEN'), '[1,2');
    await log.append([shopper('d1', 'view', 'BROKEN', 'ud')]);
    // Something that is not an event, written by another producer.
    const raw = new Kafka({ clientId: 'raw', brokers: kafkaBrokers, logLevel: logLevel.NOTHING }).producer();
    await raw.connect();
    await raw.send({ topic: base, messages: [{ key: 'ud', value: '{"not":"an event"}' }] });
    await raw.disconnect();
    await log.append([shopper('d2', 'view', 'FINE', 'ud')]);
    const consumer = new EventConsumer({ log, live, name: 'c', blockMs: 200 });
    await consumer.start();
    t.after(() => consumer.stop());
    await eventually(
      'the consumer to catch up',
      async () => consumer.stats.applied === 1 && consumer.stats.dead === 2,
      30_000,
    );
    // The consumer dead-letters an unreadable entry before it applies the rest of its batch.
    const dead = (await log.deadLetters()).sort((x, y) => x.reason.localeCompare(y.reason));
    assert.deepEqual(
      dead.map((d) => [d.group, d.reason.replace(base, '<base>'), d.raw]),
      [
        ['online-state', 'not a readable event', '{"not":"an event"}'],
        [
          'online-state',
          'record <base>-live:v1:feat:product:BROKEN is not a JSON feature record',
          encodeEvent(shopper('d1', 'view', 'BROKEN', 'ud')),
        ],
      ],
    );
    assert.ok(
      dead.every((d) => /^\d+-\d+$/.test(d.entryId)),
      'entry ids are partition-offset',
    );
    assert.equal((await store.getMany('product', ['FINE']))[0]?.values.views, 1);
    assert.equal(
      (await store.getMany('user', ['ud']))[0]?.values.actions,
      1,
      'the dead event left the user alone',
    );
  });

  test('kafka: eraseUser drops the shopper’s earlier events at apply time; later ones count', async (t) => {
    const { openLog, live, store } = await isolated(t);
    const log = openLog({ partitions: 4 });
    await log.append([
      shopper('e1', 'view', 'EP', 'gone'),
      shopper('e2', 'view', 'EP', 'kept'),
      shopper('e3', 'purchase', 'EP', 'gone'),
    ]);
    await log.createGroup('g');
    const before = await log.read('g', 'c', { count: 10 });
    assert.equal(await log.eraseUser('gone'), 0, 'nothing is deleted from Kafka');
    await log.append([shopper('e4', 'view', 'EP', 'gone')]);
    const later = await log.read('g', 'c', { count: 10, blockMs: 5000 });
    const all = [...before, ...later];
    const outcomes = await log.applyAndAck(
      'g',
      all.map((e) => ({ id: e.id, effects: effectsOf(JSON.parse(e.raw!) as RecsEvent) })),
      live,
    );
    const byEvent = Object.fromEntries(
      all.map((e, i) => [(JSON.parse(e.raw!) as RecsEvent).eventId, outcomes[i]]),
    );
    assert.deepEqual(byEvent, { e1: 'skipped', e2: 'applied', e3: 'skipped', e4: 'applied' });
    assert.equal((await store.getMany('product', ['EP']))[0]?.values.views, 2);
    assert.equal((await store.getMany('product', ['EP']))[0]?.values.purchases, undefined);
    assert.equal(
      (await store.getMany('user', ['gone']))[0]?.values.actions,
      1,
      'only the event after the erasure',
    );
  });
});
