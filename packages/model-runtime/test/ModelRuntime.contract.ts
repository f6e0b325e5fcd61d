import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { DotProductScorer } from '../src/DotProductScorer';
import type { Mlp } from '../src/Mlp';
import type { Model } from '../src/Model';
import type { ModelRuntime } from '../src/ModelRuntime';
import type { TreeEnsemble } from '../src/TreeEnsemble';

/** Builds a runtime for a model; the contract closes it. */
export type ModelRuntimeFactory = (model: Model) => Promise<ModelRuntime>;

// Hand-checked fixtures: every expected value below was computed on paper from the weights, so
// the suite checks each runtime against the maths rather than against another implementation.

/** 3 → 2 (ReLU) → 1. */
const SMALL_MLP: Mlp = {
  kind: 'mlp',
  sigmoidOutput: false,
  layers: [
    {
      inputDim: 3,
      outputDim: 2,
      weights: new Float32Array([1, -1, 0.5, 0, 2, -1]),
      bias: new Float32Array([0.5, -1]),
    },
    { inputDim: 2, outputDim: 1, weights: new Float32Array([2, -3]), bias: new Float32Array([0.25]) },
  ],
};
const SMALL_MLP_ROWS = [
  [1, 2, 3], // hidden (1, 0) → 2·1 + 0.25
  [0, 0, 0], // hidden (0.5, 0) → 1 + 0.25
  [-1, 1, 2], // hidden (0, 0) → 0.25
  [0, 3, 1], // hidden (0, 4) → −12 + 0.25
];
const SMALL_MLP_EXPECTED = [2.25, 1.25, 0.25, -11.75];

/** A single linear 2 → 2 layer: y = (x₀ + 2x₁, 3x₀ + 4x₁ + 1). */
const LINEAR_2X2: Mlp = {
  kind: 'mlp',
  sigmoidOutput: false,
  layers: [
    { inputDim: 2, outputDim: 2, weights: new Float32Array([1, 2, 3, 4]), bias: new Float32Array([0, 1]) },
  ],
};

/**
 * Three trees over 2 features, base 0.25. Tree 0: x₀ ≤ 0.5 ? 1 : (x₁ ≤ −1 ? 10 : 20). Tree 1: a
 * single leaf 0.5. Tree 2 (children stored out of order): x₁ ≤ 2 ? 100 : −3.
 */
function smallTrees(comparison: 'leq' | 'lt', sigmoid = false): TreeEnsemble {
  return {
    kind: 'treeEnsemble',
    inputDim: 2,
    baseScore: 0.25,
    sigmoid,
    comparison,
    trees: [
      [
        { feature: 0, threshold: 0.5, left: 1, right: 2 },
        { leaf: 1 },
        { feature: 1, threshold: -1, left: 3, right: 4 },
        { leaf: 10 },
        { leaf: 20 },
      ],
      [{ leaf: 0.5 }],
      [{ feature: 1, threshold: 2, left: 2, right: 1 }, { leaf: -3 }, { leaf: 100 }],
    ],
  };
}
const TREE_ROWS = [
  [0.5, 0], // ties on tree 0 root
  [0.6, -1], // ties on tree 0 node 2
  [1, 2], // ties on tree 2 root
  [1, 3],
  [-5, 0],
];
const TREE_EXPECTED_LEQ = [101.75, 110.75, 120.75, 17.75, 101.75];
const TREE_EXPECTED_LT = [120.75, 120.75, 17.75, 17.75, 101.75];

/** Items (1, 0), (0, 1), (1, 1), (−2, 0.5). */
const DOT: DotProductScorer = {
  kind: 'dotProduct',
  dim: 2,
  itemCount: 4,
  items: new Float32Array([1, 0, 0, 1, 1, 1, -2, 0.5]),
};

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

function assertClose(actual: Float32Array, expected: readonly number[], tolerance: number): void {
  assert.equal(actual.length, expected.length, `expected ${expected.length} outputs, got ${actual.length}`);
  expected.forEach((e, i) => {
    assert.ok(Math.abs(actual[i]! - e) <= tolerance, `output ${i}: expected ${e}, got ${actual[i]}`);
  });
}

/**
 * The behaviour every {@link ModelRuntime} must share: hand-computed outputs for each model family,
 * dynamic batch sizes, input validation with informative errors, concurrency and close semantics.
 * `expectedKind`, when given, is the `kind` the runtime must report.
 */
