import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '@recs/core';
import { exportTreeEnsemble, loadOnnxModel, treeEnsemblePredict } from '@recs/model-runtime';
import { trainGbdt } from '../src/ranker/gbdt';

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
