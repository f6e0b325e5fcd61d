import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '@recs/core';
import { createServingRedis } from '@recs/subgraph-kit';
import {
  OutcomeStore,
  createMemoryExperimentStore,
  createRedisExperimentStore,
  type Experiment,
  type ExperimentStore,
} from '@recs/experiments';
import { createMemoryFeatureStore, createRedisFeatureStore, type FeatureStore } from '@recs/feature-store';
import { Gateway, signUserToken, type GatewayConfig } from '@recs/gateway';
import { ModelRegistry, loadPromotedBundle, promotedVersion, publishFeatures } from '@recs/pipeline';
import { composeSupergraph, readSupergraphConfig } from '@recs/schema';
import { ExperimentsService, buildExperimentsApp } from '@recs/subgraph-experiments';
import { buildFeaturesApp } from '@recs/subgraph-features';
import { createMemoryEventLog, createRedisEventLog } from '@recs/events';
import {
  DEFAULT_GRAPH_BUDGET_MS,
  GRAPH_QUERY_BUDGETS,
  LIVE_KEY_PREFIX,
  ServingExperiments,
  LearnedRanker,
  LiveFacts,
  Recommender,
  recommenderMetrics,
  type RuleConfig,
  buildRecommendationsApp,
  graphLabel,
  outageGraphOf,
  syncGraph,
} from '@recs/subgraph-recommendations';
import { MemoryCoPurchaseGraph, Neo4jCoPurchaseGraph, type CoPurchaseGraph } from '@recs/graph';
import { trainedRegistry } from './trainedRegistry';

export interface StackOptions {
  /** A model registry to serve (its promoted version); default the shared registry of the tests. */
  registryDir?: string;
  /** Real Redis for the feature store and the field cache; embedded defaults when absent. */
  redisUrl?: string;
  /** Real Neo4j for the co-purchase graph; the in-process graph when absent. */
  neo4j?: { uri: string; user: string; password: string };
  /** Replaces the graph (e.g. one that fails, to test fallbacks). */
  graph?: CoPurchaseGraph;
  /** Imported into the stack's experiment store (on Redis under the stack's prefix, else in memory). */
  experiments?: Experiment[];
  /** Seconds between automation rounds of the experiments subgraph; default 0 (off: tests run rounds). */
  automationIntervalSeconds?: number;
  /** Extra subgraphs composed into the supergraph (e.g. a shop's catalogue), served by the caller. */
  extraSubgraphs?: { name: string; url: string; sdl: string }[];
  cacheTtlSeconds?: number;
  /** Time budget of the co-purchase graph per request (the recommendations subgraph's GRAPH_BUDGET_MS). */
  graphBudgetMs?: number;
  /** Most graph queries running at once (the recommendations subgraph's GRAPH_MAX_IN_FLIGHT). */
  graphMaxInFlight?: number;
  /** Serve without the learned ranker (graph and popularity only), e.g. to exercise the graph; default true. */
  learned?: boolean;
  /** Rankings shared by shoppers the model does not know, seconds (default: the production 60; 0 off). */
  sharedRankingSeconds?: number;
  /** Business rules of the recommendations subgraph; its defaults when absent. */
  rules?: RuleConfig;
  gateway?: Partial<GatewayConfig>;
}

export interface Stack {
  gatewayUrl: string;
  subgraphUrls: Record<'recommendations' | 'features' | 'experiments', string>;
  serviceKey: string;
  adminKey: string;
  gatewaySecret: string;
  registryDir: string;
  modelVersion: string;
  /** The live store of product flags (stock, margin, ...) and shopper preferences the rules read. */
  liveStore: FeatureStore;
  /** The recommender the recommendations subgraph serves with. */
  recommender: Recommender;
  /** The experiment set both subgraphs share. */
  experimentStore: ExperimentStore;
  /** Exposure and outcome counters (with Redis only). */
  outcomes?: OutcomeStore;
  /** `User.recommendations` cache events (`hit`, `miss`, ...) so far, from the recommendations subgraph's /metrics. */
  cacheEvents(event: string): Promise<number>;
  /** A shopper's bearer token signed with the stack's secret. */
  userToken(userId: string, ttlSeconds?: number): string;
  /** POSTs a GraphQL operation to the gateway with the given headers. */
  query(
    body: {
      query: string;
      variables?: Record<string, unknown>;
      operationName?: string;
      extensions?: Record<string, unknown>;
    },
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: GraphQLBody }>;
  stop(): Promise<void>;
}

export interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

const secret = (n = 24) => randomBytes(n).toString('hex');

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/graphql`;
}

/**
 * The whole federated API in this process, as production wires it: the three subgraphs (each on
 * its own port) and the gateway over a supergraph composed from rover.yaml, with a model trained on
 * the bundled data. Every secret is fresh. `stop()` closes everything it opened.
 */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const registryDir = opts.registryDir ?? (await trainedRegistry());
  const bundle = await loadPromotedBundle(registryDir);
  const log = createLogger('test-stack', 'warn');
  const gatewaySecret = secret();
  const serviceKey = secret();
  const adminKey = secret();
  const jwtSecret = secret(32);
  const redis = opts.redisUrl
    ? createServingRedis(opts.redisUrl, (err) => log.debug({ err: err.message }, 'redis connection error'))
    : undefined;
  const keyPrefix = `test-${secret(4)}`;
  const store: FeatureStore = opts.redisUrl
    ? createRedisFeatureStore({ url: opts.redisUrl, keyPrefix })
    : createMemoryFeatureStore();
  await publishFeatures(
    store,
    new ModelRegistry(registryDir),
    await promotedVersion(new ModelRegistry(registryDir)),
  );

  const graph: CoPurchaseGraph =
    opts.graph ??
    (opts.neo4j
      ? new Neo4jCoPurchaseGraph({
          ...opts.neo4j,
          label: graphLabel(bundle.version),
          // as the server: the query's time-out is GRAPH_QUERY_BUDGETS graph budgets (GRAPH_QUERY_TIMEOUT_MS)
          queryTimeoutMs: GRAPH_QUERY_BUDGETS * (opts.graphBudgetMs ?? DEFAULT_GRAPH_BUDGET_MS),
        })
      : new MemoryCoPurchaseGraph());
  if (!opts.graph) await syncGraph(graph, bundle);
  // as the server (main.ts): with Neo4j loaded, the pairs stay only packed, in the outage graph
  const outageGraph = !opts.graph && opts.neo4j ? await outageGraphOf(bundle) : undefined;
  const learned =
    opts.learned === false
      ? undefined
      : await LearnedRanker.load(registryDir, bundle.version, bundle.catalogue);
  const liveStore: FeatureStore = redis
    ? createRedisFeatureStore({ client: redis, keyPrefix: `${keyPrefix}-${LIVE_KEY_PREFIX}` })
    : createMemoryFeatureStore({ keyPrefix: LIVE_KEY_PREFIX });
  const recent = new Map(bundle.popularity.global.map((p) => [p.productId, p.baskets]));
  const metrics = recommenderMetrics();
  // experiments: one store both subgraphs share (the recommendations poll it every 100 ms)
  const expPrefix = `${keyPrefix}-recs-exp`;
  const experimentStore = redis
    ? createRedisExperimentStore(redis, expPrefix)
    : createMemoryExperimentStore();
  const outcomes = redis ? new OutcomeStore(redis, { prefix: expPrefix }) : undefined;
  const experimentsService = new ExperimentsService(experimentStore, {
    outcomes,
    modelVersions: async () => new Set((await new ModelRegistry(registryDir).list()).map((m) => m.version)),
    log,
  });
  await experimentsService.importMissing(opts.experiments ?? []);
  const recommender = new Recommender({
    bundle,
    graph,
    outageGraph,
    log,
    learned,
    facts: new LiveFacts(bundle.catalogue, liveStore, (id) => recent.get(id)),
    rules: opts.rules,
    graphBudgetMs: opts.graphBudgetMs,
    graphMaxInFlight: opts.graphMaxInFlight,
    ...(opts.sharedRankingSeconds !== undefined
      ? { sharedRankingTtlMs: opts.sharedRankingSeconds * 1000 }
      : {}),
    onSourceFailure: metrics.onSourceFailure,
    onShed: metrics.onShed,
    onRuleRemoved: metrics.onRuleRemoved,
    onCircuitChange: metrics.onCircuitChange,
  });
  const apps = await Promise.all([
    buildRecommendationsApp({
      recommender,
      metrics: metrics.registry,
      experiments: new ServingExperiments({ source: experimentStore, outcomes, log, refreshMs: 100 }),
      // the cache-invalidating consumer group, on its own connection to the stack's stream
      events: opts.redisUrl
        ? {
            log: createRedisEventLog({ url: opts.redisUrl, keyPrefix }),
            live: { store: liveStore, keyPrefix: `${keyPrefix}-${LIVE_KEY_PREFIX}` },
          }
        : undefined,
      gatewaySecret,
      logger: log,
      redis,
      cacheTtlSeconds: opts.cacheTtlSeconds ?? 30,
    }),
    buildFeaturesApp({
      store,
      gatewaySecret,
      logger: log,
      // Events on the stack's Redis under its own prefix (or in memory); the in-process consumer
      // writes the live store the recommendations read.
      events: {
        log: opts.redisUrl ? createRedisEventLog({ url: opts.redisUrl, keyPrefix }) : createMemoryEventLog(),
        live: { store: liveStore, keyPrefix: redis ? `${keyPrefix}-${LIVE_KEY_PREFIX}` : LIVE_KEY_PREFIX },
      },
      privacy: {
        erasers: outcomes ? [{ name: 'experiment-outcomes', erase: (id) => outcomes.eraseUser(id) }] : [],
      },
    }),
    buildExperimentsApp({
      service: experimentsService,
      gatewaySecret,
      logger: log,
      outcomes:
        opts.redisUrl && outcomes
          ? {
              log: createRedisEventLog({ url: opts.redisUrl, keyPrefix }),
              live: { store: liveStore, keyPrefix: `${keyPrefix}-${LIVE_KEY_PREFIX}` },
              store: outcomes,
            }
          : undefined,
      automationIntervalSeconds: opts.automationIntervalSeconds ?? 0,
    }),
  ]);
  const [recUrl, featUrl, expUrl] = await Promise.all(apps.map(listen));
  const subgraphUrls = { recommendations: recUrl!, features: featUrl!, experiments: expUrl! };
  const supergraphSdl = composeSupergraph(readSupergraphConfig(), opts.extraSubgraphs ?? []).supergraphSdl;
  const config: GatewayConfig = {
    host: '127.0.0.1',
    port: 0,
    mode: 'production',
    gatewaySecret,
    apiKeys: [
      { name: 'test-service', role: 'service', key: serviceKey },
      { name: 'test-admin', role: 'admin', key: adminKey },
    ],
    jwtSecret,
    subgraphUrls,
    limits: { maxDepth: 10, maxAliases: 30, maxDocumentBytes: 20_000, maxBodyBytes: 1_000_000 },
    corsOrigins: ['https://studio.apollographql.com'],
    subgraphTimeoutMs: 2_000,
    logLevel: 'warn',
    ...opts.gateway,
  };
  const gateway = new Gateway({ config, supergraphSdl, logger: log });
  const gatewayUrl = await gateway.start();
  return {
    gatewayUrl,
    subgraphUrls,
    serviceKey,
    adminKey,
    gatewaySecret,
    registryDir,
    modelVersion: bundle.version,
    liveStore,
    recommender,
    experimentStore,
    outcomes,
    cacheEvents: async (event) => {
      const text = await (await fetch(recUrl!.replace('/graphql', '/metrics'))).text();
      const line = text
        .split('\n')
        .find(
          (l) =>
            l.startsWith('recs_cache_events_total{') &&
            l.includes(`event="${event}"`) &&
            l.includes('User.recommendations'),
        );
      return line ? Number(line.split(' ').at(-1)) : 0;
    },
    userToken: (userId, ttl) => signUserToken(jwtSecret, userId, ttl),
    async query(body, headers = { 'x-api-key': serviceKey }) {
      const res = await fetch(gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as GraphQLBody };
    },
    async stop() {
      await gateway.stop(2_000);
      await Promise.all(apps.map((a) => a.close()));
      await store.close();
      if (!opts.graph) await graph.close();
      await learned?.close();
      if (redis?.status === 'ready') await redis.quit();
      else redis?.disconnect();
    },
  };
}
