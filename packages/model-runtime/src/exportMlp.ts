import { validateMlp, type Mlp } from './Mlp';
import { encodeOnnxModel } from './onnx/encodeOnnxModel';
import { BATCH_DIM, FEATURES_INPUT, SCORE_OUTPUT } from './onnx/ioNames';
import type { OnnxNode, OnnxTensor } from './onnx/OnnxModelSpec';

/**
 * Exports an {@link Mlp} as ONNX bytes computing the same function as {@link mlpForward}:
 * one `Gemm` (transB = 1, so weights keep their `[out, in]` layout) per layer, `Relu` between
 * layers, and a final `Sigmoid` when `sigmoidOutput` is set. Input `features` `[N, inputDim]`,
 * output `score` `[N, outputDim]`, float32, N dynamic.
 */
export function exportMlp(mlp: Mlp): Uint8Array {
  validateMlp(mlp);
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  let current = FEATURES_INPUT;
  mlp.layers.forEach((layer, l) => {
    const last = l === mlp.layers.length - 1;
    const gemmOut = last && !mlp.sigmoidOutput ? SCORE_OUTPUT : `dense${l}`;
    initializers.push(
      { name: `W${l}`, type: 'float', dims: [layer.outputDim, layer.inputDim], data: layer.weights },
      { name: `b${l}`, type: 'float', dims: [layer.outputDim], data: layer.bias },
    );
    nodes.push({
      opType: 'Gemm',
      name: `gemm${l}`,
      inputs: [current, `W${l}`, `b${l}`],
      outputs: [gemmOut],
      attributes: [{ name: 'transB', type: 'int', value: 1 }],
    });
    current = gemmOut;
    if (!last) {
      nodes.push({ opType: 'Relu', name: `relu${l}`, inputs: [current], outputs: [`hidden${l}`] });
      current = `hidden${l}`;
    }
  });
  if (mlp.sigmoidOutput) {
    nodes.push({ opType: 'Sigmoid', name: 'sigmoid', inputs: [current], outputs: [SCORE_OUTPUT] });
  }
  const inputDim = mlp.layers[0]!.inputDim;
  const outputDim = mlp.layers[mlp.layers.length - 1]!.outputDim;
  return encodeOnnxModel({
    graph: {
      name: 'mlp',
      nodes,
      initializers,
      inputs: [{ name: FEATURES_INPUT, elemType: 'float', shape: [BATCH_DIM, inputDim] }],
      outputs: [{ name: SCORE_OUTPUT, elemType: 'float', shape: [BATCH_DIM, outputDim] }],
    },
  });
}
