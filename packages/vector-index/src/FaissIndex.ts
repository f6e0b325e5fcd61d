import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireFaiss, type FaissModule } from './faissAvailable';
import { readHnswParams, withHnswParams } from './hnswParams';
import { readIvfParams, withIvfNprobe } from './ivfParams';
import { FILES, writeIndexDir, type IndexMeta } from './persistence';
import { assertExclude, assertInteger, assertK, assertMatrix } from './validate';
import type { SearchHit, SearchOptions, VectorIndex } from './VectorIndex';
import { VectorStore } from './VectorStore';

type NativeIndex = InstanceType<FaissModule['Index']>;

/** Structure-specific settings of a faiss index. */
export type FaissIndexParams =
  | { type: 'flat' }
  | { type: 'hnsw'; hnswM: number; efConstruction: number; efSearch: number }
  | { type: 'ivf-flat'; nlist: number; nprobe: number }
  | {
      type: 'ivf-pq';
      nlist: number;
      nprobe: number;
      pqM: number;
      /** Bits per sub-quantizer code: 8 (default, `PQ<m>`) or 4 (SIMD fast scan, `PQ<m>x4fs`). */
      pqBits?: number;
      /** Re-rank the best `refine × k` PQ candidates by their exact scores (1 = off, the default). */
      refine?: number;
    }
  | {
      type: 'ivf-sq8';
      nlist: number;
      nprobe: number;
      /** Re-rank the best `refine × k` candidates by their exact scores (1 = off, the default). */
      refine?: number;
    };

/** The index kinds faiss builds, as recorded in meta.json. */
export const FAISS_KINDS = [
  'faiss-flat',
  'faiss-hnsw',
  'faiss-ivf-flat',
  'faiss-ivf-pq',
  'faiss-ivf-sq8',
] as const;
export type FaissKind = (typeof FAISS_KINDS)[number];

/** Search-time settings that can be changed on a built index without rebuilding it. */
export interface FaissSearchParams {
  /** HNSW only. */
  efSearch?: number;
  /** IVF only. */
  nprobe?: number;
  /** IVF-PQ and IVF-SQ8 only: exact re-ranking of `refine × k` candidates. */
  refine?: number;
}

/** Vectors per native add() call: faiss-node copies every batch into a plain JS array first. */
const ADD_BATCH_ROWS = 65_536;
/** Product quantizers have 256 centroids per sub-vector (8-bit codes): fewer training rows fail. */
const PQ_CENTROIDS = 256;
/** faiss's k-means samples at most this many training points per centroid. */
const MAX_POINTS_PER_CENTROID = 256;

/**
 * Inner-product search through faiss-node, with METRIC_INNER_PRODUCT throughout: `IndexFlatIP`
 * (exact), `HNSW<M>,Flat` (graph), `IVF<nlist>,Flat`, `IVF<nlist>,PQ<m>` / `PQ<m>x4fs` and
 * `IVF<nlist>,SQ8` (inverted lists over raw, product-quantised (8-bit, or 4-bit fast-scan) or 8-bit
 * scalar-quantised vectors). faiss labels are the row numbers of the shared {@link VectorStore},
 * which maps them back to string ids. IVF indexes train their coarse quantizer (and PQ codebooks) on
 * the first add(), which must therefore hold at least `nlist` (IVF-PQ: also 256) vectors; add the
 * whole catalogue at once for a good quantizer.
 */
export class FaissIndex implements VectorIndex {
  readonly kind: FaissKind;

  private constructor(
    private readonly native: NativeIndex,
    private readonly store: VectorStore,
    private readonly params: FaissIndexParams,
    /** IVF k-means sample: rows per list (faiss itself uses at most 256); only the first add() uses it. */
    private readonly trainPointsPerList = MAX_POINTS_PER_CENTROID,
  ) {
    this.kind = `faiss-${params.type}`;
  }

