import { seededRandom } from '@recs/core';
import { choleskySolve } from './denseLinearAlgebra';

/**
 * A sparse matrix in compressed sparse row form: the entries of row r are
 * `indices[indptr[r] .. indptr[r + 1])` with `values` alongside (column indices ascending).
 */
export interface CsrMatrix {
  rows: number;
  cols: number;
  indptr: Int32Array;
  indices: Int32Array;
  values: Float32Array;
}

/** A CSR matrix from per-row column lists (and values, default 1); columns must be distinct per row. */
export function csrFromRows(
  rows: readonly { items: ArrayLike<number>; values?: ArrayLike<number> }[],
  cols: number,
): CsrMatrix {
  let nnz = 0;
  for (const r of rows) nnz += r.items.length;
  const indptr = new Int32Array(rows.length + 1);
  const indices = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  let o = 0;
  rows.forEach((r, i) => {
    const order = Array.from({ length: r.items.length }, (_, k) => k).sort(
      (a, b) => r.items[a]! - r.items[b]!,
    );
    for (const k of order) {
      const c = r.items[k]!;
      if (!(c >= 0 && c < cols)) throw new RangeError(`csrFromRows: column ${c} outside 0..${cols - 1}`);
      indices[o] = c;
      values[o++] = r.values ? r.values[k]! : 1;
    }
    indptr[i + 1] = o;
  });
  return { rows: rows.length, cols, indptr, indices, values };
}

/** The transpose (columns become rows), in O(nnz). */
export function transposeCsr(m: CsrMatrix): CsrMatrix {
  const nnz = m.indices.length;
  const indptr = new Int32Array(m.cols + 1);
  for (let k = 0; k < nnz; k++) indptr[m.indices[k]! + 1]! += 1;
  for (let c = 0; c < m.cols; c++) indptr[c + 1]! += indptr[c]!;
  const next = indptr.slice(0, m.cols);
  const indices = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  for (let r = 0; r < m.rows; r++) {
    for (let k = m.indptr[r]!; k < m.indptr[r + 1]!; k++) {
      const at = next[m.indices[k]!]!++;
      indices[at] = r;
      values[at] = m.values[k]!;
    }
  }
  return { rows: m.cols, cols: m.rows, indptr, indices, values };
}

/** Options of {@link trainAls}. */
export interface AlsOptions {
  /** Latent dimension f. Default 32. */
  factors?: number;
  /** Alternating sweeps (users then items). Default 3. */
  iterations?: number;
  /** L2 weight λ on every factor vector. Default 2. */
  regularization?: number;
  /** Confidence slope α in c = 1 + α·log(1 + r). Default 4. */
  alpha?: number;
  /** Conjugate-gradient steps per vector per sweep (warm-started from the previous sweep). Default 3. */
  cgSteps?: number;
  /** Seed of the initial factors. Default 42. */
  seed?: number;
  /**
   * Finish with an exact solve of every user vector against the final item factors (what
   * {@link foldIn} computes), instead of leaving the last sweep's CG iterates. Costs O(nnz f²); the
   * engine folds users in at query time and does not need it. Default false.
   */
  exactUsers?: boolean;
}

/**
 * What serving needs of a trained ALS model: the item factors and the loss's constants, from which a
 * user vector is folded in from any list of items ({@link foldIn}).
 */
export interface AlsModel {
  factors: number;
  regularization: number;
  alpha: number;
  /** Row-major `items × factors`. */
  itemFactors: Float32Array;
}

/** A trained model with the training rows' vectors (row-major `rows × factors`). */
export interface TrainedAls extends AlsModel {
  userFactors: Float32Array;
}

/** Confidence c = 1 + α·log(1 + r) of an observed strength r (Hu, Koren & Volinsky's log variant). */
export function confidence(alpha: number, r: number): number {
  return 1 + alpha * Math.log1p(r);
}

/**
 * Implicit-feedback matrix factorisation (Hu, Koren & Volinsky, "Collaborative Filtering for Implicit
 * Feedback Datasets", ICDM 2008): minimises
 *   Σ_{u,i} c_ui (p_ui − x_uᵀ y_i)² + λ (Σ_u ‖x_u‖² + Σ_i ‖y_i‖²)
 * over every (user, item) cell, with preference p_ui = 1 when r_ui > 0 else 0 and confidence
 * c_ui = 1 + α log(1 + r_ui) (1 on unobserved cells). Each half-sweep solves, per user,
 *   (YᵀY + Yᵀ(C_u − I)Y + λI) x_u = Yᵀ C_u p_u
 * where YᵀY is shared by all users, so a user costs O(n_u f) per conjugate-gradient step instead of the
 * O(n_u f² + f³) of a direct solve (Takács, Pilászy & Tikk, "Applications of the Conjugate Gradient
 * Method for Implicit Feedback Collaborative Filtering", RecSys 2011): a sweep is linear in the number
 * of interactions. Items are solved the same way from the transpose.
 *
 * Serving never stores user vectors: it folds a user in ({@link foldIn}) from the history, session or
 * cart, which for a training user agrees with the trained vector up to the CG tolerance (or exactly,
 * with `exactUsers`).
 */
