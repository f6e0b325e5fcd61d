import { seededRandom } from '@recs/core';
import { choleskySolve, orthonormaliseColumns, symmetricEigen } from './denseLinearAlgebra';
import { titleVector, type TextModel } from './textSimilarity';
import type { AlsModel } from './als';

/**
 * Dense content embeddings of product titles and a learned map from them into the ALS item space.
 *
 * Embedding: the TF-IDF matrix X (items × terms, rows L2-normalised, see {@link TextModel}) is
 * factorised by a randomised truncated SVD (Halko, Martinsson & Tropp 2011) X ≈ U Σ Vᵀ; a title's
 * embedding is its TF-IDF row times V_d (d columns), so a product first sold after training is embedded
 * exactly as the catalogue was (X V_d = U_d Σ_d).
 *
 * Map: ridge regression W = (EᵀE + μI)⁻¹ Eᵀ Y from the embeddings E of the trained items to their ALS
 * factors Y, so a new product gets a collaborative vector ŷ = e W, hence collaborative neighbours.
 */
export interface ContentEmbedding {
  /** Embedding dimension d. */
  dim: number;
  /** Row-major `terms × dim` projection V_d (terms of the text model's vocabulary). */
  projection: Float32Array;
  /** Row-major `dim × factors` ridge map into the ALS item space. */
  map: Float32Array;
  factors: number;
}

export interface ContentEmbeddingOptions {
  /** Embedding dimension. Default 32. */
  dim?: number;
  /** Extra random directions of the range finder. Default 10. */
  oversample?: number;
  /** Power iterations (sharpen the spectrum of a slowly decaying TF-IDF matrix). Default 2. */
  powerIterations?: number;
  /** Ridge weight μ of the map. Default 0.1. */
  ridge?: number;
  seed?: number;
}

/** X·M for the sparse TF-IDF rows and a dense row-major `terms × k` matrix M: `items × k`. */
function timesDense(text: TextModel, m: Float64Array, k: number): Float64Array {
  const out = new Float64Array(text.terms.length * k);
  text.terms.forEach((terms, i) => {
    const w = text.weights[i]!;
    for (let t = 0; t < terms.length; t++) {
      const o = terms[t]! * k;
      for (let c = 0; c < k; c++) out[i * k + c]! += w[t]! * m[o + c]!;
    }
  });
  return out;
}

/** Xᵀ·Q for a dense row-major `items × k` Q: `terms × k`. */
function transposeTimesDense(text: TextModel, q: Float64Array, k: number): Float64Array {
  const out = new Float64Array(text.vocabulary.length * k);
  text.terms.forEach((terms, i) => {
    const w = text.weights[i]!;
    for (let t = 0; t < terms.length; t++) {
      const o = terms[t]! * k;
      for (let c = 0; c < k; c++) out[o + c]! += w[t]! * q[i * k + c]!;
    }
  });
  return out;
}

/** Trains the title embedding and its map onto the ALS item factors (one item index for both). */
export function trainContentEmbedding(
  text: TextModel,
  als: AlsModel,
  opts: ContentEmbeddingOptions = {},
): ContentEmbedding {
  const n = text.terms.length;
  const terms = text.vocabulary.length;
  const d = Math.max(1, Math.min(opts.dim ?? 32, n, terms));
  const k = Math.min(d + (opts.oversample ?? 10), n, terms);
  const random = seededRandom(opts.seed ?? 42);
  // Gaussian test matrix by Box-Muller
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const omega = Float64Array.from({ length: terms * k }, gauss);
  let q = timesDense(text, omega, k);
  orthonormaliseColumns(q, n, k);
  for (let p = 0; p < (opts.powerIterations ?? 2); p++) {
    const z = transposeTimesDense(text, q, k);
    orthonormaliseColumns(z, terms, k);
    q = timesDense(text, z, k);
    orthonormaliseColumns(q, n, k);
  }
  // B = QᵀX (k × terms), stored transposed as Bᵀ = XᵀQ; BBᵀ = U_B Σ² U_Bᵀ
  const bt = transposeTimesDense(text, q, k);
  const bbt = new Float64Array(k * k);
  for (let t = 0; t < terms; t++) {
    for (let a = 0; a < k; a++) {
      const va = bt[t * k + a]!;
      if (va === 0) continue;
      for (let b = 0; b < k; b++) bbt[a * k + b]! += va * bt[t * k + b]!;
    }
  }
  const { values, vectors } = symmetricEigen(bbt, k);
  // V_d = Bᵀ U_B Σ⁻¹ (first d columns)
  const projection = new Float32Array(terms * d);
  for (let c = 0; c < d; c++) {
    const sigma = Math.sqrt(Math.max(values[c]!, 0));
    if (sigma < 1e-9) continue;
    for (let t = 0; t < terms; t++) {
      let v = 0;
      for (let a = 0; a < k; a++) v += bt[t * k + a]! * vectors[a * k + c]!;
      projection[t * d + c] = v / sigma;
    }
  }
  const embedding: ContentEmbedding = {
    dim: d,
    projection,
    map: new Float32Array(d * als.factors),
    factors: als.factors,
  };
  const e = itemEmbeddings(text, embedding);
  // ridge: (EᵀE + μI) W = EᵀY, one right-hand side per ALS factor
  const f = als.factors;
  const ete = new Float64Array(d * d);
  const ety = new Float64Array(d * f);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const ea = e[i * d + a]!;
      for (let b = 0; b < d; b++) ete[a * d + b]! += ea * e[i * d + b]!;
      for (let c = 0; c < f; c++) ety[a * f + c]! += ea * als.itemFactors[i * f + c]!;
    }
  }
  const mu = opts.ridge ?? 0.1;
  for (let a = 0; a < d; a++) ete[a * d + a]! += mu;
  for (let c = 0; c < f; c++) {
    const w = choleskySolve(
      ete,
      Float64Array.from({ length: d }, (_, a) => ety[a * f + c]!),
      d,
    );
    for (let a = 0; a < d; a++) embedding.map[a * f + c] = w[a]!;
  }
  return embedding;
}

/** Embeddings of every item of the text model, row-major `items × dim`. */
export function itemEmbeddings(text: TextModel, emb: ContentEmbedding): Float32Array {
  const d = emb.dim;
  const out = new Float32Array(text.terms.length * d);
  text.terms.forEach((terms, i) => {
    const w = text.weights[i]!;
    for (let t = 0; t < terms.length; t++) {
      const o = terms[t]! * d;
      for (let c = 0; c < d; c++) out[i * d + c]! += w[t]! * emb.projection[o + c]!;
    }
  });
  return out;
}

/** The embedding of a title the models have never seen (TF-IDF with the catalogue's IDF, then V_d). */
export function embedTitle(text: TextModel, emb: ContentEmbedding, title: string): Float32Array {
  const { ids, weights } = titleVector(text, title);
  const out = new Float32Array(emb.dim);
  ids.forEach((id, k) => {
    for (let c = 0; c < emb.dim; c++) out[c]! += weights[k]! * emb.projection[id * emb.dim + c]!;
  });
  return out;
}

/** ŷ = e W: a content embedding mapped into the ALS item space. */
export function mapToAls(emb: ContentEmbedding, e: Float32Array): Float32Array {
  const f = emb.factors;
  const out = new Float32Array(f);
  for (let a = 0; a < emb.dim; a++) {
    const ea = e[a]!;
    if (ea === 0) continue;
    for (let c = 0; c < f; c++) out[c]! += ea * emb.map[a * f + c]!;
  }
  return out;
}
