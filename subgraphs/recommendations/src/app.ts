import type { FastifyInstance } from 'fastify';
import type Redis from 'ioredis';
import type { Registry } from 'prom-client';
import { EventConsumer, type EventLog, type LiveTarget } from '@recs/events';
import type { Logger } from '@recs/core';
import { subgraphSdl } from '@recs/schema';
import { buildSubgraphApp } from '@recs/subgraph-kit';
import { normaliseUserId } from '@recs/core';
import {
  buildResolvers,
  recommendationsCacheKey,
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
  redis?: Redis;
  cacheTtlSeconds: number;
  /** Registry holding the recommender's metrics (see metrics.ts), served on /metrics. */
  metrics?: Registry;
  /**
   * The event stream: a consumer group of its own (`recommendations-cache`, new events only, no state
   * writes) drops a shopper's cached lists when their cart or purchases change. Absent in embedded mode.
   */
  events?: { log: EventLog; live: LiveTarget };
}

/** Shopper events after which that shopper's cached lists are stale. */
const INVALIDATING = new Set(['add_to_cart', 'remove_from_cart', 'purchase', 'return']);

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
  const app = await buildSubgraphApp<Record<string, never>>({
    name: 'recommendations',
    typeDefs: subgraphSdl('recommendations'),
    resolvers: buildResolvers({
      recommend: (req) => recommender.recommend(req),
      boughtTogether: (productId, limit) => recommender.boughtTogether([productId], limit),
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
                  key: ({
                    self,
                    arg,
                  }: {
                    self: { id: string };
                    arg: Parameters<typeof recommendationsCacheKey>[1];
                  }) => recommendationsCacheKey(self.id, arg, recommender.modelVersion),
                  references: ({ self }: { self: { id: string } }) => [userCacheReference(self.id)],
                },
              },
              Mutation: {
                hideFromRecommendations: invalidateUser,
                unhideFromRecommendations: invalidateUser,
                setVerifiedAdult: invalidateUser,
                recordEmailSend: invalidateUser,
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
            if (event.userId && INVALIDATING.has(event.type)) {
              await app.graphql.cache?.invalidate(userCacheReference(event.userId));
            }
          },
        })
      : undefined;
  if (consumer) {
    app.addHook('onReady', async () => {
      await consumer.start();
    });
  }
  if (events) {
    app.addHook('onClose', async () => {
      // a read blocked on an unreachable Redis ends when the log closes
      if (consumer) {
        await Promise.race([consumer.stop(), new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
      }
      await events.log.close();
    });
  }
  return app;
}

export type { Ctx };
