import type { FastifyInstance } from 'fastify';
import type { Logger } from '@recs/core';
import type { Experiment } from '@recs/experiments';
import { subgraphSdl } from '@recs/schema';
import { buildSubgraphApp } from '@recs/subgraph-kit';
import { buildResolvers } from './resolvers';

export interface ExperimentsAppOptions {
  experiments: readonly Experiment[];
  gatewaySecret: string;
  logger: Logger;
}

/** Builds the experiments subgraph from injected dependencies, without listening. */
export function buildExperimentsApp(opts: ExperimentsAppOptions): Promise<FastifyInstance> {
  return buildSubgraphApp<Record<string, never>>({
    name: 'experiments',
    typeDefs: subgraphSdl('experiments'),
    resolvers: buildResolvers(() => opts.experiments),
    gatewaySecret: opts.gatewaySecret,
    logger: opts.logger,
    loaders: () => ({}),
  });
}
