import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@recs/core';
import { exportDotProductScorer, exportMlp, loadOnnxModel } from '@recs/model-runtime';
import { trainTwoTower, twoTowerNetworks, twoTowerQuery, twoTowerScores } from '../src/models/twoTower';

const GROUPS = 10;
const SIZE = 4;
const N = GROUPS * SIZE;
const CONTENT_DIM = 3;

/** Invoices of 2-4 items drawn from one of 10 disjoint groups of 4 items (plus one random item). */
function invoices(count: number, seed: number): Int32Array[] {
  const rand = seededRandom(seed);
  const out: Int32Array[] = [];
  for (let k = 0; k < count; k++) {
    const g = Math.floor(rand() * GROUPS);
    const items = new Set<number>();
    const size = 2 + Math.floor(rand() * 3);
    while (items.size < size) items.add(g * SIZE + Math.floor(rand() * SIZE));
    if (rand() < 0.3) items.add(Math.floor(rand() * N));
    out.push(Int32Array.from(items));
  }
  return out;
}

const content = Float32Array.from({ length: N * CONTENT_DIM }, (_, i) => Math.sin(i));

test('the two-tower model learns which items are bought together (held-out invoices)', () => {
  const model = trainTwoTower(invoices(3000, 1), N, content, CONTENT_DIM, {
    dim: 8,
    hidden: 16,
    negatives: 10,
    epochs: 3,
    learningRate: 0.02,
    seed: 3,
  });
  const scores = new Float32Array(N);
  let hits = 0;
  const test = invoices(300, 2).filter((b) => b.length >= 2);
  for (const b of test) {
    const [hidden, ...cart] = b;
    twoTowerScores(model, cart, scores);
    const ranked = [...scores.keys()]
      .filter((i) => !cart.includes(i))
      .sort((a, c) => scores[c]! - scores[a]!);
    if (ranked.slice(0, SIZE).includes(hidden!)) hits++;
  }
  // A random list of 4 of the ~37 other items would hit about 11% of the time; the group holds
  // the hidden item about 80% of the time (a random extra item is the rest).
  assert.ok(hits / test.length > 0.6, `hit rate ${hits / test.length}`);
});

test('training is deterministic for a seed', () => {
  const data = invoices(200, 4);
  const opts = { dim: 4, hidden: 8, negatives: 5, epochs: 1, seed: 9 };
  const a = trainTwoTower(data, N, content, CONTENT_DIM, opts);
  const b = trainTwoTower(data, N, content, CONTENT_DIM, opts);
  assert.deepEqual(a.itemVectors, b.itemVectors);
  assert.deepEqual(a.bag, b.bag);
  const c = trainTwoTower(data, N, content, CONTENT_DIM, { ...opts, seed: 10 });
  assert.notDeepEqual(a.itemVectors, c.itemVectors);
});

test('an empty bag has no query vector and leaves the scores alone', () => {
  const model = trainTwoTower(invoices(50, 5), N, content, CONTENT_DIM, { dim: 4, hidden: 8, epochs: 1 });
  assert.equal(twoTowerQuery(model, []), null);
  const out = new Float32Array(N).fill(7);
  twoTowerScores(model, [], out);
  assert.ok(out.every((v) => v === 7));
});

test('ONNX Runtime serves the same scores as the TypeScript model (1e-5)', async () => {
  const model = trainTwoTower(invoices(500, 6), N, content, CONTENT_DIM, {
    dim: 8,
    hidden: 16,
    negatives: 10,
    epochs: 2,
  });
  const { query, items } = twoTowerNetworks(model);
  const queryRuntime = await loadOnnxModel(exportMlp(query));
  const itemRuntime = await loadOnnxModel(exportDotProductScorer(items));
  try {
    const bags = [Int32Array.of(0, 1), Int32Array.of(5), Int32Array.of(7, 8, 30, 39)];
    const weights = [Float32Array.of(1, 1), Float32Array.of(2), Float32Array.of(3, 1, 1, 1)];
    const x = new Float32Array(bags.length * N);
    bags.forEach((bag, r) => {
      const total = weights[r]!.reduce((s, w) => s + w, 0);
      bag.forEach((i, k) => (x[r * N + i] = weights[r]![k]! / total));
    });
    const u = await queryRuntime.predict(x, bags.length);
    const onnx = await itemRuntime.predict(u, bags.length);
    const reference = new Float32Array(N);
    bags.forEach((bag, r) => {
      twoTowerScores(model, bag, reference, weights[r]);
      for (let i = 0; i < N; i++) {
        const diff = Math.abs(onnx[r * N + i]! - reference[i]!);
        assert.ok(diff <= 1e-5 * Math.max(1, Math.abs(reference[i]!)), `bag ${r} item ${i}: ${diff}`);
      }
    });
  } finally {
    await queryRuntime.close();
    await itemRuntime.close();
  }
});