export function trainAls(data: CsrMatrix, opts: AlsOptions = {}): TrainedAls {
  const f = opts.factors ?? 32;
  const iterations = opts.iterations ?? 3;
  const lambda = opts.regularization ?? 2;
  const alpha = opts.alpha ?? 4;
  const steps = opts.cgSteps ?? 3;
  if (!(Number.isInteger(f) && f >= 1))
    throw new RangeError(`factors must be an integer >= 1; received ${f}`);
  if (!(lambda > 0)) throw new RangeError(`regularization must be > 0; received ${lambda}`);
  const random = seededRandom(opts.seed ?? 42);
  // small random start: zero would make every CG residual identical across items
  const init = (n: number) => Float32Array.from({ length: n * f }, () => (random() - 0.5) * 0.02);
  const users = init(data.rows);
  const items = init(data.cols);
  const byItem = transposeCsr(data);
  const conf = Float32Array.from(data.values, (r) => confidence(alpha, r));
  const confT = Float32Array.from(byItem.values, (r) => confidence(alpha, r));
  for (let it = 0; it < iterations; it++) {
    cgSweep(users, items, data, conf, f, lambda, steps);
    cgSweep(items, users, byItem, confT, f, lambda, steps);
  }
  const model: AlsModel = { factors: f, regularization: lambda, alpha, itemFactors: items };
  if (!opts.exactUsers) {
    // one more user half-sweep so the user vectors match the final item factors
    cgSweep(users, items, data, conf, f, lambda, steps);
    return { ...model, userFactors: users };
  }
  const gram = regularisedGram(items, f, lambda);
  for (let u = 0; u < data.rows; u++) {
    const s = data.indptr[u]!;
    const e = data.indptr[u + 1]!;
    users.set(solveRow(model, gram, data.indices.subarray(s, e), data.values.subarray(s, e)), u * f);
  }
  return { ...model, userFactors: users };
}

/** YᵀY + λI of row-major `n × f` factors, in float64. */
export function regularisedGram(y: Float32Array, f: number, lambda: number): Float64Array {
  const g = new Float64Array(f * f);
  const n = y.length / f;
  for (let i = 0; i < n; i++) {
    const o = i * f;
    for (let a = 0; a < f; a++) {
      const ya = y[o + a]!;
      if (ya === 0) continue;
      for (let b = 0; b < f; b++) g[a * f + b]! += ya * y[o + b]!;
    }
  }
  for (let a = 0; a < f; a++) g[a * f + a]! += lambda;
  return g;
}

/**
 * One half-sweep: every row vector x of `target` takes `steps` conjugate-gradient steps on
 *   A x = b,  A = G + Σ_i (c_i − 1) y_i y_iᵀ,  b = Σ_i c_i y_i,  G = YᵀY + λI,
 * warm-started from its current value. A·p is computed as G p + Σ_i (c_i − 1)(y_iᵀ p) y_i, never
 * forming A.
 */
function cgSweep(
  target: Float32Array,
  fixed: Float32Array,
  m: CsrMatrix,
  conf: Float32Array,
  f: number,
  lambda: number,
  steps: number,
): void {
  const g = regularisedGram(fixed, f, lambda);
  const x = new Float64Array(f);
  const r = new Float64Array(f);
  const p = new Float64Array(f);
  const ap = new Float64Array(f);
  for (let row = 0; row < m.rows; row++) {
    const s = m.indptr[row]!;
    const e = m.indptr[row + 1]!;
    const o = row * f;
    for (let a = 0; a < f; a++) x[a] = target[o + a]!;
    conjugateGradient(g, fixed, m.indices, conf, s, e, f, steps, x, r, p, ap);
    for (let a = 0; a < f; a++) target[o + a] = x[a]!;
  }
}

/**
 * `steps` conjugate-gradient iterations on the ALS normal equations of one row (see {@link cgSweep}),
 * updating `x` in place. `cols[s..e)` are the row's observed columns, `conf` their confidences, `y`
 * the fixed side's factors; `r`, `p`, `ap` are scratch vectors of length f.
 */
