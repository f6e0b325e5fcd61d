import type { FastifyInstance } from 'fastify';
import type { Logger } from '@recs/core';
import type { FeatureStore } from '@recs/feature-store';
import { subgraphSdl } from '@recs/schema';
import { buildSubgraphApp } from '@recs/subgraph-kit';
import { createFeatureLoaders, type FeatureLoaders } from './loaders';
import { resolvers } from './resolvers';

export interface FeaturesAppOptions {
  store: FeatureStore;
  gatewaySecret: string;
  logger: Logger;
}

/** Builds the features subgraph from injected dependencies, without listening. */
export function buildFeaturesApp(opts: FeaturesAppOptions): Promise<FastifyInstance> {
  return buildSubgraphApp<FeatureLoaders>({
    name: 'features',
    typeDefs: subgraphSdl('features'),
    resolvers,
    gatewaySecret: opts.gatewaySecret,
    logger: opts.logger,
    loaders: () => createFeatureLoaders(opts.store),
    readiness: async () => ({ featureStore: await opts.store.ping() }),
  });
}
