/**
 * Two-tower scoring head: scores each input (user) vector against a fixed item embedding matrix.
 * `items` is row-major `[itemCount, dim]`.
 */
export interface DotProductScorer {
  readonly kind: 'dotProduct';
  dim: number;
  itemCount: number;
  items: Float32Array;
}

/** Checks shapes and finiteness; throws an Error naming the problem and what was received. */
export function validateDotProductScorer(model: DotProductScorer): void {
  for (const key of ['dim', 'itemCount'] as const) {
    if (!Number.isSafeInteger(model[key]) || model[key] < 1) {
      throw new Error(`DotProductScorer ${key} must be a positive integer; received ${model[key]}`);
    }
  }
  if (!(model.items instanceof Float32Array)) {
    throw new Error(
      `DotProductScorer items must be a Float32Array; received ${Object.prototype.toString.call(model.items)}`,
    );
  }
  if (model.items.length !== model.itemCount * model.dim) {
    throw new Error(
      `DotProductScorer items must have itemCount × dim = ${model.itemCount * model.dim} values; received ${model.items.length}`,
    );
  }
  const bad = model.items.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0)
    throw new Error(`DotProductScorer items must be finite; received ${model.items[bad]} at ${bad}`);
}

/**
 * Reference scores: `score[r, j] = Σₖ x[r, k] · items[j, k]`, accumulated in float64 and rounded to
 * float32.
 *
 * @param x row-major `[batch, dim]` user vectors.
 * @returns row-major `[batch, itemCount]` scores.
 */
export function dotProductScores(model: DotProductScorer, x: Float32Array, batch: number): Float32Array {
  const { dim, itemCount, items } = model;
  if (x.length !== batch * dim) {
    throw new Error(
      `dotProductScores: x must have batch × dim = ${batch * dim} values; received ${x.length}`,
    );
  }
  const out = new Float32Array(batch * itemCount);
  for (let r = 0; r < batch; r++) {
    for (let j = 0; j < itemCount; j++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += x[r * dim + k]! * items[j * dim + k]!;
      out[r * itemCount + j] = s;
    }
  }
  return out;
}
