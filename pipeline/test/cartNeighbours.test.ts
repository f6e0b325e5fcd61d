import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '@recs/core';
import type { CandidateModels } from '../src/models/candidateModels';
import { textPairScore, textScores, trainTextModel } from '../src/models/textSimilarity';
import { topK } from '../src/eval/topK';
import {
  cartCandidates,
  cartNeighbours,
  NEIGHBOURS_PER_ITEM,
  prepareCartNeighbours,
} from '../src/ranker/cartNeighbours';

const WORDS = [
  'BAG',
  'RED',
  'PINK',
  'JUMBO',
  'LUNCH',
  'BOX',
  'HEART',
  'CANDLE',
  'TIN',
  'MUG',
  'SPOT',
  'RETRO',
];

/**
 * The parts of a model version the neighbour lists read: basket EASE weights, invoice co-occurrence
 * counts (diagonal = support) and the titles' TF-IDF, over `n` products. `easeOf(i, j)` gives B_ij.
 */
function modelOf(n: number, easeOf: (i: number, j: number) => number, seed = 1): CandidateModels {
  const random = seededRandom(seed);
  const weights = new Float32Array(n * n);
  const cooccurrence = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) if (i !== j) weights[i * n + j] = easeOf(i, j);
    for (let j = i + 1; j < n; j++) {
      const count = random() < 0.3 ? Math.floor(random() * 6) : 0;
      cooccurrence[i * n + j] = cooccurrence[j * n + i] = count;
    }
  }
  for (let i = 0; i < n; i++) {
    let support = 1;
    for (let j = 0; j < n; j++) if (j !== i) support = Math.max(support, cooccurrence[i * n + j]!);
    cooccurrence[i * n + i] = support + Math.floor(random() * 4);
  }
  const titles = Array.from({ length: n }, () =>
    Array.from({ length: 3 }, () => WORDS[Math.floor(random() * WORDS.length)]!).join(' '),
  );
  return {
    matrix: { items: titles.map((_, i) => `P${i}`) },
    cooccurrence,
    basketEase: { n, lambda: 20, weights, diagonal: new Float32Array(n).fill(1) },
    text: trainTextModel(titles),
  } as unknown as CandidateModels;
}

/** The dense scores a cart gives every product: Σ B_ij, Σ cosine, Σ title similarity. */
function denseSums(m: CandidateModels, cart: number[]) {
  const n = m.matrix.items.length;
  const c = m.cooccurrence;
  const ease = new Float32Array(n);
  const cosine = new Float32Array(n);
  const text = new Float32Array(n);
  const max = new Float32Array(n);
  for (const i of cart) {
    for (let j = 0; j < n; j++) {
      ease[j]! += m.basketEase.weights[i * n + j]!;
      cosine[j]! += c[i * n + j]! / Math.sqrt(c[i * n + i]! * c[j * n + j]!);
    }
  }
  textScores(m.text, cart, text, max);
  return { ease, cosine, text };
}

const LIMIT = { ease: 60, cosine: 20, content: 20 };

/** The dense top lists of the CART sources: best positive sums outside the cart, ties by lower index. */
function denseTop(m: CandidateModels, cart: number[]) {
  const s = denseSums(m, cart);
  const exclude = new Set(cart);
  const top = (a: Float32Array, k: number) => topK(a, k, exclude).filter((j) => a[j]! > 0);
  return {
    ease: top(s.ease, LIMIT.ease),
    cosine: top(s.cosine, LIMIT.cosine),
    content: top(s.text, LIMIT.content),
  };
}

describe('CART neighbour lists', () => {
  it("hold each row's highest and most negative EASE weights, never the item itself, lower index first at the cut", () => {
    // many ties, and negative and zero scores, in more columns than either list keeps
    const n = 760;
    const m = modelOf(n, (i, j) => ((i * 7 + j * 13) % 50) - 20);
    const { ease, easeNegative } = cartNeighbours(m);
    const w = (i: number, j: number) => m.basketEase.weights[i * n + j]!;
    for (const [lists, sign, k] of [
      [ease, 1, NEIGHBOURS_PER_ITEM.ease],
      [easeNegative, -1, NEIGHBOURS_PER_ITEM.easeNegative],
    ] as const) {
      assert.equal(lists.offsets.length, n + 1);
      for (let i = 0; i < n; i++) {
        const expected = Array.from({ length: n }, (_, j) => j)
          .filter((j) => j !== i && sign * w(i, j) > 0)
          .sort((a, b) => sign * (w(i, b) - w(i, a)) || a - b)
          .slice(0, k);
        assert.ok(expected.length === k, 'the cut falls inside the row');
        const got = [...lists.items.subarray(lists.offsets[i]!, lists.offsets[i + 1]!)];
        assert.deepEqual(
          got.slice().sort((a, b) => a - b),
          expected.sort((a, b) => a - b),
          `row ${i}, sign ${sign}`,
        );
        got.forEach((j, p) => assert.equal(lists.values[lists.offsets[i]! + p], w(i, j)));
      }
    }
  });

  it('give a one-item cart exactly the candidates of a dense pass over the catalogue', () => {
    const random = seededRandom(5);
    const n = 400;
    const m = modelOf(n, () => random() - 0.4, 2);
    for (let i = 0; i < n; i += 7) {
      const got = cartCandidates(m, [i], new Set([i]), LIMIT);
      assert.deepEqual(got, denseTop(m, [i]), `cart [${i}]`);
    }
  });

  it('give any cart the dense candidates when every list holds all of its positive scores', () => {
    // fewer products than the shortest list, non-negative scores: the sparse sums are the dense sums
    const random = seededRandom(9);
    const n = 90;
    const m = modelOf(n, () => (random() < 0.5 ? 0 : random()), 3);
    const carts = [[1, 2, 3], [10, 40], [5, 6, 7, 8, 9, 80, 81], [0]];
    // twice, in order: the reused accumulators hold nothing over from the previous call
    for (const round of [1, 2])
      for (const cart of carts) {
        const got = cartCandidates(m, cart, new Set(cart), LIMIT);
        const want = denseTop(m, cart);
        assert.deepEqual(got.content, want.content, `content, cart ${cart}, round ${round}`);
        // float32 sums in another order: compare the sets of the top lists
        for (const source of ['ease', 'cosine'] as const)
          assert.deepEqual(
            got[source].slice().sort((a, b) => a - b),
            want[source].slice().sort((a, b) => a - b),
            `${source}, cart ${cart}, round ${round}`,
          );
      }
  });

  it('are built once per model, whoever asks first and however many ask during the build', async () => {
    const m = modelOf(300, (i, j) => ((i + 2 * j) % 7) - 3, 6);
    const first = prepareCartNeighbours(m);
    const second = prepareCartNeighbours(m);
    await new Promise<void>((resolve) => setImmediate(resolve));
    // a request during the sliced build finishes that same build
    const now = cartNeighbours(m);
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a, now);
    assert.equal(b, now);
    assert.equal(cartNeighbours(m), now);
    assert.equal(await prepareCartNeighbours(m), now);
  });

  it("score a pair's titles as the dense title pass does", () => {
    const m = modelOf(50, () => 0, 4);
    const n = 50;
    for (const i of [0, 7, 21]) {
      const sum = new Float32Array(n);
      textScores(m.text, [i], sum, new Float32Array(n));
      for (let j = 0; j < n; j++)
        if (j !== i) assert.ok(Math.abs(textPairScore(m.text, i, j) - sum[j]!) < 1e-6, `${i}, ${j}`);
    }
  });
});
