// Deterministic test data and an exact reference search that shares no code with the backends.

import { seededRandom } from '@recs/core';

export { seededRandom };

/** `n` L2-normalised Gaussian vectors of dimension `dim`, row-major. */
export function randomUnitVectors(n: number, dim: number, random: () => number): Float32Array {
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      const g = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      out[i * dim + j] = g;
      norm += g * g;
    }
    norm = Math.sqrt(norm);
    for (let j = 0; j < dim; j++) out[i * dim + j]! /= norm;
  }
  return out;
}

/** Exact top-k row numbers per query by repeated maximum selection (slow, obviously correct). */
export function exactTopK(base: Float32Array, queries: Float32Array, dim: number, k: number): number[][] {
  const n = base.length / dim;
  const scores = new Float64Array(n);
  const result: number[][] = [];
  for (let q = 0; q < queries.length / dim; q++) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += queries[q * dim + j]! * base[i * dim + j]!;
      scores[i] = s;
    }
    const picked: number[] = [];
    for (let r = 0; r < Math.min(k, n); r++) {
      let best = -1;
      for (let i = 0; i < n; i++) if (best < 0 || scores[i]! > scores[best]!) best = i;
      picked.push(best);
      scores[best] = -Infinity;
    }
    result.push(picked);
  }
  return result;
}

/** Mean fraction of the true top-k ids found in each result list. */
export function recallAtK(results: { id: string }[][], truth: string[][]): number {
  let found = 0;
  let total = 0;
  results.forEach((hits, q) => {
    const expected = new Set(truth[q]);
    total += expected.size;
    for (const hit of hits) if (expected.has(hit.id)) found++;
  });
  return found / total;
}

/** The shared large data set: 10k base vectors and 200 queries in 64-d, with exact top-10 ids. */
export interface RecallDataset {
  dim: number;
  ids: string[];
  base: Float32Array;
  queries: Float32Array;
  truth: string[][];
}

let dataset: RecallDataset | undefined;

export function recallDataset(): RecallDataset {
  if (!dataset) {
    const dim = 64;
    const random = seededRandom(20240611);
    const base = randomUnitVectors(10_000, dim, random);
    const queries = randomUnitVectors(200, dim, random);
    const ids = Array.from({ length: 10_000 }, (_, i) => `item-${i}`);
    const truth = exactTopK(base, queries, dim, 10).map((rows) => rows.map((r) => ids[r]!));
    dataset = { dim, ids, base, queries, truth };
  }
  return dataset;
}
