import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireFaiss, type FaissModule } from './faissAvailable';
import { readHnswParams, withHnswParams } from './hnswParams';
import { FILES, writeIndexDir, type IndexMeta } from './persistence';
import { assertExclude, assertK, assertMatrix } from './validate';
import type { SearchHit, SearchOptions, VectorIndex } from './VectorIndex';
import { VectorStore } from './VectorStore';

type NativeIndex = InstanceType<FaissModule['Index']>;

/** Structure-specific settings of a faiss index. */
export type FaissIndexParams =
  { type: 'flat' } | { type: 'hnsw'; hnswM: number; efConstruction: number; efSearch: number };

/**
 * Inner-product search through faiss-node: `IndexFlatIP` (exact) or `IndexHNSWFlat` built by the
 * factory string `HNSW<M>,Flat` with METRIC_INNER_PRODUCT (approximate). faiss labels are the row
 * numbers of the shared {@link VectorStore}, which maps them back to string ids.
 */
export class FaissIndex implements VectorIndex {
  readonly kind: 'faiss-flat' | 'faiss-hnsw';

  private constructor(
    private readonly native: NativeIndex,
    private readonly store: VectorStore,
    private readonly params: FaissIndexParams,
  ) {
    this.kind = params.type === 'flat' ? 'faiss-flat' : 'faiss-hnsw';
  }

  /** An empty index; throws a clear error when faiss-node is not built here. */
  static create(dim: number, params: FaissIndexParams): FaissIndex {
    const faiss = requireFaiss();
    let native: NativeIndex;
    if (params.type === 'flat') {
      native = new faiss.IndexFlatIP(dim);
    } else {
      const base = faiss.Index.fromFactory(
        dim,
        `HNSW${params.hnswM},Flat`,
        faiss.MetricType.METRIC_INNER_PRODUCT,
      );
      // efConstruction only matters while adding, so it must be in place before the first add().
      native = faiss.Index.fromBuffer(withHnswParams(base.toBuffer(), params));
    }
    return new FaissIndex(native, new VectorStore(dim), params);
  }

  /** Rebuilds an index saved by {@link FaissIndex.save} from its directory and already read metadata. */
  static async restore(dir: string, meta: IndexMeta, store: VectorStore): Promise<FaissIndex> {
    const faiss = requireFaiss();
    const file = join(dir, FILES.faiss);
    const bytes = await readFile(file);
    const native = faiss.Index.fromBuffer(bytes);
    if (native.ntotal() !== store.size || native.getDimension() !== store.dim) {
      throw new Error(
        `${file} does not match ${FILES.meta}: expected ${store.size} vectors of dimension ${store.dim}; received ${native.ntotal()} of dimension ${native.getDimension()}`,
      );
    }
    const params: FaissIndexParams =
      meta.kind === 'faiss-flat'
        ? { type: 'flat' }
        : // The ef values live in the index itself; reading them back keeps meta.json informational.
          { type: 'hnsw', hnswM: meta.params['hnswM']!, ...readHnswParams(bytes) };
    return new FaissIndex(native, store, params);
  }

  get dim(): number {
    return this.store.dim;
  }

  get size(): number {
    return this.store.size;
  }

  add(ids: string[], vectors: Float32Array): void {
    this.store.validateAppend(ids, vectors);
    if (ids.length === 0) return;
    // faiss-node only accepts plain arrays.
    this.native.add(Array.from(vectors));
    this.store.append(ids, vectors);
  }

  search(query: Float32Array, k: number, opts: SearchOptions = {}): SearchHit[] {
    assertMatrix('query', query, this.dim, 1);
    assertK(k);
    assertExclude(opts.exclude);
    const exclude = opts.exclude && opts.exclude.size > 0 ? opts.exclude : undefined;
    let present = 0;
    if (exclude) for (const id of exclude) if (this.store.row(id) !== undefined) present++;
    // Over-fetch by the number of excluded ids actually indexed, then filter.
    const hits = this.run(query, 1, k + present)[0]!;
    return (exclude ? hits.filter((hit) => !exclude.has(hit.id)) : hits).slice(0, k);
  }

  searchBatch(queries: Float32Array, k: number): SearchHit[][] {
    const nq = assertMatrix('queries', queries, this.dim);
    assertK(k);
    return this.run(queries, nq, k);
  }

  vector(id: string): Float32Array | undefined {
    return this.store.vector(id);
  }

  save(dir: string): Promise<void> {
    const { type: _type, ...params } = this.params;
    return writeIndexDir(dir, this.kind, this.store, params, { [FILES.faiss]: this.native.toBuffer() });
  }

  /** One native search for `nq` queries; faiss-node refuses k > ntotal, so k is clamped. */
  private run(queries: Float32Array, nq: number, k: number): SearchHit[][] {
    const kk = Math.min(k, this.size);
    if (nq === 0) return [];
    if (kk === 0) return Array.from({ length: nq }, () => []);
    const { distances, labels } = this.native.search(Array.from(queries), kk);
    const results: SearchHit[][] = [];
    for (let q = 0; q < nq; q++) {
      const hits: SearchHit[] = [];
      for (let i = q * kk; i < (q + 1) * kk; i++) {
        const label = labels[i]!;
        // HNSW pads with -1 when the graph walk found fewer than k candidates.
        if (label >= 0) hits.push({ id: this.store.ids[label]!, score: distances[i]! });
      }
      results.push(hits);
    }
    return results;
  }
}
