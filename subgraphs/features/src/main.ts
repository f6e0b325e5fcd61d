import { createLogger } from '@recs/core';
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
log.info(
  { store: store.kind },
  config.redisUrl ? 'feature store on Redis' : 'REDIS_URL unset: embedded in-memory feature store',
);
const registry = new ModelRegistry(config.registryDir);
const version = await promotedVersion(registry);
const written = await publishFeatures(store, registry, version);
log.info(
  { modelVersion: version, written },
  written ? 'offline features published to the store' : 'store already holds this version',
);
const app = await buildFeaturesApp({ store, gatewaySecret: config.gatewaySecret, logger: log });
await serveUntilSignal(app, { host: config.host, port: config.port, log, onClose: () => store.close() });
