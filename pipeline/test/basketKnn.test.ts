import assert from 'node:assert/strict';
import { test } from 'node:test';
import { basketIndex, basketKnnScores } from '../src/models/basketKnn';

const baskets = [
  [0, 1],
  [0, 1, 2],
  [2, 3],
  [1, 3],
].map((b) => Int32Array.from(b));
const index = basketIndex(baskets, 5);
const scores = (cart: number[], neighbours: number) => {
  const out = new Float32Array(5);
  basketKnnScores(index, cart, out, neighbours);
  return [...out].map((v) => Math.round(v * 1e4) / 1e4);
};

test('session kNN: the invoices most like the whole cart vote with their cosine similarity', () => {
  assert.deepEqual([...index.postings[1]!], [0, 1, 3]);
  assert.deepEqual([...index.postings[4]!], []);
  // cart {0, 1}: invoice 0 has cosine 2/√(2·2) = 1, invoice 1 2/√(3·2) = 0.8165, invoice 3 1/√(2·2) = 0.5
  assert.deepEqual(scores([0, 1], 2), [1.8165, 1.8165, 0.8165, 0, 0]);
  assert.deepEqual(scores([0, 1], 3), [1.8165, 2.3165, 0.8165, 0.5, 0]);
  // a tie (invoices 2 and 3, both 1/√2 for cart {3}) goes to the earlier invoice
  assert.deepEqual(scores([3], 1), [0, 0, 0.7071, 0.7071, 0]);
  // the per-invoice counters are cleared between calls
  assert.deepEqual(scores([3], 1), [0, 0, 0.7071, 0.7071, 0]);
  // no cart, an item sold in no invoice, no neighbours: nothing
  assert.deepEqual(scores([], 5), [0, 0, 0, 0, 0]);
  assert.deepEqual(scores([4], 5), [0, 0, 0, 0, 0]);
  assert.deepEqual(scores([0], 0), [0, 0, 0, 0, 0]);
});
