import { createLogger } from '@recs/core';
import { OutcomeStore } from '@recs/experiments';
import {
  createFieldCacheEraser,
  createKafkaEventLog,
  createMemoryEventLog,
  createMemoryRateLimiter,
  createRedisEventLog,
  createRedisRateLimiter,
  liveKeyPrefixFor,
} from '@recs/events';
import {
  closeRedisClient,
  createMemoryFeatureStore,
  createRedisClient,
  createRedisFeatureStore,
} from '@recs/feature-store';
import { ModelRegistry, promotedVersion, publishFeatures, type ModelArtefacts } from '@recs/pipeline';
import { serveUntilSignal, startWorkers } from '@recs/subgraph-kit';
import { buildFeaturesApp } from './app';
import { readFeaturesConfig } from './config';
import { driftReferences } from './drift';
import { RECOMMENDATIONS_CACHE, purgeForgotten } from './privacy';

const config = readFeaturesConfig(process.env);
const log = createLogger('features', config.logLevel);
// Each worker's event consumer joins the same group under its own name (`<hostname>-<pid>`).
await startWorkers(process.env, { log, memoryState: !config.redisUrl });
// REDIS_URL: redis:// (one server) or redis-cluster://h1:p1,h2:p2 (a Redis Cluster). Offline features
// are written in bulk by the pipeline, so their reads may go to replicas (`?scaleReads=slave`).
const store = config.redisUrl
  ? createRedisFeatureStore({ url: config.redisUrl, replicaReads: true })
  : createMemoryFeatureStore();
// The live namespace the recommendations subgraph reads stock and price from; never written by the pipeline.
// On a cluster `{recs}-live`: the event log's hash slot, which the consumer's apply script needs.
const livePrefix = liveKeyPrefixFor(config.redisUrl);
const liveStore = config.redisUrl
  ? createRedisFeatureStore({ url: config.redisUrl, keyPrefix: livePrefix })
  : createMemoryFeatureStore({ keyPrefix: livePrefix });
const dedupeTtlSeconds = config.eventDedupeHours * 3600;
// EVENT_LOG_URL=kafka://h1:9092,h2:9092/<topic>: the events on Kafka; the live state, event-id dedupe
// keys and applied-offset markers stay on REDIS_URL (config.ts requires it).
const kafkaTarget = config.eventLog;
const eventLog =
  kafkaTarget && config.redisUrl
    ? createKafkaEventLog({
        brokers: kafkaTarget.brokers,
        topic: kafkaTarget.topic,
        partitions: kafkaTarget.partitions,
        replicationFactor: kafkaTarget.replicationFactor,
        ...(kafkaTarget.retentionHours ? { retentionMs: kafkaTarget.retentionHours * 3600_000 } : {}),
        redis: { url: config.redisUrl },
        dedupeTtlSeconds,
        onError: (err) => log.warn({ err }, 'kafka event log'),
      })
    : config.redisUrl
      ? createRedisEventLog({ url: config.redisUrl, dedupeTtlSeconds })
      : createMemoryEventLog({ dedupeTtlSeconds });
log.info(
  { store: store.kind, eventLog: eventLog.stream, eventConsumer: config.eventConsumer },
  kafkaTarget
    ? 'feature store on Redis, event log on Kafka'
    : config.redisUrl
      ? 'feature store and event log on Redis'
      : 'REDIS_URL unset: embedded in-memory feature store and event log (events are lost on exit)',
);
// The recommendations' field cache is erased through the event log's Redis connection when the log is
// on Redis (privacy.ts); with the Kafka log it gets its own.
const cacheRedis =
  kafkaTarget && config.redisUrl
    ? createRedisClient(config.redisUrl, { connectionName: 'recs-features-cache-eraser' })
    : undefined;
const registry = new ModelRegistry(config.registryDir);
const version = await promotedVersion(registry);
const written = await publishFeatures(store, registry, version);
log.info(
  { modelVersion: version, written },
  written ? 'offline features published to the store' : 'store already holds this version',
);
// The training snapshot: the drift monitor's reference, and the shoppers a fresh publish may bring back.
// Read in a function so the tables (one object per product and shopper: 1M products hold about 280 MB
// of heap, and every full garbage collection of this server would mark them) are dropped once the
// drift bins are made.
const driftBins = await (async () => {
  const users = await registry.read<ModelArtefacts['userFeatures']>(version, 'userFeatures');
  const products = await registry.read<ModelArtefacts['productFeatures']>(version, 'productFeatures');
  if (written) {
    const purged = await purgeForgotten(store, liveStore, Object.keys(users));
    if (purged) log.info({ purged }, 'offline features of forgotten shoppers deleted again');
  }
  return driftReferences(users, products);
})();
// Buckets shared by every replica on Redis; per process when embedded.
const rateLimiter = config.redisUrl
  ? createRedisRateLimiter({ url: config.redisUrl })
  : createMemoryRateLimiter();
const limit = (l: { perSecond: number; burst: number }) => (l.perSecond > 0 ? l : null);
// The experiments' exposure records and per-shopper counters (forgetUser erases them too).
const outcomes = config.redisUrl
  ? new OutcomeStore(
      createRedisClient(config.redisUrl, {
        connectionName: 'recs-features-outcomes',
        redis: { maxRetriesPerRequest: 2 },
      }),
    )
  : undefined;
const app = await buildFeaturesApp({
  store,
  gatewaySecret: config.gatewaySecret,
  logger: log,
  events: {
    log: eventLog,
    live: { store: liveStore, keyPrefix: livePrefix },
    // Every minute, drop entries every consumer group acknowledged that are older than the retention.
    consumer: config.eventConsumer
      ? { trimEveryMs: 60_000, retainMs: config.eventRetentionHours * 3600_000 }
      : false,
    maxBodyBytes: config.eventsMaxBodyBytes,
  },
  privacy: {
    // One line per store that keeps shopper data beyond the built-in ones:
    erasers: [
      ...(cacheRedis ? [createFieldCacheEraser({ client: cacheRedis, layout: RECOMMENDATIONS_CACHE })] : []),
      ...(outcomes ? [{ name: 'experiment-outcomes', erase: (id: string) => outcomes.eraseUser(id) }] : []),
    ],
    tombstoneFile: config.forgottenUsersFile,
  },
  rateLimits: {
    limiter: rateLimiter,
    service: limit(config.eventsRatePerKey),
    shopper: limit(config.eventsRatePerShopper),
  },
  quality:
    config.eventQuality === 'off'
      ? false
      : {
          mode: config.eventQuality,
          maxUserEventsPerMinute: config.botUserPerMinute,
          maxSessionEventsPerMinute: config.botSessionPerMinute,
          maxQuantity: config.eventMaxQuantity,
        },
  drift: { modelVersion: version, references: driftBins, window: config.driftWindow },
});
await serveUntilSignal(app, {
  host: config.host,
  port: config.port,
  log,
  onClose: async () => {
    await Promise.all([
      store.close(),
      liveStore.close(),
      rateLimiter.close(),
      cacheRedis ? closeRedisClient(cacheRedis) : undefined,
    ]);
  },
});