  /** An empty index; throws a clear error when faiss-node is not built here. */
  static create(
    dim: number,
    params: FaissIndexParams,
    build: { trainPointsPerList?: number } = {},
  ): FaissIndex {
    const faiss = requireFaiss();
    if (params.type === 'flat')
      return new FaissIndex(new faiss.IndexFlatIP(dim), new VectorStore(dim), params);
    const base = faiss.Index.fromFactory(dim, factoryString(params), faiss.MetricType.METRIC_INNER_PRODUCT);
    // efConstruction only matters while adding, so it must be in place before the first add().
    const buf =
      params.type === 'hnsw'
        ? withHnswParams(base.toBuffer(), params)
        : withIvfNprobe(base.toBuffer(), params.nprobe);
    return new FaissIndex(
      faiss.Index.fromBuffer(buf),
      new VectorStore(dim),
      params,
      build.trainPointsPerList,
    );
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
    // Search settings live in the index itself; reading them back keeps meta.json informational.
    let params: FaissIndexParams;
    switch (meta.kind as FaissKind) {
      case 'faiss-flat':
        params = { type: 'flat' };
        break;
      case 'faiss-hnsw':
        params = { type: 'hnsw', hnswM: meta.params['hnswM']!, ...readHnswParams(bytes) };
        break;
      case 'faiss-ivf-flat':
        params = { type: 'ivf-flat', ...readIvfParams(bytes) };
        break;
      case 'faiss-ivf-pq':
        params = {
          type: 'ivf-pq',
          pqM: meta.params['pqM']!,
          ...readIvfParams(bytes),
          ...(meta.params['pqBits'] ? { pqBits: meta.params['pqBits'] } : {}),
          ...(meta.params['refine'] ? { refine: meta.params['refine'] } : {}),
        };
        break;
      case 'faiss-ivf-sq8':
        params = {
          type: 'ivf-sq8',
          ...readIvfParams(bytes),
          ...(meta.params['refine'] ? { refine: meta.params['refine'] } : {}),
        };
        break;
      default:
        throw new Error(`${dir}: ${JSON.stringify(meta.kind)} is not a faiss index kind`);
    }
    return new FaissIndex(native, store, params);
  }

  /** The structure and settings of this index (as saved in meta.json). */
  get settings(): FaissIndexParams {
    return { ...this.params };
  }

  /**
   * The same index with other search-time settings (HNSW efSearch, IVF nprobe), sharing this one's
   * vectors and id map: a copy of the native index is rewritten, nothing is rebuilt. Do not add to
   * both afterwards.
   */
  withSearchParams(change: FaissSearchParams): FaissIndex {
    const p = this.params;
    const { efSearch, nprobe, refine } = change;
    let params: FaissIndexParams | undefined;
    const probe = () => assertInteger('nprobe', nprobe, 1, (p as { nlist: number }).nlist);
    if (p.type === 'hnsw' && efSearch !== undefined && nprobe === undefined && refine === undefined) {
      params = { ...p, efSearch: assertInteger('efSearch', efSearch, 1, 1 << 20) };
    } else if (
      p.type === 'ivf-flat' &&
      nprobe !== undefined &&
      efSearch === undefined &&
      refine === undefined
    ) {
      params = { ...p, nprobe: probe() };
    } else if (
      (p.type === 'ivf-pq' || p.type === 'ivf-sq8') &&
      efSearch === undefined &&
      (nprobe ?? refine) !== undefined
    ) {
      params = {
        ...p,
        ...(nprobe !== undefined ? { nprobe: probe() } : {}),
        ...(refine !== undefined ? { refine: assertInteger('refine', refine, 1, 1024) } : {}),
      };
    }
    if (!params) {
      throw new RangeError(
        `${this.kind} has no search setting ${JSON.stringify(change)}: efSearch is for faiss-hnsw, nprobe for faiss-ivf-*, refine for faiss-ivf-pq and faiss-ivf-sq8`,
      );
    }
    // Re-ranking happens here, not in faiss: a new refine alone shares the native index.
    if (nprobe === undefined && efSearch === undefined)
      return new FaissIndex(this.native, this.store, params);
    const bytes = this.native.toBuffer();
    const native = requireFaiss().Index.fromBuffer(
      params.type === 'hnsw' ? withHnswParams(bytes, params) : withIvfNprobe(bytes, nprobe!),
    );
    return new FaissIndex(native, this.store, params);
  }

  /** Bytes of the native index as faiss serialises it: about its memory, without the id map and vector copy. */
  serialisedBytes(): number {
    return this.native.toBuffer().length;
  }