export function conjugateGradient(
  g: Float64Array,
  y: Float32Array,
  cols: Int32Array,
  conf: ArrayLike<number>,
  s: number,
  e: number,
  f: number,
  steps: number,
  x: Float64Array,
  r = new Float64Array(f),
  p = new Float64Array(f),
  ap = new Float64Array(f),
): void {
  // r = b − A x
  for (let a = 0; a < f; a++) {
    let v = 0;
    for (let b = 0; b < f; b++) v -= g[a * f + b]! * x[b]!;
    r[a] = v;
  }
  for (let k = s; k < e; k++) {
    const o = cols[k]! * f;
    const c = conf[k]!;
    let yx = 0;
    for (let a = 0; a < f; a++) yx += y[o + a]! * x[a]!;
    const w = c - (c - 1) * yx;
    for (let a = 0; a < f; a++) r[a]! += w * y[o + a]!;
  }
  let rs = 0;
  for (let a = 0; a < f; a++) {
    p[a] = r[a]!;
    rs += r[a]! * r[a]!;
  }
  for (let step = 0; step < steps && rs > 1e-20; step++) {
    for (let a = 0; a < f; a++) {
      let v = 0;
      for (let b = 0; b < f; b++) v += g[a * f + b]! * p[b]!;
      ap[a] = v;
    }
    for (let k = s; k < e; k++) {
      const o = cols[k]! * f;
      let yp = 0;
      for (let a = 0; a < f; a++) yp += y[o + a]! * p[a]!;
      const w = (conf[k]! - 1) * yp;
      for (let a = 0; a < f; a++) ap[a]! += w * y[o + a]!;
    }
    let pap = 0;
    for (let a = 0; a < f; a++) pap += p[a]! * ap[a]!;
    if (!(pap > 0)) break;
    const stepSize = rs / pap;
    let rsNew = 0;
    for (let a = 0; a < f; a++) {
      x[a]! += stepSize * p[a]!;
      r[a]! -= stepSize * ap[a]!;
      rsNew += r[a]! * r[a]!;
    }
    const beta = rsNew / rs;
    for (let a = 0; a < f; a++) p[a] = r[a]! + beta * p[a]!;
    rs = rsNew;
  }
}

const gramCache = new WeakMap<Float32Array, Float64Array>();

function cachedGram(model: AlsModel): Float64Array {
  let g = gramCache.get(model.itemFactors);
  if (!g) {
    g = regularisedGram(model.itemFactors, model.factors, model.regularization);
    gramCache.set(model.itemFactors, g);
  }
  return g;
}

/** The exact solution x_u of the normal equations for one list of items and strengths. */
function solveRow(
  model: AlsModel,
  gram: Float64Array,
  items: ArrayLike<number>,
  strengths: ArrayLike<number> | undefined,
): Float32Array {
  const f = model.factors;
  const y = model.itemFactors;
  const a = Float64Array.from(gram);
  const b = new Float64Array(f);
  for (let k = 0; k < items.length; k++) {
    const o = items[k]! * f;
    const c = confidence(model.alpha, strengths ? strengths[k]! : 1);
    for (let i = 0; i < f; i++) {
      const yi = y[o + i]!;
      b[i]! += c * yi;
      const w = (c - 1) * yi;
      for (let j = 0; j < f; j++) a[i * f + j]! += w * y[o + j]!;
    }
  }
  return Float32Array.from(choleskySolve(a, b, f));
}

/**
 * Folds a user in without retraining: the vector x minimising the ALS loss for fixed item factors Y,
 *   x = (YᵀY + Yᵀ(C − I)Y + λI)⁻¹ Yᵀ C p,
 * for the given item indices (a customer's history, a live session or a cart) with their strengths
 * r (default 1 each: purchase counts, or recency-weighted counts). For a training customer and the
 * strengths they were trained with, this is their stored vector. Duplicate items are merged (their
 * strengths add); indices outside the catalogue are ignored. Cost O(n f² + f³).
 */
export function foldIn(
  model: AlsModel,
  items: ArrayLike<number>,
  strengths?: ArrayLike<number>,
): Float32Array {
  const n = model.itemFactors.length / model.factors;
  const merged = new Map<number, number>();
  for (let k = 0; k < items.length; k++) {
    const i = items[k]!;
    if (!(Number.isInteger(i) && i >= 0 && i < n)) continue;
    merged.set(i, (merged.get(i) ?? 0) + (strengths ? strengths[k]! : 1));
  }
  if (merged.size === 0) return new Float32Array(model.factors);
  const ids = [...merged.keys()].sort((a, b) => a - b);
  return solveRow(
    model,
    cachedGram(model),
    ids,
    ids.map((i) => merged.get(i)!),
  );
}

/** Adds `weight` · yⱼᵀx to `out[j]` for every item j: the ALS preference of user vector x. */
export function alsScores(model: AlsModel, x: Float32Array, out: Float32Array, weight = 1): void {
  const f = model.factors;
  const y = model.itemFactors;
  for (let j = 0, o = 0; j < out.length; j++, o += f) {
    let s = 0;
    for (let a = 0; a < f; a++) s += y[o + a]! * x[a]!;
    out[j]! += weight * s;
  }
}

/**
 * {@link foldIn} for an item the model has no factors for, given a vector ŷ in the item space (a new
 * product's title mapped by the content model): the user who bought only that item with strength r,
 *   x = (YᵀY + (c − 1) ŷŷᵀ + λI)⁻¹ c ŷ,
 * whose scores yⱼᵀx are the item's collaborative neighbours.
 */
export function foldInVector(model: AlsModel, v: Float32Array, strength = 1): Float32Array {
  const f = model.factors;
  const a = Float64Array.from(cachedGram(model));
  const c = confidence(model.alpha, strength);
  const b = new Float64Array(f);
  for (let i = 0; i < f; i++) {
    b[i] = c * v[i]!;
    for (let j = 0; j < f; j++) a[i * f + j]! += (c - 1) * v[i]! * v[j]!;
  }
  return Float32Array.from(choleskySolve(a, b, f));
}
