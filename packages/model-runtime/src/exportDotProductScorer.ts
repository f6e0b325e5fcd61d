import { validateDotProductScorer, type DotProductScorer } from './DotProductScorer';
import { encodeOnnxModel } from './onnx/encodeOnnxModel';
import { BATCH_DIM, FEATURES_INPUT, SCORE_OUTPUT } from './onnx/ioNames';

/**
 * Exports a {@link DotProductScorer} as ONNX bytes: a single `Gemm` (transB = 1, no bias) of the
 * input `features` `[N, dim]` with the item matrix, output `score` `[N, itemCount]`.
 */
export function exportDotProductScorer(model: DotProductScorer): Uint8Array {
  validateDotProductScorer(model);
  return encodeOnnxModel({
    graph: {
      name: 'dot_product',
      nodes: [
        {
          opType: 'Gemm',
          name: 'scores',
          inputs: [FEATURES_INPUT, 'items'],
          outputs: [SCORE_OUTPUT],
          attributes: [{ name: 'transB', type: 'int', value: 1 }],
        },
      ],
      initializers: [{ name: 'items', type: 'float', dims: [model.itemCount, model.dim], data: model.items }],
      inputs: [{ name: FEATURES_INPUT, elemType: 'float', shape: [BATCH_DIM, model.dim] }],
      outputs: [{ name: SCORE_OUTPUT, elemType: 'float', shape: [BATCH_DIM, model.itemCount] }],
    },
  });
}
