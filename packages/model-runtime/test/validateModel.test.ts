import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exportOnnx } from '../src/exportOnnx';
import type { Mlp } from '../src/Mlp';
import { mlpForward } from '../src/Mlp';
import { modelDims, validateModel, type Model } from '../src/Model';
import { treeEnsemblePredict, type TreeEnsemble, type TreeNode } from '../src/TreeEnsemble';

const layer = (inputDim: number, outputDim: number) => ({
  inputDim,
  outputDim,
  weights: new Float32Array(inputDim * outputDim),
  bias: new Float32Array(outputDim),
});
const mlp = (layers: Mlp['layers']): Mlp => ({ kind: 'mlp', layers, sigmoidOutput: false });
const trees = (nodes: TreeNode[][], extra: Partial<TreeEnsemble> = {}): TreeEnsemble => ({
  kind: 'treeEnsemble',
  inputDim: 2,
  trees: nodes,
  baseScore: 0,
  sigmoid: false,
  ...extra,
});

/** Both the validator and the exporter must refuse, with the same message. */
function refuses(model: Model, message: RegExp): void {
  assert.throws(() => validateModel(model), message);
  assert.throws(() => exportOnnx(model), message);
}

describe('model validation', () => {
  it('accepts well-formed models and reports their dims', () => {
    const m = mlp([layer(4, 3), layer(3, 2)]);
    validateModel(m);
    assert.deepEqual(modelDims(m), { inputDim: 4, outputDim: 2 });
    const t = trees([[{ feature: 1, threshold: 0, left: 1, right: 2 }, { leaf: 1 }, { leaf: 2 }]]);
    validateModel(t);
    assert.deepEqual(modelDims(t), { inputDim: 2, outputDim: 1 });
  });

  it('refuses MLPs whose shapes do not chain or whose parameters are malformed', () => {
    refuses(mlp([]), /at least one layer; received 0 layers/);
    refuses(mlp([layer(4, 3), layer(2, 1)]), /layer 1: inputDim must equal layer 0 outputDim 3; received 2/);
    refuses(
      mlp([{ ...layer(2, 2), weights: new Float32Array(3) }]),
      /layer 0 weights must have 4 values; received 3/,
    );
    refuses(
      mlp([{ ...layer(2, 2), bias: new Float32Array([0, Number.NaN]) }]),
      /bias must be finite; received NaN at index 1/,
    );
    refuses(
      mlp([{ ...layer(1, 1), weights: [1] as unknown as Float32Array }]),
      /Float32Array; received \[object Array\]/,
    );
    refuses(mlp([layer(0, 1)]), /inputDim must be a positive integer; received 0/);
  });

  it('refuses tree ensembles that are not proper trees', () => {
    refuses(trees([]), /at least one tree; received 0 trees/);
    refuses(trees([[]]), /tree 0 must have at least one node; received 0 nodes/);
    refuses(
      trees([[{ feature: 0, threshold: 0, left: 0, right: 1 }, { leaf: 1 }]]),
      /tree 0: node 0 is reached twice/,
    );
    refuses(
      trees([[{ feature: 0, threshold: 0, left: 1, right: 1 }, { leaf: 1 }]]),
      /tree 0: node 1 is reached twice/,
    );
    refuses(trees([[{ leaf: 1 }, { leaf: 2 }]]), /tree 0: node 1 is not reachable from the root/);
    refuses(
      trees([[{ feature: 0, threshold: 0, left: 1, right: 5 }, { leaf: 1 }]]),
      /tree 0 node 0: child index must be in \[0, 2\); received 5/,
    );
    refuses(
      trees([[{ feature: 2, threshold: 0, left: 1, right: 2 }, { leaf: 1 }, { leaf: 2 }]]),
      /feature must be an integer in \[0, 2\); received 2/,
    );
    refuses(
      trees([
        [{ feature: 0, threshold: Number.POSITIVE_INFINITY, left: 1, right: 2 }, { leaf: 1 }, { leaf: 2 }],
      ]),
      /threshold must be finite; received Infinity/,
    );
    refuses(trees([[{ leaf: Number.NaN }]]), /leaf must be finite; received NaN/);
    refuses(
      trees([[{ leaf: 1 }]], { comparison: 'gt' as 'lt' }),
      /comparison must be 'leq' or 'lt'; received "gt"/,
    );
  });

  it('refuses dot-product scorers whose item matrix has the wrong size', () => {
    refuses(
      { kind: 'dotProduct', dim: 2, itemCount: 3, items: new Float32Array(5) },
      /items must have itemCount × dim = 6 values; received 5/,
    );
  });

  it('reference functions check the row length', () => {
    assert.throws(() => mlpForward(mlp([layer(3, 1)]), new Float32Array(5), 2), /6 values; received 5/);
    assert.throws(
      () => treeEnsemblePredict(trees([[{ leaf: 1 }]]), new Float32Array(3), 2),
      /4 values; received 3/,
    );
  });
});
