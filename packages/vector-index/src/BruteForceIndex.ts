import { TopK } from './topK';
import { assertExclude, assertK, assertMatrix } from './validate';
import type { SearchHit, SearchOptions, VectorIndex } from './VectorIndex';
import { VectorStore } from './VectorStore';
import { writeIndexDir } from './persistence';

/**
 * Exact inner-product search in pure TypeScript: a full scan with bounded top-k selection. The
 * embedded default — no native code — and fast enough for catalogues of tens of thousands of items.
 */
export class BruteForceIndex implements VectorIndex {
  readonly kind = 'brute-force';

  constructor(private readonly store: VectorStore) {}

  /** An empty index of dimension `dim`. */
  static create(dim: number): BruteForceIndex {
    return new BruteForceIndex(new VectorStore(dim));
  }

  get dim(): number {
    return this.store.dim;
  }

  get size(): number {
    return this.store.size;
  }

  add(ids: string[], vectors: Float32Array): void {
    this.store.validateAppend(ids, vectors);
    this.store.append(ids, vectors);
  }

  search(query: Float32Array, k: number, opts: SearchOptions = {}): SearchHit[] {
    assertMatrix('query', query, this.dim, 1);
    assertK(k);
    assertExclude(opts.exclude);
    return this.scan(query, 0, k, opts.exclude);
  }

  searchBatch(queries: Float32Array, k: number): SearchHit[][] {
    const nq = assertMatrix('queries', queries, this.dim);
    assertK(k);
    const results: SearchHit[][] = [];
    for (let q = 0; q < nq; q++) results.push(this.scan(queries, q * this.dim, k, undefined));
    return results;
  }

  vector(id: string): Float32Array | undefined {
    return this.store.vector(id);
  }

  save(dir: string): Promise<void> {
    return writeIndexDir(dir, this.kind, this.store, {});
  }

  private scan(
    queries: Float32Array,
    qOffset: number,
    k: number,
    exclude: Set<string> | undefined,
  ): SearchHit[] {
    const { dim, size, ids } = this.store;
    const data = this.store.values;
    const top = new TopK(Math.min(k, size || 1));
    const skip = exclude && exclude.size > 0 ? exclude : undefined;
    for (let row = 0, base = 0; row < size; row++, base += dim) {
      let score = 0;
      for (let j = 0; j < dim; j++) score += queries[qOffset + j]! * data[base + j]!;
      // The exclusion lookup is a string hash, so only pay it for rows that would enter the top k.
      if (score >= top.threshold && !(skip && skip.has(ids[row]!))) top.offer(row, score);
    }
    return top.sorted().map(({ item, score }) => ({ id: ids[item]!, score }));
  }
}
