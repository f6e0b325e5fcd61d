import { createLogger } from '@recs/core';
import { LIVE_KEY_PREFIX, createMemoryEventLog, createRedisEventLog } from '@recs/events';
import { createMemoryFeatureStore, createRedisFeatureStore } from '@recs/feature-store';
import { ModelRegistry, promotedVersion, publishFeatures } from '@recs/pipeline';
import { serveUntilSignal } from '@recs/subgraph-kit';
import { buildFeaturesApp } from './app';
import { readFeaturesConfig } from './config';

const config = readFeaturesConfig(process.env);
const log = createLogger('features', config.logLevel);
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
});
await serveUntilSignal(app, {
  host: config.host,
  port: config.port,
  log,
  onClose: async () => {
    await Promise.all([store.close(), liveStore.close()]);
  },
});
