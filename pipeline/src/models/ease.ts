import { invertMatricesInParallel } from '@recs/model-runtime';

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
    for (let j = 0; j < n; j++) {
      const pjj = p[j * n + j]!;
      for (let i = 0; i < n; i++) weights[i * n + j] = i === j ? 0 : -p[i * n + j]! / pjj;
    }
    return { n, lambda, weights };
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
