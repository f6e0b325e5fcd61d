import { createLogger } from '@recs/core';
import { createRedisEventLog, liveKeyPrefixFor } from '@recs/events';
import { closeRedisClient, createRedisClient, createRedisFeatureStore } from '@recs/feature-store';
import {
  OutcomeStore,
  createMemoryExperimentStore,
  createRedisExperimentStore,
  loadExperimentsFile,
} from '@recs/experiments';
import { ModelRegistry } from '@recs/pipeline';
import { serveUntilSignal, startWorkers } from '@recs/subgraph-kit';
import { buildExperimentsApp } from './app';
import { readExperimentsConfig } from './config';
import { ExperimentsService } from './ExperimentsService';

const config = readExperimentsConfig(process.env);
const log = createLogger('experiments', config.logLevel);
const role = await startWorkers(process.env, { log, memoryState: !config.redisUrl });
// redis:// (one server) or redis-cluster://h1:p1,h2:p2 (a Redis Cluster: the experiment keys share the
// `{recs-exp}` hash tag, the live records the event log's `{recs}`).
const redis = config.redisUrl
  ? createRedisClient(config.redisUrl, {
      connectionName: 'recs-experiments',
      redis: { maxRetriesPerRequest: 2 },
    })
  : undefined;
const livePrefix = liveKeyPrefixFor(config.redisUrl);
redis?.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
const registry = new ModelRegistry(config.registryDir);
const service = new ExperimentsService(
  redis ? createRedisExperimentStore(redis) : createMemoryExperimentStore(),
  {
    outcomes: redis ? new OutcomeStore(redis) : undefined,
    modelVersions: async () => new Set((await registry.list()).map((m) => m.version)),
    readOnly: redis
      ? undefined
      : 'experiment changes need REDIS_URL: without a shared store the recommendations servers would not see them (embedded mode serves EXPERIMENTS_FILE)',
    log,
  },
);
const imported = await service.importMissing(await loadExperimentsFile(config.experimentsFile));
log.info(
  { store: service.store.kind, imported, experiments: (await service.list()).length },
  redis ? 'experiments on Redis' : 'REDIS_URL unset: in-process experiments (no outcomes, no automation)',
);
const app = await buildExperimentsApp({
  service,
  gatewaySecret: config.gatewaySecret,
  logger: log,
  outcomes:
    redis && config.redisUrl
      ? {
          log: createRedisEventLog({
            url: config.redisUrl,
            onError: (err) => log.warn({ err: err.message }, 'event log connection error'),
          }),
          live: {
            store: createRedisFeatureStore({ client: redis, keyPrefix: livePrefix }),
            keyPrefix: livePrefix,
          },
          store: new OutcomeStore(redis),
        }
      : undefined,
  // one automation timer per server, not per worker
  automationIntervalSeconds: role.lead ? config.automationIntervalSeconds : 0,
});
await serveUntilSignal(app, {
  host: config.host,
  port: config.port,
  log,
  onClose: async () => {
    if (redis) await closeRedisClient(redis);
  },
});