  get dim(): number {
    return this.store.dim;
  }

  get size(): number {
    return this.store.size;
  }

  add(ids: string[], vectors: Float32Array): void {
    const rows = this.store.validateAppend(ids, vectors);
    if (rows === 0) return;
    if (!this.native.isTrained()) this.train(vectors, rows);
    // faiss-node only accepts plain arrays; converting in slices bounds the extra memory.
    const step = ADD_BATCH_ROWS * this.dim;
    for (let at = 0; at < vectors.length; at += step) {
      this.native.add(Array.from(vectors.subarray(at, at + step)));
    }
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

  /** Trains an IVF index on (an evenly strided sample of) its first batch; refuses too small a batch. */
  private train(vectors: Float32Array, rows: number): void {
    const p = this.params;
    if (p.type !== 'ivf-flat' && p.type !== 'ivf-pq' && p.type !== 'ivf-sq8') return;
    const needed = p.type === 'ivf-pq' ? Math.max(p.nlist, PQ_CENTROIDS) : p.nlist;
    if (rows < needed) {
      throw new RangeError(
        `${this.kind} trains on its first add(), which needs at least ${needed} vectors (nlist ${p.nlist}${p.type === 'ivf-pq' ? ', 256 PQ centroids' : ''}); received ${rows}`,
      );
    }
    // faiss samples at most 256 points per centroid itself; sampling here saves copying the rest
    // (fewer per list train faster: k-means costs sample x nlist per iteration).
    const perList = Math.min(this.trainPointsPerList, MAX_POINTS_PER_CENTROID);
    const limit = Math.max(
      perList * p.nlist,
      p.type === 'ivf-pq' ? MAX_POINTS_PER_CENTROID * PQ_CENTROIDS : 0,
    );
    const take = Math.min(rows, limit);
    const sample = new Array<number>(take * this.dim);
    for (let i = 0; i < take; i++) {
      const row = Math.floor((i * rows) / take);
      for (let j = 0; j < this.dim; j++) sample[i * this.dim + j] = vectors[row * this.dim + j]!;
    }
    this.native.train(sample);
  }

  /** One native search for `nq` queries; faiss-node refuses k > ntotal, so k is clamped. */
  private run(queries: Float32Array, nq: number, k: number): SearchHit[][] {
    const refine =
      this.params.type === 'ivf-pq' || this.params.type === 'ivf-sq8' ? (this.params.refine ?? 1) : 1;
    const kk = Math.min(k * refine, this.size);
    if (nq === 0) return [];
    if (kk === 0) return Array.from({ length: nq }, () => []);
    const { distances, labels } = this.native.search(Array.from(queries), kk);
    const results: SearchHit[][] = [];
    for (let q = 0; q < nq; q++) {
      const hits: SearchHit[] = [];
      for (let i = q * kk; i < (q + 1) * kk; i++) {
        const label = labels[i]!;
        // HNSW and IVF pad with -1 when the search found fewer than k candidates.
        if (label < 0) continue;
        const score = refine > 1 ? this.exactScore(queries, q, label) : distances[i]!;
        hits.push({ id: this.store.ids[label]!, score });
      }
      results.push(refine > 1 ? hits.sort((a, b) => b.score - a.score).slice(0, k) : hits);
    }
    return results;
  }

  /** Inner product of query `q` of `queries` with stored row `row`, in float32 like faiss. */
  private exactScore(queries: Float32Array, q: number, row: number): number {
    const { dim } = this;
    const values = this.store.values;
    let score = 0;
    for (let j = 0; j < dim; j++) score += queries[q * dim + j]! * values[row * dim + j]!;
    return Math.fround(score);
  }
}

/** The faiss `index_factory` description of a non-flat structure. */
function factoryString(params: Exclude<FaissIndexParams, { type: 'flat' }>): string {
  switch (params.type) {
    case 'hnsw':
      return `HNSW${params.hnswM},Flat`;
    case 'ivf-flat':
      return `IVF${params.nlist},Flat`;
    case 'ivf-pq':
      return `IVF${params.nlist},PQ${params.pqM}${params.pqBits === 4 ? 'x4fs' : ''}`;
    case 'ivf-sq8':
      return `IVF${params.nlist},SQ8`;
  }
}
