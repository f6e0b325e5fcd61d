import { encodeOnnxModel } from './onnx/encodeOnnxModel';
import { BATCH_DIM, FEATURES_INPUT, SCORE_OUTPUT } from './onnx/ioNames';
import type { OnnxNode } from './onnx/OnnxModelSpec';
import { isTreeLeaf, validateTreeEnsemble, type TreeEnsemble } from './TreeEnsemble';

/**
 * Exports a {@link TreeEnsemble} as ONNX bytes computing the same function as
 * {@link treeEnsemblePredict}: one ai.onnx.ml `TreeEnsembleRegressor` (mode `BRANCH_LEQ` or
 * `BRANCH_LT` per `comparison`, true branch = `left`, SUM aggregation, base value = `baseScore`)
 * followed by an ai.onnx `Sigmoid` when `sigmoid` is set. Node ids are the indices in each tree's
 * node array. Input `features` `[N, inputDim]`, output `score` `[N, 1]`, float32, N dynamic.
 */
export function exportTreeEnsemble(model: TreeEnsemble): Uint8Array {
  validateTreeEnsemble(model);
  const branchMode = model.comparison === 'lt' ? 'BRANCH_LT' : 'BRANCH_LEQ';
  const treeIds: number[] = [];
  const nodeIds: number[] = [];
  const featureIds: number[] = [];
  const modes: string[] = [];
  const values: number[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
  const targetTreeIds: number[] = [];
  const targetNodeIds: number[] = [];
  const targetWeights: number[] = [];
  model.trees.forEach((tree, t) => {
    tree.forEach((node, i) => {
      treeIds.push(t);
      nodeIds.push(i);
      if (isTreeLeaf(node)) {
        featureIds.push(0);
        modes.push('LEAF');
        values.push(0);
        trueIds.push(0);
        falseIds.push(0);
        targetTreeIds.push(t);
        targetNodeIds.push(i);
        targetWeights.push(node.leaf);
      } else {
        featureIds.push(node.feature);
        modes.push(branchMode);
        values.push(node.threshold);
        trueIds.push(node.left);
        falseIds.push(node.right);
      }
    });
  });
  const rawOut = model.sigmoid ? 'raw_score' : SCORE_OUTPUT;
  const nodes: OnnxNode[] = [
    {
      opType: 'TreeEnsembleRegressor',
      domain: 'ai.onnx.ml',
      name: 'trees',
      inputs: [FEATURES_INPUT],
      outputs: [rawOut],
      attributes: [
        { name: 'n_targets', type: 'int', value: 1 },
        { name: 'aggregate_function', type: 'string', value: 'SUM' },
        { name: 'post_transform', type: 'string', value: 'NONE' },
        { name: 'base_values', type: 'floats', value: [model.baseScore] },
        { name: 'nodes_treeids', type: 'ints', value: treeIds },
        { name: 'nodes_nodeids', type: 'ints', value: nodeIds },
        { name: 'nodes_featureids', type: 'ints', value: featureIds },
        { name: 'nodes_modes', type: 'strings', value: modes },
        { name: 'nodes_values', type: 'floats', value: values },
        { name: 'nodes_truenodeids', type: 'ints', value: trueIds },
        { name: 'nodes_falsenodeids', type: 'ints', value: falseIds },
        { name: 'target_treeids', type: 'ints', value: targetTreeIds },
        { name: 'target_nodeids', type: 'ints', value: targetNodeIds },
        { name: 'target_ids', type: 'ints', value: targetTreeIds.map(() => 0) },
        { name: 'target_weights', type: 'floats', value: targetWeights },
      ],
    },
  ];
  if (model.sigmoid) {
    nodes.push({ opType: 'Sigmoid', name: 'sigmoid', inputs: [rawOut], outputs: [SCORE_OUTPUT] });
  }
  return encodeOnnxModel({
    graph: {
      name: 'tree_ensemble',
      nodes,
      initializers: [],
      inputs: [{ name: FEATURES_INPUT, elemType: 'float', shape: [BATCH_DIM, model.inputDim] }],
      outputs: [{ name: SCORE_OUTPUT, elemType: 'float', shape: [BATCH_DIM, 1] }],
    },
  });
}
