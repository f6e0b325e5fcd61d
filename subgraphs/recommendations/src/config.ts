import { env, type Env } from '@recs/core';
import { DEFAULT_GRAPH_BUDGET_MS, GRAPH_QUERY_BUDGETS } from './Recommender';

export interface RecommendationsConfig {
  host: string;
  port: number;
  gatewaySecret: string;
  redisUrl?: string;
  /**
   * `queryTimeoutMs`: the cart query's transaction time-out, after which Neo4j itself ends it
   * (`GRAPH_QUERY_TIMEOUT_MS`, default 20 graph budgets: when the query's slot is released too).
   */
  neo4j?: { uri: string; user: string; password?: string; queryTimeoutMs: number };
  graphBudgetMs: number;
  /** Most co-purchase graph queries running at once; more carts are answered from the packed pairs. */
  graphMaxInFlight: number;
  learnedBudgetMs: number;
  factsBudgetMs: number;
  /** JSON business rules (see rules/RuleConfig.ts); the defaults when unset. */
  rulesFile?: string;
  /** Experiments when there is no Redis (embedded mode); with Redis they come from the shared store. */
  experimentsFile?: string;
  /** How often the shared experiment set is checked for changes, ms. */
  experimentsRefreshMs: number;
  registryDir: string;
  cacheTtlSeconds: number;
  /** How long a ranking shared by shoppers the model does not know is served (0: not shared). */
  sharedRankingSeconds: number;
  /** Compute the shared rankings of common anonymous requests at start. */
  warmSharedRankings: boolean;
  logLevel: string;
}

/** Parses the recommendations subgraph's environment once, at start-up. */
export function readRecommendationsConfig(e: Env): RecommendationsConfig {
  const graphBudgetMs = env.int(e, 'GRAPH_BUDGET_MS', DEFAULT_GRAPH_BUDGET_MS, 1, 10_000);
  // read (and refused when bad) with or without NEO4J_URI
  const graphQueryTimeoutMs = env.int(
    e,
    'GRAPH_QUERY_TIMEOUT_MS',
    GRAPH_QUERY_BUDGETS * graphBudgetMs,
    1,
    600_000,
  );
  return {
    host: env.str(e, 'HOST', '127.0.0.1'),
    port: env.port(e, 'RECOMMENDATIONS_PORT', 4001),
    gatewaySecret: env.secret(e, 'GATEWAY_SECRET', 16),
    redisUrl: env.redisUrl(e, 'REDIS_URL'),
    neo4j: neo4jConfig(e, graphQueryTimeoutMs),
    graphBudgetMs,
    graphMaxInFlight: env.int(e, 'GRAPH_MAX_IN_FLIGHT', 4, 1, 10_000),
    learnedBudgetMs: env.int(e, 'RANKER_BUDGET_MS', 150, 1, 10_000),
    factsBudgetMs: env.int(e, 'FACTS_BUDGET_MS', 100, 1, 10_000),
    rulesFile: env.optStr(e, 'RULES_FILE'),
    experimentsFile: env.optStr(e, 'EXPERIMENTS_FILE'),
    experimentsRefreshMs: env.int(e, 'EXPERIMENTS_REFRESH_MS', 1000, 100, 600_000),
    registryDir: env.str(e, 'MODEL_REGISTRY_DIR', 'var/models'),
    cacheTtlSeconds: env.int(e, 'RECOMMENDATIONS_CACHE_TTL_SECONDS', 120, 0, 3600),
    sharedRankingSeconds: env.int(e, 'RECOMMENDATIONS_SHARED_RANKING_SECONDS', 60, 0, 3600),
    warmSharedRankings: env.bool(e, 'RECOMMENDATIONS_WARM_SHARED', true),
    logLevel: env.oneOf(e, 'LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error'], 'info'),
  };
}

function neo4jConfig(e: Env, queryTimeoutMs: number): RecommendationsConfig['neo4j'] {
  const uri = env.url(e, 'NEO4J_URI', ['bolt', 'neo4j', 'bolt+s', 'neo4j+s']);
  if (!uri) return undefined;
  return {
    uri,
    user: env.str(e, 'NEO4J_USER', 'neo4j'),
    password: env.optStr(e, 'NEO4J_PASSWORD'),
    queryTimeoutMs,
  };
}
