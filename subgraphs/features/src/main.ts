import { Redis } from 'ioredis';
import { createLogger } from '@recs/core';
import { OutcomeStore } from '@recs/experiments';
import {
  LIVE_KEY_PREFIX,
  createMemoryEventLog,
  createMemoryRateLimiter,
  createRedisEventLog,
  createRedisRateLimiter,
} from '@recs/events';
import { createMemoryFeatureStore, createRedisFeatureStore } from '@recs/feature-store';
import { ModelRegistry, promotedVersion, publishFeatures, type ModelArtefacts } from '@recs/pipeline';
import { serveUntilSignal, startWorkers } from '@recs/subgraph-kit';
import { buildFeaturesApp } from './app';
import { readFeaturesConfig } from './config';
import { driftReferences } from './drift';
import { purgeForgotten } from './privacy';

const config = readFeaturesConfig(process.env);
const log = createLogger('features', config.logLevel);
// Each worker's event consumer joins the same group under its own name (`<hostname>-<pid>`).
await startWorkers(process.env, { log, memoryState: !config.redisUrl });
const store = config.redisUrl
  ? createRedisFeatureStore({ url: config.redisUrl })
  : createMemoryFeatureStore();
// The live namespace the recommendations subgraph reads stock and price from; never written by the pipeline.
const liveStore = config.redisUrl
  ? createRedisFeatureStore({ url: config.redisUrl, keyPrefix: LIVE_KEY_PREFIX })
  : createMemoryFeatureStore({ keyPrefix: LIVE_KEY_PREFIX });
const dedupeTtlSeconds = config.eventDedupeHours * 3600;
const eventLog = config.redisUrl
  ? createRedisEventLog({ url: config.redisUrl, dedupeTtlSeconds })
  : createMemoryEventLog({ dedupeTtlSeconds });
log.info(
  { store: store.kind, eventLog: eventLog.stream, eventConsumer: config.eventConsumer },
  config.redisUrl
    ? 'feature store and event log on Redis'
    : 'REDIS_URL unset: embedded in-memory feature store and event log (events are lost on exit)',
);
const registry = new ModelRegistry(config.registryDir);
const version = await promotedVersion(registry);
const written = await publishFeatures(store, registry, version);
log.info(
  { modelVersion: version, written },
  written ? 'offline features published to the store' : 'store already holds this version',
);
// The training snapshot: the drift monitor's reference, and the shoppers a fresh publish may bring back.
const users = await registry.read<ModelArtefacts['userFeatures']>(version, 'userFeatures');
const products = await registry.read<ModelArtefacts['productFeatures']>(version, 'productFeatures');
if (written) {
  const purged = await purgeForgotten(store, liveStore, Object.keys(users));
  if (purged) log.info({ purged }, 'offline features of forgotten shoppers deleted again');
}
// Buckets shared by every replica on Redis; per process when embedded.
const rateLimiter = config.redisUrl
  ? createRedisRateLimiter({ url: config.redisUrl })
  : createMemoryRateLimiter();
const limit = (l: { perSecond: number; burst: number }) => (l.perSecond > 0 ? l : null);
// The experiments' exposure records and per-shopper counters (forgetUser erases them too).
const outcomes = config.redisUrl
  ? new OutcomeStore(
      new Redis(config.redisUrl, { connectionName: 'recs-features-outcomes', maxRetriesPerRequest: 2 }),
    )
  : undefined;
const app = await buildFeaturesApp({
  store,
  gatewaySecret: config.gatewaySecret,
  logger: log,
  events: {
    log: eventLog,
    live: { store: liveStore, keyPrefix: LIVE_KEY_PREFIX },
    // Every minute, drop entries every consumer group acknowledged that are older than the retention.
    consumer: config.eventConsumer
      ? { trimEveryMs: 60_000, retainMs: config.eventRetentionHours * 3600_000 }
      : false,
    maxBodyBytes: config.eventsMaxBodyBytes,
  },
  privacy: {
    // One line per store that keeps shopper data beyond the built-in ones:
    erasers: outcomes ? [{ name: 'experiment-outcomes', erase: (id) => outcomes.eraseUser(id) }] : [],
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
  drift: { modelVersion: version, references: driftReferences(users, products), window: config.driftWindow },
});
await serveUntilSignal(app, {
  host: config.host,
  port: config.port,
  log,
  onClose: async () => {
    await Promise.all([store.close(), liveStore.close(), rateLimiter.close()]);
  },
});
