import type { FastifyInstance } from 'fastify';
import type { Cluster, Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { EventConsumer, type EventLog, type LiveTarget } from '@recs/events';
import type { Logger } from '@recs/core';
import { subgraphSdl } from '@recs/schema';
import { buildSubgraphApp } from '@recs/subgraph-kit';
import { normaliseUserId } from '@recs/core';
import { NO_PLAN, type ServingExperiments, type ServingPlan } from './experiments/ServingExperiments';
import {
  buildResolvers,
  planKey,
  productCacheReference,
  recommendationsCacheKey,
  type RecommendationsDeps,
  userCacheReference,
  type Ctx,
  type HiddenFromRecommendations,
} from './resolvers';
import { PREFERENCE_FIELDS } from './rules/LiveFacts';
import type { Recommender } from './Recommender';

export interface RecommendationsAppOptions {
  recommender: Recommender;
  gatewaySecret: string;
  logger: Logger;
  /** Redis for the field cache; in-process memory cache when absent (embedded mode). */
  redis?: Redis | Cluster;
  cacheTtlSeconds: number;
  /** Registry holding the recommender's metrics (see metrics.ts), served on /metrics. */
  metrics?: Registry;
  /**
   * The event stream: a consumer group of its own (`recommendations-cache`, new events only, no state
   * writes) drops a shopper's cached lists when their cart or purchases change. Absent in embedded mode.
   */
  events?: { log: EventLog; live: LiveTarget };
  /** Experiments served in process; none when absent. */
  experiments?: ServingExperiments;
  /** Recommenders of other model versions that variants name (undefined while one is loading). */
  models?: { get(version: string): Recommender | undefined };
  /** Compute the shared rankings of common anonymous requests once listening (see `Recommender.warmShared`). */
  warmSharedRankings?: boolean;
}

/** The plan without its model version, and without logging the assignments that asked for it. */
function withoutModel(plan: ServingPlan): ServingPlan {
  const { modelVersion: _unavailable, ...config } = plan.config;
  return {
    ...plan,
    config,
    assignments: plan.assignments.map((a) => (a.config.modelVersion ? { ...a, logged: false } : a)),
  };
}

/** Shopper events after which that shopper's cached lists are stale. */
const INVALIDATING = new Set(['add_to_cart', 'remove_from_cart', 'purchase', 'return']);
/** Shopper events after which that shopper's cached HOME lists are stale (the live session moved). */
const SESSION_EVENTS = new Set(['view', 'click']);

/** Builds the recommendations subgraph from injected dependencies, without listening. */
export async function buildRecommendationsApp(opts: RecommendationsAppOptions): Promise<FastifyInstance> {
  const { recommender } = opts;
  const store = recommender.facts.store;
  const hidden = async (userId: string): Promise<HiddenFromRecommendations> => {
    const shopper = await recommender.facts.shopper(userId, undefined);
    return { productIds: [...shopper.hiddenProducts], categories: [...shopper.hiddenCategories] };
  };
  const categories = recommender.facts.categories();
  // Every list cached for a user carries this reference; a change of their preferences drops them all.
  const invalidateUser = {
    invalidate: (_self: unknown, arg: { userId: string }) => [
      userCacheReference(normaliseUserId(arg.userId)),
    ],
  };
  const experiments = opts.experiments;
  const serving: Pick<RecommendationsDeps, 'plan' | 'recommend' | 'logExposure'> = {
    plan: (req) => experiments?.plan(req, !recommender.knowsUser(req.userId)) ?? NO_PLAN,
    recommend: async (req, plan) => {
      const version = plan.config.modelVersion;
      if (version && version !== recommender.modelVersion) {
        const other = opts.models?.get(version);
        if (other) return { ...(await other.recommend(req, plan.config)), plan };
        plan = withoutModel(plan);
      }
      return { ...(await recommender.recommend(req, plan.config)), plan };
    },
    logExposure: (plan, e) =>
      experiments?.logExposure(plan, { ...e, covariate: recommender.preExperimentPurchases(e.userId) }),
  };
  const app = await buildSubgraphApp<Record<string, never>>({
    name: 'recommendations',
    typeDefs: subgraphSdl('recommendations'),
    resolvers: buildResolvers({
      ...serving,
      boughtTogether: (productId, limit) => recommender.boughtTogether([productId], limit),
      boughtTogetherFromModel: (productId, limit) => recommender.boughtTogetherFromModel([productId], limit),
      similar: (productId, limit) => recommender.similar(productId, limit),
      hidden,
      changeHidden: async (userId, change) => {
        const field = change.productId
          ? PREFERENCE_FIELDS.hiddenProducts
          : PREFERENCE_FIELDS.hiddenCategories;
        const value = change.productId ?? change.category!;
        await store.updateSet('user', userId, field, change.hide ? { add: [value] } : { remove: [value] });
        return hidden(userId);
      },
      setVerifiedAdult: (userId, verified) =>
        store.merge('user', userId, { [PREFERENCE_FIELDS.verifiedAdult]: verified }),
      categories: () => categories,
      recordEmailSend: (userId, productIds) => recommender.recordEmailSend(userId, productIds),
      recordPushSend: (userId) => recommender.recordPushSend(userId),
      push: (req) => recommender.push(req),
      contributions: (ranked) => recommender.contributions(ranked),
    }),
    gatewaySecret: opts.gatewaySecret,
    logger: opts.logger,
    metrics: opts.metrics,
    loaders: () => ({}),
    cache:
      opts.cacheTtlSeconds > 0
        ? {
            redis: opts.redis,
            ttlSeconds: opts.cacheTtlSeconds,
            policy: {
              User: {
                recommendations: {
                  // a fallback list (a backend down, slow or shedding) is not stored: once the backend is
                  // back, the shopper's next request gets the full answer, not the degraded one for a TTL
                  ttl: (result?: { fallback?: boolean }) => (result?.fallback ? 0 : opts.cacheTtlSeconds),
                  key: ({
                    self,
                    arg,
                  }: {
                    self: { id: string };
                    arg: Parameters<typeof recommendationsCacheKey>[1];
                  }) =>
                    recommendationsCacheKey(
                      self.id,
                      arg,
                      recommender.modelVersion,
                      planKey(serving, self.id, arg),
                    ),
                  // the shopper, the shopper's surface, and every product in the list (a stock-out drops it)
                  references: (
                    { self, arg }: { self: { id: string }; arg: { surface: string } },
                    _key: string,
                    result?: { items?: { productId: string }[] },
                  ) => [
                    userCacheReference(self.id),
                    userCacheReference(self.id, arg.surface),
                    ...(result?.items ?? []).map((item) => productCacheReference(item.productId)),
                  ],
                },
              },
              Mutation: {
                hideFromRecommendations: invalidateUser,
                unhideFromRecommendations: invalidateUser,
                setVerifiedAdult: invalidateUser,
                recordEmailSend: invalidateUser,
                recordPushSend: invalidateUser,
              },
            },
          }
        : undefined,
    readiness: async () => ({
      model: true,
      ...(opts.redis ? { redis: opts.redis.status === 'ready' } : {}),
    }),
  });
  const events = opts.events;
  const consumer =
    events && opts.cacheTtlSeconds > 0
      ? new EventConsumer({
          log: events.log,
          live: events.live,
          group: 'recommendations-cache',
          startId: '$',
          applyState: false,
          logger: opts.logger.child({ component: 'cache-invalidation' }),
          onApplied: async (event) => {
            if (event.type === 'stock' && event.productId && (event.quantity ?? 1) <= 0) {
              // out of stock: every cached list showing the product
              await app.graphql.cache?.invalidate(productCacheReference(event.productId));
            } else if (event.userId && INVALIDATING.has(event.type)) {
              await app.graphql.cache?.invalidate(userCacheReference(event.userId));
            } else if (event.userId && SESSION_EVENTS.has(event.type)) {
              await app.graphql.cache?.invalidate(userCacheReference(event.userId, 'HOME'));
            }
          },
        })
      : undefined;
  const warming = new AbortController();
  app.addHook('onReady', async () => {
    await experiments?.start();
    await consumer?.start();
    if (opts.warmSharedRankings) {
      const started = Date.now();
      void recommender
        .warmShared({ signal: warming.signal })
        .then((rankings) =>
          opts.logger.info({ rankings, ms: Date.now() - started }, 'shared anonymous rankings warmed'),
        );
    }
  });
  app.addHook('onClose', async () => warming.abort());
  if (experiments) app.addHook('onClose', async () => experiments.stop());
  if (events) {
    app.addHook('onClose', async () => {
      // a read blocked on an unreachable Redis ends when the log closes
      await consumer?.stop(3000);
      await events.log.close();
    });
  }
  return app;
}

export type { Ctx };
