import { createLogger } from '@recs/core';
import { MemoryCoPurchaseGraph, Neo4jCoPurchaseGraph, type CoPurchaseGraph } from '@recs/graph';
import { loadBundle, loadPromotedBundle, type ModelBundle } from '@recs/pipeline';
import { OutcomeStore, createRedisExperimentStore, loadExperimentsFile } from '@recs/experiments';
import { ServingExperiments } from './experiments/ServingExperiments';
import { ModelVersions, type LoadedVersion } from './ModelVersions';
import { SERVING_REDIS_OPTIONS, serveUntilSignal, startWorkers } from '@recs/subgraph-kit';
import { buildRecommendationsApp } from './app';
import { readRecommendationsConfig } from './config';
import { Recommender } from './Recommender';
import { LearnedRanker } from './LearnedRanker';
import { graphLabel, syncGraph } from './syncGraph';
import { outageGraphOf } from './outageGraph';
import { createMemoryFeatureStore, createRedisClient, createRedisFeatureStore } from '@recs/feature-store';
import { LiveFacts } from './rules/LiveFacts';
import { loadRuleConfig } from './rules/RuleConfig';
import { createRedisEventLog, liveKeyPrefixFor } from '@recs/events';
import { recommenderMetrics } from './metrics';

const config = readRecommendationsConfig(process.env);
const log = createLogger('recommendations', config.logLevel);
await startWorkers(process.env, { log, memoryState: !config.redisUrl });
const bundle = await loadPromotedBundle(config.registryDir);
log.info({ modelVersion: bundle.version }, 'model loaded');

// redis:// (one server) or redis-cluster://h1:p1,h2:p2 (a Redis Cluster; see docs/scaling.md).
const redis = config.redisUrl
  ? createRedisClient(config.redisUrl, { redis: SERVING_REDIS_OPTIONS })
  : undefined;
redis?.on('error', (err: Error) => log.warn({ err: err.message }, 'redis connection error'));
// On a cluster `{recs}-live`: the event log's hash slot (the consumer applies events to it atomically).
const livePrefix = liveKeyPrefixFor(config.redisUrl);
log.info(
  { cache: redis ? 'redis' : 'memory' },
  redis ? 'field cache on Redis' : 'REDIS_URL unset: embedded in-process cache',
);

const rules = loadRuleConfig(config.rulesFile);
log.info({ rulesVersion: rules.version, promotions: rules.promotions.length }, 'business rules loaded');
// Live product flags and shopper preferences: their own key prefix, never rewritten by the pipeline.
const liveStore = redis
  ? createRedisFeatureStore({ client: redis, keyPrefix: livePrefix })
  : createMemoryFeatureStore({ keyPrefix: livePrefix });
const metrics = recommenderMetrics();

/** Everything one model version serves with: its bundle, co-purchase graph, learned ranker and recommender. */
async function loadVersion(version: string, loaded?: ModelBundle): Promise<LoadedVersion> {
  const bundle = loaded ?? (await loadBundle(config.registryDir, version));
  const graph: CoPurchaseGraph = config.neo4j
    ? new Neo4jCoPurchaseGraph({ ...config.neo4j, label: graphLabel(version) })
    : new MemoryCoPurchaseGraph();
  const started = Date.now();
  const edges = await syncGraph(graph, bundle);
  log.info(
    { modelVersion: version, graph: graph.kind, edges, ms: Date.now() - started },
    edges ? 'co-purchase graph loaded' : 'co-purchase graph already current',
  );
  // Neo4j holds the pairs now: here they only back the graph of an outage, packed off the heap
  const outageGraph = config.neo4j ? await outageGraphOf(bundle) : undefined;
  const learnedStart = Date.now();
  const learned = await LearnedRanker.load(config.registryDir, version, bundle.catalogue);
  log.info(
    { modelVersion: version, ms: Date.now() - learnedStart, learned: Boolean(learned) },
    learned
      ? 'learned CART and HOME ranker loaded'
      : 'model version has no learned ranker (absent, or written in an older format: retrain): graph and popularity only',
  );
  const recentOrders = new Map(bundle.popularity.global.map((p) => [p.productId, p.baskets]));
  const recommender = new Recommender({
    bundle,
    graph,
    outageGraph,
    log,
    graphBudgetMs: config.graphBudgetMs,
    graphMaxInFlight: config.graphMaxInFlight,
    learned,
    learnedBudgetMs: config.learnedBudgetMs,
    facts: new LiveFacts(bundle.catalogue, liveStore, (id) => recentOrders.get(id)),
    factsBudgetMs: config.factsBudgetMs,
    rules,
    onSourceFailure: metrics.onSourceFailure,
    onShed: metrics.onShed,
    onRuleRemoved: metrics.onRuleRemoved,
    onCircuitChange: metrics.onCircuitChange,
    sharedRankingTtlMs: config.sharedRankingSeconds * 1000,
    onSharedRanking: metrics.onSharedRanking,
  });
  return {
    recommender,
    close: async () => {
      await graph.close();
      await learned?.close();
    },
  };
}

log.info(
  { graph: config.neo4j ? 'neo4j' : 'memory' },
  config.neo4j ? 'co-purchase graph on Neo4j' : 'NEO4J_URI unset: embedded in-process graph',
);
const primary = await loadVersion(bundle.version, bundle);
const models = new ModelVersions(loadVersion, log);
// Experiments: the shared store on Redis (polled), else the EXPERIMENTS_FILE set, fixed.
const experiments = new ServingExperiments({
  source: redis ? createRedisExperimentStore(redis) : await loadExperimentsFile(config.experimentsFile),
  outcomes: redis ? new OutcomeStore(redis) : undefined,
  log: log.child({ component: 'experiments' }),
  refreshMs: config.experimentsRefreshMs,
  onExposureError: metrics.onExposureError,
});
const app = await buildRecommendationsApp({
  recommender: primary.recommender,
  experiments,
  models,
  metrics: metrics.registry,
  // with Redis: a consumer group of the event stream drops a shopper's cached lists when their cart changes
  events: config.redisUrl
    ? {
        log: createRedisEventLog({
          url: config.redisUrl,
          onError: (err) => log.warn({ err: err.message }, 'event log connection error'),
        }),
        live: { store: liveStore, keyPrefix: livePrefix },
      }
    : undefined,
  gatewaySecret: config.gatewaySecret,
  logger: log,
  redis,
  cacheTtlSeconds: config.cacheTtlSeconds,
  warmSharedRankings: config.warmSharedRankings,
});
await serveUntilSignal(app, {
  host: config.host,
  port: config.port,
  log,
  onClose: async () => {
    await primary.close();
    await models.close();
    if (redis?.status === 'ready') await redis.quit();
    else redis?.disconnect();
  },
});
