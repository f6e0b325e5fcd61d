export type { Metric, SearchHit, SearchOptions, VectorIndex } from './VectorIndex';
export { createVectorIndex, HNSW_DEFAULTS, type CreateVectorIndexOptions } from './createVectorIndex';
export { loadVectorIndex } from './loadVectorIndex';
export { faissAvailable } from './faissAvailable';
export { BruteForceIndex } from './BruteForceIndex';
export { FaissIndex, type FaissIndexParams } from './FaissIndex';
