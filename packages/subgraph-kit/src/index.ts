export { buildSubgraphApp, type SubgraphAppOptions } from './buildSubgraphApp';
export { serveUntilSignal } from './serveUntilSignal';
export { principalFromHeaders, secretMatches } from './principalFromHeaders';
export type { SubgraphContext } from './SubgraphContext';
export { createServingRedis, SERVING_REDIS_OPTIONS } from './servingRedis';
export { readWorkers, startWorkers, type WorkerRole, type WorkersOptions } from './workers';
