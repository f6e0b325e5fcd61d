/** Similarity used by every index: inner product (cosine similarity when vectors are L2-normalised). */
export type Metric = 'ip';

/** One search result; higher `score` (inner product) is more similar. */
export interface SearchHit {
  id: string;
  score: number;
}

/** Per-query search options. */
export interface SearchOptions {
  /** Ids that must not appear in the result (e.g. the query item itself, items already bought). */
  exclude?: Set<string>;
}

/**
 * An inner-product nearest-neighbour index over string ids. Implementations are synchronous and
 * append-only; results are ordered by descending score.
 */
export interface VectorIndex {
  /** Backend and structure, e.g. `'faiss-flat'`, `'faiss-hnsw'`, `'brute-force'`. */
  readonly kind: string;
  readonly dim: number;
  /** Number of vectors indexed. */
  readonly size: number;
  /**
   * Adds `ids.length` vectors given row-major in `vectors` (length `ids.length * dim`). The call is
   * atomic: nothing is added when any id is a duplicate or any value is non-finite.
   */
  add(ids: string[], vectors: Float32Array): void;
  /** The `k` best hits for one query (fewer when the index holds fewer vectors). */
  search(query: Float32Array, k: number, opts?: SearchOptions): SearchHit[];
  /** The `k` best hits for each of `queries.length / dim` queries, answered by one backend call. */
  searchBatch(queries: Float32Array, k: number): SearchHit[][];
  /** A copy of the stored vector for `id`, or `undefined` when the id is unknown. */
  vector(id: string): Float32Array | undefined;
  /** Writes the index, id map and metadata into `dir` (created if missing); read back with `loadVectorIndex`. */
  save(dir: string): Promise<void>;
}
