/**
 * The engine on a real Redis Cluster: 3 masters started here from the installed redis-server (free
 * ports, temp dir), joined with `redis-cli --cluster create`, stopped by pid at the end (also when a
 * test fails). Runs the feature-store and event-log contracts, the rate limiter, the field cache
 * (mercurius-cache on Redis through buildSubgraphApp), the field-cache eraser and the experiment
 * stores against it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import type { Cluster } from 'ioredis';
import { HEADERS, createLogger } from '@recs/core';
import {
  createRedisEventLog,
  createFieldCacheEraser,
  createRedisRateLimiter,
  CLUSTER_LIVE_KEY_PREFIX,
  liveKeyPrefixFor,
  effectsOf,
} from '@recs/events';
import {
  byNode,
  createRedisClient,
  createRedisFeatureStore,
  featureKey,
  isCluster,
  keySlot,
  masters,
  mgetAny,
  scanAll,
  type FeatureStore,
  type RedisClient,
} from '@recs/feature-store';
import { OutcomeStore, createRedisExperimentStore } from '@recs/experiments';
import { buildSubgraphApp } from '@recs/subgraph-kit';
import { startRedisCluster } from '../src/services';
import { runFeatureStoreContract } from '../../feature-store/test/FeatureStore.contract';
import { runEventLogContract, shopper } from '../../events/test/EventLog.contract';

const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
const clients: { close?: () => Promise<void>; disconnect?: () => void }[] = [];
after(async () => {
  await Promise.all(clients.map(async (c) => (c.close ? c.close() : c.disconnect!())));
  await cluster.stop();
});

const unique = (name: string) => `${name}${randomBytes(4).toString('hex')}`;
function admin(): RedisClient {
  const client = createRedisClient(cluster.url, { redis: { maxRetriesPerRequest: 2 } });
  clients.push(client);
  return client;
}

test('the helper started 3 masters as processes of its own and the cluster serves every slot', async () => {
  assert.equal(cluster.masterPorts.length, 3);
  assert.equal(cluster.replicaPorts.length, 3);
  assert.equal(new Set(cluster.pids).size, 6);
  for (const pid of cluster.pids) assert.ok(pid > 0 && pid !== process.pid);
  const client = admin();
  assert.ok(isCluster(client));
  const info = String(await (client as Cluster).cluster('INFO'));
  assert.match(info, /cluster_state:ok/);
  assert.match(info, /cluster_slots_ok:16384/);
  // the client-side slot function agrees with the server
  for (const key of [
    'recs:v1:feat:user:17850',
    '{recs}:v1:events',
    '{recs}-live:v1:feat:product:85123A',
    'a{}b',
  ]) {
    const server: unknown = await masters(client)[0]!.call('CLUSTER', 'KEYSLOT', key);
    assert.equal(keySlot(key), Number(server), key);
  }
  assert.equal(liveKeyPrefixFor(cluster.url), CLUSTER_LIVE_KEY_PREFIX);
  assert.equal(liveKeyPrefixFor('redis://127.0.0.1:6379'), 'recs-live');
});

runFeatureStoreContract('redis cluster', async (t) => {
  const base = unique('fs');
  const stores: FeatureStore[] = [];
  t.after(() => Promise.all(stores.map((s) => s.close())));
  return {
    open: ({ schemaVersion, namespace } = {}) => {
      const store = createRedisFeatureStore({
        url: cluster.url,
        schemaVersion,
        keyPrefix: `${base}-${namespace ?? 'main'}`,
      });
      stores.push(store);
      return store;
    },
  };
});

test('feature store: records spread over every master; getMany of 1000 ids is one pipeline per node', async () => {
  const base = unique('spread');
  const store = createRedisFeatureStore({ url: cluster.url, keyPrefix: base });
  clients.push(store);
  const ids = Array.from({ length: 1000 }, (_, i) => String(10000 + i));
  await store.setMany(
    'user',
    ids.map((id) => ({ id, values: { n: Number(id) } })),
  );
  const keys = ids.map((id) => featureKey(base, 1, 'user', id));
  const client = admin();
  await (client as Cluster).cluster('INFO'); // connected: the slot map is known
  assert.equal(byNode(client, keys).length, 3, 'keys on all three masters');
  for (const node of masters(client)) assert.ok((await node.dbsize()) > 200, 'each master holds a share');
  const got = await store.getMany('user', [...ids, 'missing']);
  assert.deepEqual(
    got.map((r) => r?.values.n ?? null),
    [...ids.map(Number), null],
  );
  assert.deepEqual(
    (await mgetAny(client, [keys[0]!, 'nope', keys[999]!])).map((v) => v !== null),
    [true, false, true],
  );
  assert.equal(await store.deleteMany('user', ids), 1000);
});

test('feature store: with replicaReads and ?scaleReads=slave the reads go to the replicas', async () => {
  const base = unique('replica');
  const writer = createRedisFeatureStore({ url: cluster.url, keyPrefix: base });
  const reader = createRedisFeatureStore({
    url: `${cluster.url}?scaleReads=slave`,
    keyPrefix: base,
    replicaReads: true,
  });
  clients.push(writer, reader);
  const ids = Array.from({ length: 50 }, (_, i) => `r${i}`);
  await writer.setMany(
    'user',
    ids.map((id) => ({ id, values: { ok: true } })),
  );
  const client = admin() as Cluster;
  await client.cluster('INFO'); // connected: nodes('slave') is known
  assert.equal(client.nodes('slave').length, 3);
  const replicaMgets = async () => {
    let total = 0;
    for (const node of client.nodes('slave')) {
      const stats = String(await node.info('commandstats'));
      total += Number(/cmdstat_mget:calls=(\d+)/.exec(stats)?.[1] ?? 0);
    }
    return total;
  };
  const before = await replicaMgets();
  // replication is asynchronous: read until every record has arrived
  for (let attempt = 0; ; attempt++) {
    const got = await reader.getMany('user', ids);
    if (got.every((r) => r?.values.ok === true)) break;
    assert.ok(attempt < 100, 'replicas caught up');
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok((await replicaMgets()) > before, 'MGETs served by replicas');
});

runEventLogContract('redis cluster', async (t) => {
  const base = unique('ev');
  const livePrefix = `{${base}}-live`;
  const client = admin();
  const opened: { close(): Promise<void> }[] = [];
  t.after(() => Promise.all(opened.map((o) => o.close())));
  const store = createRedisFeatureStore({ url: cluster.url, keyPrefix: livePrefix });
  opened.push(store);
  return {
    openLog: (opts = {}) => {
      // an untagged prefix: the log tags it ({ev…}) on a cluster
      const log = createRedisEventLog({
        url: cluster.url,
        keyPrefix: base,
        dedupeTtlSeconds: opts.dedupeTtlSeconds,
      });
      opened.push(log);
      return log;
    },
    live: { store, keyPrefix: livePrefix },
    corruptRecord: async (kind, id) => {
      await client.set(featureKey(livePrefix, 1, kind, id), 'not json{');
    },
  };
});

test('event log: keys share one slot; dedupe; group read, apply, ack; an untagged live prefix is refused', async () => {
  const base = unique('evk');
  const log = createRedisEventLog({ url: cluster.url, keyPrefix: base });
  const live = createRedisFeatureStore({ url: cluster.url, keyPrefix: `{${base}}-live` });
  clients.push(log, live);
  assert.equal(log.stream, `{${base}}:v1:events`);
  const events = [shopper('e1', 'view', 'P1', 'u1'), shopper('e2', 'add_to_cart', 'P2', 'u2')];
  const first = await log.append(events);
  const again = await log.append(events);
  assert.deepEqual(
    [...first, ...again].map((o) => o.status),
    ['appended', 'appended', 'duplicate', 'duplicate'],
  );
  assert.equal(await log.length(), 2);
  const client = admin();
  assert.equal(keySlot(`{${base}}:v1:event-id:e1`), keySlot(log.stream));
  assert.equal(await client.get(`{${base}}:v1:event-id:e1`), first[0]!.entryId);

  await log.createGroup('g');
  const read = await log.read('g', 'c1', { count: 10 });
  assert.equal(read.length, 2);
  const untagged = { store: live, keyPrefix: `${base}-live` };
  await assert.rejects(
    log.applyAndAck('g', [{ id: read[0]!.id, effects: effectsOf(events[0]!) }], untagged),
    /must share the event stream's hash slot/,
  );
  const outcomes = await log.applyAndAck(
    'g',
    read.map((e, i) => ({ id: e.id, effects: effectsOf(events[i]!) })),
    { store: live, keyPrefix: `{${base}}-live` },
  );
  assert.deepEqual(outcomes, ['applied', 'applied']);
  assert.equal((await log.groupInfo('g'))!.pending, 0);
  const [p1, p2] = await live.getMany('product', ['P1', 'P2']);
  assert.equal(p1!.values.views, 1);
  assert.equal(p2!.values.addToCarts, 1);
  // a blocking read on its own connection (duplicate of the cluster client) wakes on a new append
  const blocked = log.read('g', 'c2', { count: 10, blockMs: 5000 });
  await log.append([shopper('e3', 'view', 'P3', 'u3')]);
  assert.equal((await blocked).length, 1);
  assert.equal(await log.eraseUser('u3'), 2, 'the entry and its event-id key');
});

test('rate limiter: buckets on every node, refused once the burst is spent', async () => {
  const limiter = createRedisRateLimiter({ url: cluster.url, keyPrefix: unique('rl') });
  clients.push(limiter);
  const limit = { perSecond: 1, burst: 3 };
  for (const key of ['k1', 'k2', 'k3', 'k4', 'k5', 'k6']) {
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push((await limiter.take(key, 1, limit)).allowed);
    assert.deepEqual(decisions, [true, true, true, false], key);
  }
});

test('field cache: mercurius-cache on the cluster (buildSubgraphApp), invalidation and the shopper eraser', async () => {
  const client = admin();
  const prefix = unique('hello');
  let calls = 0;
  const secret = 'cluster-test-secret-0123456789';
  const app = await buildSubgraphApp({
    name: 'cluster-test',
    typeDefs: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
      type Query { hello(name: String!): String! }`,
    resolvers: {
      Query: {
        hello: (_: unknown, { name }: { name: string }) => {
          calls++;
          return `hi ${name}`;
        },
      },
    },
    gatewaySecret: secret,
    logger: createLogger('cluster-test', 'silent'),
    loaders: () => ({}),
    cache: {
      redis: client,
      ttlSeconds: 60,
      policy: {
        Query: {
          hello: {
            key: ({ arg }: { arg: { name: string } }) => `${prefix}:${arg.name}`,
            references: ({ arg }: { arg: { name: string } }) => [`user:${prefix}-${arg.name}`],
          },
        },
      } as never,
    },
  });
  clients.push({ close: () => app.close() });
  const ask = async (name: string) => {
    const res = await app.inject({
      method: 'POST',
      url: '/graphql',
      headers: {
        'content-type': 'application/json',
        [HEADERS.gatewaySecret]: secret,
        [HEADERS.principalKind]: 'service',
        [HEADERS.principalRole]: 'service',
      },
      payload: { query: `{ hello(name: ${JSON.stringify(name)}) }` },
    });
    assert.equal(res.statusCode, 200, res.body);
    return (res.json() as { data: { hello: string } }).data.hello;
  };
  const names = Array.from({ length: 30 }, (_, i) => `n${i}`);
  for (const n of names) assert.equal(await ask(n), `hi ${n}`);
  assert.equal(calls, 30);
  // the cache set its values and reference sets with pipelines spanning nodes
  for (const n of names) assert.equal(await ask(n), `hi ${n}`);
  assert.equal(calls, 30, 'all 30 answered from the cache');
  const cached = await scanAll(client, `*${prefix}*`);
  assert.ok(byNode(client, cached).length >= 2, 'cache keys on several masters');

  // reference invalidation (one SMEMBERS pipeline, DELs per node) and the wildcard form (KEYS on every master)
  const cache = (
    app as unknown as { graphql: { cache: { invalidate(r: string | string[]): Promise<unknown> } } }
  ).graphql.cache;
  await cache.invalidate([`user:${prefix}-n0`, `user:${prefix}-n1`]);
  await ask('n0');
  await ask('n1');
  await ask('n2');
  assert.equal(calls, 32);
  await cache.invalidate(`user:${prefix}-*`);
  for (const n of names) await ask(n);
  assert.equal(calls, 62);

  // the shopper eraser of the features subgraph finds the cached answers on every master
  const eraser = createFieldCacheEraser({
    client,
    layout: {
      references: (id) => [`user:${prefix}-${id}`],
      keyPatterns: (id) => [`*${prefix}:${id}*`],
    },
  });
  assert.ok((await eraser.erase('n5')) >= 1);
  await ask('n5');
  assert.equal(calls, 63);
});

test('experiments: the store and the outcome counters live under one hash tag', async () => {
  const client = admin();
  const prefix = unique('exp');
  const store = createRedisExperimentStore(client, prefix);
  assert.equal((await store.list()).experiments.length, 0);
  const outcomes = new OutcomeStore(client, { prefix });
  assert.equal(outcomes.keys.prefix, `{${prefix}}:`);
  const logged = await outcomes.recordExposure({
    requestId: 'r1',
    userId: 'u1',
    assignments: [{ experimentId: 'x', variant: 'a' }],
    segments: ['all'],
    itemCount: 3,
    latencyMs: 5,
    covariate: 0,
  } as never);
  assert.equal(logged, true);
  const result = await outcomes.recordOutcome({
    eventId: 'ev1',
    type: 'click',
    userId: 'u1',
    requestId: 'r1',
    timestamp: new Date().toISOString(),
    productId: 'P1',
  } as never);
  assert.equal(result, 'attributed');
  const counts = await outcomes.counts('x', ['a']);
  assert.equal(counts.get('all')!.get('a')!.clicks, 1);
  assert.ok((await outcomes.eraseUser('u1')) >= 1);
});
