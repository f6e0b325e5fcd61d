import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { dotProductScores, type DotProductScorer } from '../src/DotProductScorer';
import { exportOnnx } from '../src/exportOnnx';
import { mlpForward } from '../src/Mlp';
import type { Model } from '../src/Model';
import type { ModelRuntime } from '../src/ModelRuntime';
import { loadOnnxModel } from '../src/OnnxModelRuntime';
import { referenceRuntime } from '../src/referenceRuntime';
import { isTreeLeaf, treeEnsemblePredict, type TreeEnsemble } from '../src/TreeEnsemble';
import {
  maxAbsDiff,
  randomMlp,
  randomTreeEnsemble,
  rowsNearThresholds,
  seededRandom,
  thresholdsByFeature,
  uniform,
} from './random';

const ROWS = 1000;
const TOLERANCE = 1e-5;

async function onnx(t: TestContext, model: Model): Promise<ModelRuntime> {
  const runtime = await loadOnnxModel(exportOnnx(model));
  t.after(() => runtime.close());
  return runtime;
}

/**
 * Scores `x` with ONNX Runtime and the reference in one batch of {@link ROWS}, then again as
 * batches of 1 and 257 (ONNX side) to cover dynamic N, and returns the ONNX output.
 */
async function assertParity(t: TestContext, model: Model, x: Float32Array): Promise<Float32Array> {
  const runtime = await onnx(t, model);
  const reference = referenceRuntime(model);
  const expected = await reference.predict(x, ROWS);
  const actual = await runtime.predict(x, ROWS);
  assert.ok(
    maxAbsDiff(actual, expected) <= TOLERANCE,
    `max |onnx − reference| = ${maxAbsDiff(actual, expected)}`,
  );
  const d = runtime.inputDim;
  const k = runtime.outputDim;
  for (const batch of [1, 257]) {
    for (const start of [0, ROWS - batch]) {
      const part = await runtime.predict(x.subarray(start * d, (start + batch) * d), batch);
      const want = expected.subarray(start * k, (start + batch) * k);
      assert.ok(
        maxAbsDiff(part, want) <= TOLERANCE,
        `batch ${batch} at row ${start}: ${maxAbsDiff(part, want)}`,
      );
    }
  }
  return actual;
}

/** How many (row, split) visits compare a feature exactly equal to the float32 threshold. */
function countTies(model: TreeEnsemble, x: Float32Array): number {
  let ties = 0;
  for (let r = 0; r < x.length / model.inputDim; r++) {
    for (const tree of model.trees) {
      let node = tree[0]!;
      while (!isTreeLeaf(node)) {
        const v = x[r * model.inputDim + node.feature]!;
        const threshold = Math.fround(node.threshold);
        if (v === threshold) ties++;
        node = tree[(model.comparison === 'lt' ? v < threshold : v <= threshold) ? node.left : node.right]!;
      }
    }
  }
  return ties;
}

describe('ONNX Runtime ↔ TypeScript reference parity (1000 seeded random rows)', () => {
  const mlpCases: [string, number[], boolean][] = [
    ['16→32→1', [16, 32, 1], false],
    ['16→32→1 with sigmoid', [16, 32, 1], true],
    ['16→32→16→4', [16, 32, 16, 4], false],
  ];
  for (const [label, sizes, sigmoid] of mlpCases) {
    it(`MLP ${label}`, async (t) => {
      const rng = seededRandom(17);
      const mlp = randomMlp(rng, sizes, sigmoid);
      const x = Float32Array.from({ length: ROWS * sizes[0]! }, () => uniform(rng, -2, 2));
      const out = await assertParity(t, mlp, x);
      assert.deepEqual(out.length, ROWS * sizes[sizes.length - 1]!);
      // Guard against a degenerate model (e.g. all-dead ReLUs) making parity trivially true.
      assert.ok(new Set(out).size > ROWS / 2, 'outputs should vary across rows');
      assert.ok(maxAbsDiff(out, mlpForward({ ...mlp, sigmoidOutput: !sigmoid }, x, ROWS)) > 0.01);
    });
  }

  for (const comparison of ['leq', 'lt'] as const) {
    for (const sigmoid of [false, true]) {
      it(`tree ensemble, 20 trees depth 4, ${comparison}${sigmoid ? ', sigmoid' : ''}, values on thresholds`, async (t) => {
        const rng = seededRandom(comparison === 'leq' ? 101 : 202);
        const model = randomTreeEnsemble(rng, { trees: 20, depth: 4, inputDim: 8, sigmoid, comparison });
        const x = rowsNearThresholds(rng, ROWS, model.inputDim, thresholdsByFeature(model));
        const ties = countTies(model, x);
        assert.ok(ties > 500, `rows should hit thresholds exactly; got ${ties} ties`);
        const out = await assertParity(t, model, x);
        // The tie handling matters on this data: the opposite comparison disagrees with ONNX.
        const flipped = treeEnsemblePredict(
          { ...model, comparison: comparison === 'leq' ? 'lt' : 'leq' },
          x,
          ROWS,
        );
        assert.ok(maxAbsDiff(out, flipped) > 0.01, 'the opposite comparison should change some predictions');
      });
    }
  }

  it('dot-product scorer, 32-dim users × 50 items', async (t) => {
    const rng = seededRandom(5);
    const model: DotProductScorer = {
      kind: 'dotProduct',
      dim: 32,
      itemCount: 50,
      items: Float32Array.from({ length: 32 * 50 }, () => uniform(rng, -0.3, 0.3)),
    };
    const x = Float32Array.from({ length: ROWS * 32 }, () => uniform(rng, -1, 1));
    const out = await assertParity(t, model, x);
    assert.equal(out.length, ROWS * 50);
    assert.ok(
      maxAbsDiff(
        out,
        dotProductScores(
          model,
          x.map((v) => -v),
          ROWS,
        ),
      ) > 0.01,
    );
  });
});
