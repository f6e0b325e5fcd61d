import { BruteForceIndex } from './BruteForceIndex';
import { FaissIndex } from './FaissIndex';
import { assertInteger, describe } from './validate';
import type { VectorIndex } from './VectorIndex';

/** Options for {@link createVectorIndex}. Settings of other structures than `type` are ignored. */
export interface CreateVectorIndexOptions {
  /** `'faiss'` needs the native addon (see {@link faissAvailable}); `'brute-force'` is pure TypeScript. */
  backend: 'faiss' | 'brute-force';
  /** Vector dimension. */
  dim: number;
  /**
   * faiss structure: exact `'flat'` (default), or approximate `'hnsw'` (graph), `'ivf-flat'` /
   * `'ivf-pq'` / `'ivf-sq8'` (inverted lists over raw / product-quantised / 8-bit scalar-quantised
   * vectors). Brute force is always flat.
   */
  type?: IndexType;
  /** HNSW graph degree M (default 32). */
  hnswM?: number;
  /** HNSW candidate-list size while searching (default 128); higher is slower but more accurate. */
  efSearch?: number;
  /** HNSW candidate-list size while adding (default 80); higher builds slower but a better graph. */
  efConstruction?: number;
  /** IVF: number of inverted lists (k-means cells); the first add() must hold at least this many vectors. */
  nlist?: number;
  /**
   * IVF: rows per list sampled (evenly strided from the first add()) to train the k-means quantizer;
   * default and maximum 256 (faiss's own cap), at least 39 recommended by faiss. k-means costs
   * sample x nlist per iteration, so this bounds the build time of many lists.
   */
  trainPointsPerList?: number;
  /** IVF: lists visited per search (default 32, at most nlist); higher is slower but more accurate. */
  nprobe?: number;
  /** IVF-PQ: sub-quantizers (codes per vector; must divide dim). */
  pqM?: number;
  /** IVF-PQ: bits per code, 8 (default) or 4 (faiss's SIMD fast scan, `PQ<m>x4fs`; pqM must be even). */
  pqBits?: number;
  /**
   * IVF-PQ, IVF-SQ8: re-rank the best `refine × k` candidates by exact score from the stored vectors
   * (default 1: off).
   */
  refine?: number;
}

/** Index structures; all but `'flat'` are faiss-only and approximate. */
export const INDEX_TYPES = ['flat', 'hnsw', 'ivf-flat', 'ivf-pq', 'ivf-sq8'] as const;
export type IndexType = (typeof INDEX_TYPES)[number];

/**
 * HNSW defaults. On 10k random unit vectors in 64-d (harder than real embeddings) they give recall@10
 * around 0.99; faiss's own defaults (efConstruction 40, efSearch 16) give about 0.6.
 */
export const HNSW_DEFAULTS = { hnswM: 32, efSearch: 128, efConstruction: 80 } as const;

/** IVF defaults, for about 250k vectors (nlist ~ 2 sqrt(n)); `chooseIndex` picks them by catalogue size. */
export const IVF_DEFAULTS = { nlist: 1024, nprobe: 32, pqM: 16 } as const;

const MAX_DIM = 65_536;

/** Creates an empty inner-product index; throws on invalid options or when faiss is requested but not built. */
export function createVectorIndex(opts: CreateVectorIndexOptions): VectorIndex {
  const dim = assertInteger('dim', opts?.dim, 1, MAX_DIM);
  const type = opts.type ?? 'flat';
  if (!(INDEX_TYPES as readonly unknown[]).includes(type)) {
    throw new RangeError(`type must be one of ${INDEX_TYPES.join(', ')}; received ${describe(type)}`);
  }
  switch (opts.backend) {
    case 'brute-force':
      if (type !== 'flat') {
        throw new RangeError(`backend 'brute-force' only supports type 'flat'; received ${describe(type)}`);
      }
      return BruteForceIndex.create(dim);
    case 'faiss':
      if (type === 'flat') return FaissIndex.create(dim, { type: 'flat' });
      if (type === 'ivf-flat' || type === 'ivf-pq' || type === 'ivf-sq8') {
        const nlist = assertInteger('nlist', opts.nlist ?? IVF_DEFAULTS.nlist, 1, 1 << 24);
        const nprobe = assertInteger('nprobe', opts.nprobe ?? Math.min(IVF_DEFAULTS.nprobe, nlist), 1, nlist);
        const build = {
          trainPointsPerList: assertInteger('trainPointsPerList', opts.trainPointsPerList ?? 256, 1, 256),
        };
        if (type === 'ivf-flat') return FaissIndex.create(dim, { type, nlist, nprobe }, build);
        const refine = assertInteger('refine', opts.refine ?? 1, 1, 1024);
        const refined = refine > 1 ? { refine } : {};
        if (type === 'ivf-sq8') return FaissIndex.create(dim, { type, nlist, nprobe, ...refined }, build);
        const pqM = assertInteger('pqM', opts.pqM ?? IVF_DEFAULTS.pqM, 1, dim);
        if (dim % pqM !== 0) throw new RangeError(`pqM must divide dim ${dim}; received ${pqM}`);
        const pqBits = opts.pqBits ?? 8;
        if (pqBits !== 8 && pqBits !== 4)
          throw new RangeError(`pqBits must be 8 or 4; received ${describe(pqBits)}`);
        if (pqBits === 4 && pqM % 2 !== 0)
          throw new RangeError(`pqM must be even with pqBits 4; received ${pqM}`);
        return FaissIndex.create(
          dim,
          { type, nlist, nprobe, pqM, ...(pqBits === 4 ? { pqBits } : {}), ...refined },
          build,
        );
      }
      return FaissIndex.create(dim, {
        type: 'hnsw',
        hnswM: assertInteger('hnswM', opts.hnswM ?? HNSW_DEFAULTS.hnswM, 2, 1024),
        efSearch: assertInteger('efSearch', opts.efSearch ?? HNSW_DEFAULTS.efSearch, 1, 1 << 20),
        efConstruction: assertInteger(
          'efConstruction',
          opts.efConstruction ?? HNSW_DEFAULTS.efConstruction,
          1,
          1 << 20,
        ),
      });
    default:
      throw new RangeError(`backend must be 'faiss' or 'brute-force'; received ${describe(opts.backend)}`);
  }
}
