export type { Metric, SearchHit, SearchOptions, VectorIndex } from './VectorIndex';
export {
  createVectorIndex,
  HNSW_DEFAULTS,
  IVF_DEFAULTS,
  INDEX_TYPES,
  type CreateVectorIndexOptions,
  type IndexType,
} from './createVectorIndex';
export { loadVectorIndex } from './loadVectorIndex';
export { faissAvailable } from './faissAvailable';
export { BruteForceIndex } from './BruteForceIndex';
export { ShardedIndex, mergeTopK, shardOf, SHARDS_FILE } from './ShardedIndex';
export {
  FaissIndex,
  FAISS_KINDS,
  type FaissIndexParams,
  type FaissKind,
  type FaissSearchParams,
} from './FaissIndex';
export {
  chooseIndex,
  ivfLists,
  CALIBRATION,
  type CalibrationPoint,
  type IndexChoice,
  type IndexParams,
  type IndexRequirements,
} from './chooseIndex';
