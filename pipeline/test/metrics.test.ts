import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  catalogueCoverage,
  hitRate,
  intraListDiversity,
  ndcgAt,
  novelty,
  popularityBias,
  precisionAt,
  recallAt,
  reciprocalRank,
} from '../src/eval/metrics';
import { topK } from '../src/eval/topK';

const close = (actual: number, expected: number) =>
  assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} != ${expected}`);

describe('ranking metrics on hand-computed values', () => {
  const ranked = ['a', 'b', 'c', 'd', 'e'];
  const relevant = new Set(['b', 'd', 'x']);

  it('hit rate, reciprocal rank, precision and recall', () => {
    assert.equal(hitRate(ranked, relevant, 5), 1);
    assert.equal(hitRate(ranked, relevant, 1), 0);
    close(reciprocalRank(ranked, relevant, 5), 1 / 2);
    assert.equal(reciprocalRank(ranked, relevant, 1), 0);
    close(precisionAt(ranked, relevant, 5), 2 / 5);
    // precision divides by k even when the list is shorter
    close(precisionAt(['b'], relevant, 10), 1 / 10);
    close(recallAt(ranked, relevant, 5), 2 / 3);
    close(recallAt(ranked, relevant, 3), 1 / 3);
    assert.equal(recallAt(ranked, new Set(), 5), 0);
  });

  it('NDCG with the ideal over min(k, |relevant|)', () => {
    // hits at ranks 2 and 4: DCG = 1/log2(3) + 1/log2(5); ideal for 3 relevant in top 5: 1 + 1/log2(3) + 1/2
    close(ndcgAt(ranked, relevant, 5), (1 / Math.log2(3) + 1 / Math.log2(5)) / (1 + 1 / Math.log2(3) + 0.5));
    // single relevant item at rank 3: 1/log2(4) = 0.5
    close(ndcgAt(ranked, new Set(['c']), 10), 0.5);
    // k = 2 keeps one hit (rank 2) and an ideal of two items
    close(ndcgAt(ranked, relevant, 2), 1 / Math.log2(3) / (1 + 1 / Math.log2(3)));
    assert.equal(ndcgAt(ranked, new Set(['z']), 5), 0);
  });

  it('coverage, diversity, novelty and popularity bias', () => {
    close(
      catalogueCoverage(
        [
          ['a', 'b'],
          ['b', 'c'],
        ],
        10,
      ),
      3 / 10,
    );
    // similarity 1 for (a,b), 0 otherwise: pairs (a,b)=0, (a,c)=1, (b,c)=1 -> 2/3
    close(
      intraListDiversity(['a', 'b', 'c'], (x, y) => (x + y === 'ab' ? 1 : 0)),
      2 / 3,
    );
    assert.equal(
      intraListDiversity(['a'], () => 0),
      0,
    );
    const popularity = new Map([
      ['a', 8],
      ['b', 2],
    ]);
    // -log2(8/16) = 1, -log2(2/16) = 3, unseen counts as 1: -log2(1/16) = 4
    close(novelty(['a', 'b', 'z'], popularity, 16), (1 + 3 + 4) / 3);
    // mean count of the list (8 + 2) / 2 = 5 over a catalogue mean of 2.5
    close(popularityBias(['a', 'b'], popularity, 2.5), 2);
  });
});

describe('topK', () => {
  it('returns the best indices in order, skips excluded ones and breaks ties deterministically', () => {
    const scores = Float32Array.from([0.5, 2, 2, -1, 3, 0]);
    assert.deepEqual(topK(scores, 3), [4, 1, 2]);
    assert.deepEqual(topK(scores, 3, new Set([4])), [1, 2, 0]);
    assert.deepEqual(topK(scores, 2, undefined, Float32Array.from([0, 0, 9, 0, 0, 0])), [4, 2]);
    assert.deepEqual(topK(scores, 10).length, 6);
  });
});
