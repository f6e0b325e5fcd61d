import assert from 'node:assert/strict';
import { it } from 'node:test';
import { seededRandom } from '@recs/core';
import { topK } from '../src/eval/topK';

/** The definition: sort everything not excluded by score, then tie-break, then index. */
function reference(scores: Float32Array, k: number, exclude?: Set<number>, tie?: Float32Array): number[] {
  return [...scores.keys()]
    .filter((i) => !exclude?.has(i))
    .sort((a, b) => scores[b]! - scores[a]! || (tie ? tie[b]! - tie[a]! : 0) || a - b)
    .slice(0, k);
}

it('topK equals the sort-based definition, with ties, tie-breaks, exclusions and k beyond the size', () => {
  const random = seededRandom(3);
  for (let round = 0; round < 300; round++) {
    const n = 1 + Math.floor(random() * 200);
    // few distinct values, so ties are common; many zeros, as in sparse sources
    const scores = Float32Array.from({ length: n }, () => (random() < 0.5 ? 0 : Math.floor(random() * 8)));
    const tie = random() < 0.5 ? Float32Array.from({ length: n }, () => Math.floor(random() * 3)) : undefined;
    const exclude =
      random() < 0.5 ? new Set(Array.from({ length: 10 }, () => Math.floor(random() * n))) : undefined;
    const k = 1 + Math.floor(random() * (n + 5));
    assert.deepEqual(topK(scores, k, exclude, tie), reference(scores, k, exclude, tie), `round ${round}`);
  }
});

it('hand-computed: best first, ties by tie-break then lower index, excluded never', () => {
  const scores = Float32Array.from([0.5, 0.9, 0.5, 0.1, 0.9]);
  assert.deepEqual(topK(scores, 3), [1, 4, 0]);
  assert.deepEqual(topK(scores, 3, new Set([1])), [4, 0, 2]);
  assert.deepEqual(topK(scores, 2, undefined, Float32Array.from([0, 0, 1, 0, 1])), [4, 1]);
});
