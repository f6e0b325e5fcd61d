export type {
  EntityKind,
  FeatureRecord,
  FeatureStore,
  FeatureValue,
  SetChange,
  SetManyOptions,
} from './FeatureStore';
export { featureKey, listKey, setKey, DEFAULT_KEY_PREFIX, DEFAULT_SCHEMA_VERSION } from './keySchema';
export { createRedisFeatureStore, type RedisFeatureStoreOptions } from './createRedisFeatureStore';
export { createMemoryFeatureStore, type MemoryFeatureStoreOptions } from './createMemoryFeatureStore';
export { MemoryKeyspace } from './MemoryKeyspace';
export { featureStoreEraser } from './eraser';
export {
  DriftMonitor,
  driftReference,
  driftStatus,
  binOf,
  psi,
  type DriftReference,
  type DriftStatus,
  type FeatureDriftReport,
} from './drift';
export {
  createRedisClient,
  isCluster,
  keySlot,
  hashTagOf,
  byNode,
  bySlot,
  mgetAny,
  delAny,
  execAny,
  scanAll,
  masters,
  closeRedisClient,
  describeRedisUrl,
  RecsCluster,
  type RedisClient,
  type RedisClientOptions,
  type RedisCommand,
} from './redisClient';
