import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '@recs/core';
import { exportTreeEnsemble, loadOnnxModel, treeEnsemblePredict } from '@recs/model-runtime';
import { lambdaGradients, trainGbdt } from '../src/ranker/gbdt';

/** y = 1 when x0 + x1² > 1 (with 5% label noise); x2 is noise. */
function data(rows: number, seed: number): { x: Float32Array; y: Float32Array } {
  const random = seededRandom(seed);
  const x = new Float32Array(rows * 3);
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const a = random() * 2;
    const b = random() * 2 - 1;
    x.set([a, b, random()], r * 3);
    const label = a + b * b > 1 ? 1 : 0;
    y[r] = random() < 0.05 ? 1 - label : label;
  }
  return { x, y };
}

describe('gradient-boosted trees', () => {
  const train = data(4000, 1);
  const model = trainGbdt(train.x, 3, train.y, { trees: 60, depth: 4, minLeaf: 20 });

  it('learn a non-linear rule and generalise to held-out rows', () => {
    const test = data(2000, 2);
    const p = treeEnsemblePredict(model, test.x, 2000);
    let correct = 0;
    for (let r = 0; r < 2000; r++) if ((p[r]! > 0.5 ? 1 : 0) === test.y[r]) correct++;
    assert.ok(correct / 2000 > 0.9, `held-out accuracy ${correct / 2000}`);
  });

  it('export to ONNX and give the TypeScript reference output within 1e-5', async () => {
    const runtime = await loadOnnxModel(exportTreeEnsemble(model));
    const test = data(500, 3);
    const onnx = await runtime.predict(test.x, 500);
    const reference = treeEnsemblePredict(model, test.x, 500);
    for (let r = 0; r < 500; r++) assert.ok(Math.abs(onnx[r]! - reference[r]!) < 1e-5, `row ${r}`);
    await runtime.close();
  });

  it('reject features that do not match the labels', () => {
    assert.throws(() => trainGbdt(new Float32Array(5), 3, new Float32Array(2)), /expected 2 x 3 features/);
  });
});

describe('LambdaMART objective', () => {
  it('computes the pairwise gradients by hand on a two-row group', () => {
    const g = new Float64Array(2);
    const h = new Float64Array(2);
    lambdaGradients(new Float64Array([0, 0]), Float32Array.of(1, 0), Int32Array.of(0, 2), g, h);
    // |ΔNDCG| = (2¹ − 2⁰)(1/log2 2 − 1/log2 3) / IDCG(=1), ρ = 1/2
    const delta = 1 - 1 / Math.log2(3);
    assert.ok(Math.abs(g[0]! + 0.5 * delta) < 1e-12);
    assert.ok(Math.abs(g[1]! - 0.5 * delta) < 1e-12);
    assert.ok(Math.abs(h[0]! - 0.25 * delta) < 1e-12 && Math.abs(h[1]! - 0.25 * delta) < 1e-12);
  });

  /**
   * Groups of 20 rows with one positive: the row with the largest x0 − x1 inside its group. x2 shifts
   * the whole group, so a pointwise view of the absolute values is misleading.
   */
  function groups(count: number, seed: number) {
    const random = seededRandom(seed);
    const x = new Float32Array(count * 20 * 3);
    const y = new Float32Array(count * 20);
    const offsets = Int32Array.from({ length: count + 1 }, (_, q) => q * 20);
    for (let q = 0; q < count; q++) {
      const shift = random() * 4;
      let best = -Infinity;
      let bestRow = 0;
      for (let k = 0; k < 20; k++) {
        const r = q * 20 + k;
        const a = random() + shift;
        const b = random();
        x.set([a, b, shift], r * 3);
        if (a - b > best) {
          best = a - b;
          bestRow = r;
        }
      }
      y[bestRow] = 1;
    }
    return { x, y, offsets };
  }

  it('learns to put the positive of each held-out group first', () => {
    const train = groups(300, 5);
    const model = trainGbdt(train.x, 3, train.y, {
      trees: 60,
      depth: 4,
      minLeaf: 10,
      objective: 'lambdarank',
      groups: train.offsets,
    });
    const test = groups(200, 6);
    const p = treeEnsemblePredict(model, test.x, test.y.length);
    let top = 0;
    for (let q = 0; q < 200; q++) {
      let best = q * 20;
      for (let r = q * 20; r < (q + 1) * 20; r++) if (p[r]! > p[best]!) best = r;
      if (test.y[best] === 1) top++;
    }
    assert.ok(top / 200 > 0.6, `positive ranked first in ${top} of 200 groups`);
    assert.throws(
      () => trainGbdt(train.x, 3, train.y, { objective: 'lambdarank' }),
      /lambdarank needs groups/,
    );
  });
});
