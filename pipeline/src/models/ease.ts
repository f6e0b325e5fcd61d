import { invertMatricesInParallel } from '@recs/model-runtime';
import { topK } from '../eval/topK';

/**
 * EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019): the item-item weight
 * matrix B minimising ||X − XB||² + λ||B||² with diag(B) = 0 has the closed form
 *   P = (XᵀX + λI)⁻¹,  B_ij = −P_ij / P_jj (i ≠ j),  B_jj = 0.
 * Rows of X are baskets (for CART and PRODUCT) or customers (for HOME); a score for a set of items S
 * is Σ_{i∈S} B_i·.
 */
export interface EaseModel {
  n: number;
  lambda: number;
  /** Row-major n × n weights. */
  weights: Float32Array;
  /**
   * diag(P), P = (XᵀX + λI)⁻¹. Since P is symmetric, B_ij = B_ji · P_ii / P_jj: a column of B is its row
   * rescaled, so {@link easeColumnScore} reads one contiguous row instead of a strided column.
   */
  diagonal: Float32Array;
}

/**
 * Gram matrix XᵀWX of binary rows over `n` items: co-occurrence counts (the diagonal is item support),
 * each row weighted by `rowWeights` when given (e.g. recency, so this season's baskets count more).
 */
export function gramMatrix(
  rows: readonly Int32Array[],
  n: number,
  rowWeights?: ArrayLike<number>,
): Float32Array {
  const g = new Float32Array(n * n);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const w = rowWeights ? rowWeights[r]! : 1;
    for (let a = 0; a < row.length; a++) {
      const base = row[a]! * n;
      for (let b = 0; b < row.length; b++) g[base + row[b]!]! += w;
    }
  }
  return g;
}

export async function trainEase(gram: Float32Array, n: number, lambda: number): Promise<EaseModel> {
  const [model] = await trainEaseModels([{ gram, n, lambda }]);
  return model!;
}

/** Trains several EASE models at once, their matrix inverses in parallel worker threads. */
export async function trainEaseModels(
  jobs: readonly { gram: Float32Array; n: number; lambda: number }[],
): Promise<EaseModel[]> {
  for (const { lambda } of jobs) {
    if (!(lambda > 0)) throw new Error(`EASE lambda must be positive; received ${lambda}`);
  }
  const inverses = await invertMatricesInParallel(
    jobs.map(({ gram, n, lambda }) => {
      const a = Float32Array.from(gram);
      for (let i = 0; i < n; i++) a[i * n + i]! += lambda;
      return { matrix: a, n };
    }),
  );
  return jobs.map(({ n, lambda }, k) => {
    const p = inverses[k]!;
    const weights = new Float32Array(n * n);
    const diagonal = new Float32Array(n);
    for (let j = 0; j < n; j++) {
      const pjj = p[j * n + j]!;
      diagonal[j] = pjj;
      for (let i = 0; i < n; i++) weights[i * n + j] = i === j ? 0 : -p[i * n + j]! / pjj;
    }
    return { n, lambda, weights, diagonal };
  });
}

/** Adds w · B_i· to `out` for each item i of `items` (weights default to 1). */
export function easeScores(
  model: EaseModel,
  items: ArrayLike<number>,
  out: Float32Array,
  itemWeights?: ArrayLike<number>,
): void {
  const { n, weights } = model;
  for (let k = 0; k < items.length; k++) {
    const w = itemWeights ? itemWeights[k]! : 1;
    const base = items[k]! * n;
    for (let j = 0; j < n; j++) out[j]! += w * weights[base + j]!;
  }
}

/**
 * Σ_{i ∈ items} B_ij, the EASE score of one candidate j for a set of items, read from row j of B and
 * diag(P) (B_ij = B_ji · P_ii / P_jj): a request scores its candidates without a dense pass over the
 * catalogue and without a strided read per item. Equal to `easeScores` at j up to float rounding.
 */
export function easeColumnScore(model: EaseModel, items: ArrayLike<number>, j: number): number {
  const { n, weights, diagonal } = model;
  const base = j * n;
  let sum = 0;
  for (let k = 0; k < items.length; k++) {
    const i = items[k]!;
    sum += weights[base + i]! * diagonal[i]!;
  }
  return sum / diagonal[j]!;
}

/**
 * The `k` best-scoring items of each set (`topK` of `easeScores`, nothing excluded), computed once
 * offline: a known customer's HOME candidates then cost no dense pass over the catalogue per request.
 */
export function easeTopLists(model: EaseModel, sets: readonly ArrayLike<number>[], k: number): Int32Array[] {
  const scores = new Float32Array(model.n);
  return sets.map((set) => {
    scores.fill(0);
    easeScores(model, set, scores);
    return Int32Array.from(topK(scores, k));
  });
}
