import type { FastifyInstance } from 'fastify';
import type Redis from 'ioredis';
import type { Logger } from '@recs/core';
import { subgraphSdl } from '@recs/schema';
import { buildSubgraphApp } from '@recs/subgraph-kit';
import { buildResolvers, recommendationsCacheKey, type Ctx } from './resolvers';
import type { Recommender } from './Recommender';

export interface RecommendationsAppOptions {
  recommender: Recommender;
  gatewaySecret: string;
  logger: Logger;
  /** Redis for the field cache; in-process memory cache when absent (embedded mode). */
  redis?: Redis;
  cacheTtlSeconds: number;
}

/** Builds the recommendations subgraph from injected dependencies, without listening. */
export function buildRecommendationsApp(opts: RecommendationsAppOptions): Promise<FastifyInstance> {
  const { recommender } = opts;
  return buildSubgraphApp<Record<string, never>>({
    name: 'recommendations',
    typeDefs: subgraphSdl('recommendations'),
    resolvers: buildResolvers({
      recommend: (req) => recommender.recommend(req),
      boughtTogether: (productId, limit) => recommender.boughtTogether([productId], limit),
      similar: (productId, limit) => recommender.similar(productId, limit),
    }),
    gatewaySecret: opts.gatewaySecret,
    logger: opts.logger,
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
                },
              },
            },
          }
        : undefined,
    readiness: async () => ({
      model: true,
      ...(opts.redis ? { redis: opts.redis.status === 'ready' } : {}),
    }),
  });
}

export type { Ctx };