export function runModelRuntimeContract(
  name: string,
  factory: ModelRuntimeFactory,
  expectedKind?: ModelRuntime['kind'],
): void {
  async function open(t: TestContext, model: Model): Promise<ModelRuntime> {
    const runtime = await factory(model);
    t.after(() => runtime.close());
    return runtime;
  }

  describe(`ModelRuntime contract: ${name}`, () => {
    it('reports its kind and the model dimensions', async (t) => {
      const mlp = await open(t, SMALL_MLP);
      assert.ok(['onnxruntime', 'reference'].includes(mlp.kind), `unknown kind ${mlp.kind}`);
      if (expectedKind) assert.equal(mlp.kind, expectedKind);
      assert.deepEqual([mlp.inputDim, mlp.outputDim], [3, 1]);
      const trees = await open(t, smallTrees('leq'));
      assert.deepEqual([trees.inputDim, trees.outputDim], [2, 1]);
      const dot = await open(t, DOT);
      assert.deepEqual([dot.inputDim, dot.outputDim], [2, 4]);
    });

    it('computes a ReLU MLP exactly', async (t) => {
      const runtime = await open(t, SMALL_MLP);
      assertClose(await runtime.predict(new Float32Array(SMALL_MLP_ROWS.flat()), 4), SMALL_MLP_EXPECTED, 0);
    });

    it('applies the sigmoid output', async (t) => {
      const runtime = await open(t, { ...SMALL_MLP, sigmoidOutput: true });
      const out = await runtime.predict(new Float32Array(SMALL_MLP_ROWS.flat()), 4);
      assertClose(out, SMALL_MLP_EXPECTED.map(sigmoid), 1e-6);
    });

    it('lays out multi-output rows as [batch, outputDim]', async (t) => {
      const runtime = await open(t, LINEAR_2X2);
      assertClose(await runtime.predict(new Float32Array([1, 1, 2, -1]), 2), [3, 8, 0, 3], 0);
    });

    it('sends values equal to a threshold left under leq (BRANCH_LEQ)', async (t) => {
      const runtime = await open(t, smallTrees('leq'));
      assertClose(await runtime.predict(new Float32Array(TREE_ROWS.flat()), 5), TREE_EXPECTED_LEQ, 1e-5);
    });

    it('sends values equal to a threshold right under lt (BRANCH_LT)', async (t) => {
      const runtime = await open(t, smallTrees('lt'));
      assertClose(await runtime.predict(new Float32Array(TREE_ROWS.flat()), 5), TREE_EXPECTED_LT, 1e-5);
    });

    it('applies the sigmoid to a tree ensemble sum', async (t) => {
      const runtime = await open(t, smallTrees('leq', true));
      const rows = [
        [1, 3],
        [-5, 3],
      ]; // 17.75 and 0.25 + 1 + 0.5 − 3
      assertClose(
        await runtime.predict(new Float32Array(rows.flat()), 2),
        [sigmoid(17.75), sigmoid(-1.25)],
        1e-6,
      );
    });

    it('scores user vectors against an item matrix', async (t) => {
      const runtime = await open(t, DOT);
      assertClose(await runtime.predict(new Float32Array([2, 3, -1, 4]), 2), [2, 3, 5, -2.5, -1, 4, 3, 4], 0);
    });

    for (const batch of [1, 257]) {
      it(`serves a batch of ${batch}`, async (t) => {
        const runtime = await open(t, SMALL_MLP);
        const rows = Array.from({ length: batch }, (_, r) => SMALL_MLP_ROWS[r % 4]!);
        const out = await runtime.predict(new Float32Array(rows.flat()), batch);
        assertClose(
          out,
          rows.map((_, r) => SMALL_MLP_EXPECTED[r % 4]!),
          0,
        );
      });
    }

    it('rejects a features length that does not match batch × inputDim, naming both', async (t) => {
      const runtime = await open(t, SMALL_MLP);
      await assert.rejects(
        runtime.predict(new Float32Array(5), 2),
        /batch × inputDim = 2 × 3 = 6 values; received 5/,
      );
      await assert.rejects(runtime.predict(new Float32Array(6), 1), /received 6/);
    });

    it('rejects non-finite features, naming the value and its position', async (t) => {
      const runtime = await open(t, SMALL_MLP);
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        const x = new Float32Array(6);
        x[4] = bad;
        await assert.rejects(runtime.predict(x, 2), new RegExp(`finite; received ${bad} at row 1, column 1`));
      }
    });

    it('rejects a batch that is not a positive integer', async (t) => {
      const runtime = await open(t, SMALL_MLP);
      for (const batch of [0, -1, 1.5, Number.NaN]) {
        await assert.rejects(
          runtime.predict(new Float32Array(3), batch),
          /batch must be a positive integer; received/,
        );
      }
    });

    it('rejects features that are not a Float32Array', async (t) => {
      const runtime = await open(t, SMALL_MLP);
      const float64 = new Float64Array(3) as unknown as Float32Array;
      await assert.rejects(runtime.predict(float64, 1), /Float32Array; received \[object Float64Array\]/);
      await assert.rejects(
        runtime.predict([1, 2, 3] as unknown as Float32Array, 1),
        /received \[object Array\]/,
      );
    });

    it('reads a subarray view at its offset and leaves the input untouched', async (t) => {
      const runtime = await open(t, SMALL_MLP);
      const buffer = new Float32Array([99, 99, 99, ...SMALL_MLP_ROWS.flat(), 99]);
      const before = buffer.slice();
      const out = await runtime.predict(buffer.subarray(3, 15), 4);
      assertClose(out, SMALL_MLP_EXPECTED, 0);
      assert.deepEqual(buffer, before);
    });

    it('keeps concurrent predictions separate', async (t) => {
      const runtime = await open(t, LINEAR_2X2);
      const outs = await Promise.all(
        Array.from({ length: 16 }, (_, k) => runtime.predict(new Float32Array([k, 0, 0, k]), 2)),
      );
      outs.forEach((out, k) => assertClose(out, [k, 3 * k + 1, 2 * k, 4 * k + 1], 0));
    });

    it('closes idempotently and rejects predictions after close', async (t) => {
      const runtime = await open(t, SMALL_MLP);
      const pending = runtime.predict(new Float32Array(SMALL_MLP_ROWS[0]!), 1);
      await runtime.close();
      await runtime.close();
      assertClose(await pending, [2.25], 0);
      await assert.rejects(runtime.predict(new Float32Array(3), 1), /closed/);
    });
  });
}
