import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import mercurius from 'mercurius';
import mercuriusCache, { type MercuriusCachePolicy } from 'mercurius-cache';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { GraphQLError, parse } from 'graphql';
import type { Cluster, Redis } from 'ioredis';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { ErrorCode, HEADERS, type Logger, type Principal } from '@recs/core';
import { principalFromHeaders, secretMatches } from './principalFromHeaders';
import type { SubgraphContext } from './SubgraphContext';
import { subgraphErrorFormatter } from './errorFormatter';

/** Options of {@link buildSubgraphApp}. Everything is injected: the app reads no environment. */
export interface SubgraphAppOptions<L> {
  /** Prometheus registry for the service's own metrics too; default: a new one. */
  metrics?: Registry;
  /** Service name, used in logs, metrics and health output. */
  name: string;
  /** The subgraph's SDL (federation 2, with its `@link`). */
  typeDefs: string;
  resolvers: GraphQLResolverMap<SubgraphContext<L>>;
  /** Shared secret the gateway sends in `x-recs-gateway-secret`; requests without it are refused. */
  gatewaySecret: string;
  logger: Logger;
  /** Builds the per-request DataLoaders. */
  loaders: (base: { principal: Principal; requestId: string; log: Logger }) => L;
  /**
   * Field caching (mercurius-cache): Redis storage when a client is given, else in-process memory. A
   * cluster client must split keyspace-wide commands per node (`RecsCluster` from `createRedisClient`).
   */
  cache?: { redis?: Redis | Cluster; ttlSeconds: number; policy: MercuriusCachePolicy };
  /** Named readiness checks of the subgraph's backends, reported by `/ready`. */
  readiness?: () => Promise<Record<string, boolean>>;
  /** Maximum query depth a subgraph accepts (the gateway enforces a stricter one). */
  queryDepth?: number;
}

/** Routes served without the gateway's secret: liveness, readiness and Prometheus metrics. */
const PUBLIC_ROUTES: ReadonlySet<string> = new Set(['/health', '/ready', '/metrics']);

/**
 * Builds a Fastify + Mercurius server for a federated subgraph without listening: `/graphql` (only
 * with the gateway's secret), `/health` (liveness), `/ready` (backends) and `/metrics` (Prometheus).
 */
export async function buildSubgraphApp<L>(opts: SubgraphAppOptions<L>): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: opts.logger as FastifyBaseLogger,
    // Request lines are logged once, at the gateway, with the request id.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1_048_576,
  });
  const metrics = opts.metrics ?? new Registry();
  metrics.setDefaultLabels({ service: opts.name });
  collectDefaultMetrics({ register: metrics });
  const requests = new Counter({
    name: 'recs_subgraph_requests_total',
    help: 'GraphQL requests by outcome',
    labelNames: ['outcome'],
    registers: [metrics],
  });
  const cacheEvents = new Counter({
    name: 'recs_cache_events_total',
    help: 'Field cache hits, misses and skips',
    labelNames: ['event', 'field'],
    registers: [metrics],
  });

  const schema = buildSubgraphSchema([{ typeDefs: parse(opts.typeDefs), resolvers: opts.resolvers }]);

  // Deny by default: every route but the probes and the metrics needs the gateway's secret and a
  // verified caller. Decided by the route the router matched, never by the raw URL: the router decodes
  // percent-escapes, so `/%67raphql` reaches `/graphql` while failing a prefix test on the URL.
  app.addHook('onRequest', async (request, reply) => {
    if (PUBLIC_ROUTES.has(request.routeOptions.url ?? '')) return;
    const secret = request.headers[HEADERS.gatewaySecret];
    if (!secretMatches(typeof secret === 'string' ? secret : undefined, opts.gatewaySecret)) {
      requests.inc({ outcome: 'refused' });
      return reply.code(401).send({
        errors: [
          {
            message: 'subgraphs accept requests from the gateway only',
            extensions: { code: ErrorCode.UNAUTHENTICATED },
          },
        ],
      });
    }
    if (!principalFromHeaders(request.headers)) {
      requests.inc({ outcome: 'refused' });
      return reply.code(401).send({
        errors: [
          { message: 'request carries no verified caller', extensions: { code: ErrorCode.UNAUTHENTICATED } },
        ],
      });
    }
    requests.inc({ outcome: 'accepted' });
    return undefined;
  });

  await app.register(mercurius, {
    schema,
    graphiql: false,
    // Compile an operation with graphql-jit from its second use: the gateway sends a handful of
    // operation texts over and over, so nearly every request runs compiled.
    jit: 1,
    queryDepth: opts.queryDepth ?? 12,
    errorFormatter: subgraphErrorFormatter,
    context: (request) => {
      const principal = principalFromHeaders(request.headers)!;
      const rid = request.headers[HEADERS.requestId];
      const requestId = typeof rid === 'string' && /^[\w-]{1,64}$/.test(rid) ? rid : randomUUID();
      const log = opts.logger.child({ requestId });
      const base = { principal, requestId, log };
      return { ...base, loaders: opts.loaders(base) } satisfies SubgraphContext<L>;
    },
  });

  if (opts.cache) {
    const countEvent = (event: string) => (type: string, field: string) =>
      cacheEvents.inc({ event, field: `${type}.${field}` });
    await app.register(mercuriusCache, {
      ttl: opts.cache.ttlSeconds,
      policy: opts.cache.policy,
      storage: opts.cache.redis
        ? {
            type: 'redis',
            options: {
              client: opts.cache.redis,
              invalidation: { invalidate: true, referencesTTL: opts.cache.ttlSeconds },
            },
          }
        : { type: 'memory', options: { size: 10_000, invalidation: true } },
      onHit: countEvent('hit'),
      onMiss: countEvent('miss'),
      onSkip: countEvent('skip'),
      // mercurius-cache reports resolver errors here too; those are answers (e.g. BAD_USER_INPUT), not
      // cache faults, and already reach the client.
      onError: (type: string, field: string, err: unknown) => {
        if (err instanceof GraphQLError) return;
        cacheEvents.inc({ event: 'error', field: `${type}.${field}` });
        opts.logger.warn({ err, field: `${type}.${field}` }, 'cache error; answered without cache');
      },
    });
  }

  app.get('/health', async () => ({ status: 'ok', service: opts.name }));
  app.get('/ready', async (_request, reply) => {
    const checks = opts.readiness ? await opts.readiness() : {};
    const ready = Object.values(checks).every(Boolean);
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not ready', service: opts.name, checks });
  });
  app.get('/metrics', async (_request, reply) =>
    reply.type(metrics.contentType).send(await metrics.metrics()),
  );
  return app;
}
