import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { easeColumnScore, easeScores, gramMatrix, trainEase } from '../src/models/ease';

/** Plain Gauss-Jordan inverse in float64: an independent reference for the ONNX Runtime inverse. */
function inverse(a: number[][]): number[][] {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...row.map((_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    const pivot = m[c]![c]!;
    for (let j = 0; j < 2 * n; j++) m[c]![j]! /= pivot;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]!;
      for (let j = 0; j < 2 * n; j++) m[r]![j]! -= f * m[c]![j]!;
    }
  }
  return m.map((row) => row.slice(n));
}

describe('EASE', () => {
  const rows = [
    Int32Array.from([0, 1]),
    Int32Array.from([0, 1, 2]),
    Int32Array.from([2, 3]),
    Int32Array.from([1]),
  ];
  const n = 4;

  it('the Gram matrix counts co-occurrences, optionally weighted per row', () => {
    const g = gramMatrix(rows, n);
    assert.deepEqual([...g.subarray(0, 4)], [2, 2, 1, 0]);
    assert.equal(g[1 * n + 1], 3);
    const w = gramMatrix(rows, n, [1, 0.5, 2, 1]);
    assert.equal(w[2 * n + 2], 2.5);
  });

  it('B = −P / diag(P) with a zero diagonal, as the closed form says', async () => {
    const lambda = 0.5;
    const g = gramMatrix(rows, n);
    const model = await trainEase(g, n, lambda);
    const p = inverse(
      Array.from({ length: n }, (_, i) =>
        Array.from({ length: n }, (_, j) => g[i * n + j]! + (i === j ? lambda : 0)),
      ),
    );
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const expected = i === j ? 0 : -p[i]![j]! / p[j]![j]!;
        assert.ok(Math.abs(model.weights[i * n + j]! - expected) < 1e-5, `B[${i}][${j}]`);
      }
    }
    const scores = new Float32Array(n);
    easeScores(model, [0], scores);
    assert.ok(scores[1]! > scores[3]!, 'the co-bought item outscores the never co-bought one');
  });

  it('scores one candidate from its own row: Σ_i B_ij over a set equals the dense scores at j', async () => {
    const g = gramMatrix(rows, n);
    const model = await trainEase(g, n, 0.5);
    for (const set of [[0], [1, 2], [0, 2, 3], [0, 1, 2, 3]]) {
      const dense = new Float32Array(n);
      easeScores(model, set, dense);
      for (let j = 0; j < n; j++) {
        const column = set.reduce((s, i) => s + model.weights[i * n + j]!, 0);
        assert.ok(Math.abs(dense[j]! - column) < 1e-6);
        assert.ok(
          Math.abs(easeColumnScore(model, set, j) - column) < 1e-5,
          `{${set}} at ${j}: ${easeColumnScore(model, set, j)} vs ${column}`,
        );
      }
    }
    // diag(P) is kept: B_ij = B_ji · P_ii / P_jj
    assert.ok(
      Math.abs(model.weights[1]! - (model.weights[n]! * model.diagonal[0]!) / model.diagonal[1]!) < 1e-6,
    );
  });

  it('rejects a non-positive lambda', async () => {
    await assert.rejects(trainEase(new Float32Array(4), 2, 0), /lambda must be positive/);
  });
});

describe('content model for products never seen in training', () => {
  it('scores a new title against the catalogue with the same TF-IDF weights', async () => {
    const { trainTextModel, titleScores, textScores } = await import('../src/models/textSimilarity');
    const model = trainTextModel([
      'JUMBO BAG RED RETROSPOT',
      'JUMBO BAG PINK POLKADOT',
      'ALARM CLOCK BAKELIKE RED',
    ]);
    const fromTitle = new Float32Array(3);
    titleScores(model, 'JUMBO BAG RED RETROSPOT', fromTitle);
    // the same title as item 0 scores like item 0 itself: cosine 1 with itself, and its neighbours equal
    const sum = new Float32Array(3);
    textScores(model, [0], sum, new Float32Array(3));
    assert.ok(Math.abs(fromTitle[0]! - 1) < 1e-6);
    assert.ok(Math.abs(fromTitle[1]! - sum[1]!) < 1e-6 && Math.abs(fromTitle[2]! - sum[2]!) < 1e-6);
    const unknownWords = new Float32Array(3);
    titleScores(model, 'ZEPPELIN', unknownWords);
    assert.deepEqual([...unknownWords], [0, 0, 0]);
  });
});
