export { ProtoWriter } from './protobuf/ProtoWriter';
export { encodeOnnxModel, DEFAULT_IR_VERSION, DEFAULT_OPSET_IMPORTS } from './onnx/encodeOnnxModel';
export type {
  OnnxAttribute,
  OnnxElemType,
  OnnxGraph,
  OnnxModelSpec,
  OnnxNode,
  OnnxOpsetImport,
  OnnxTensor,
  OnnxValueInfo,
} from './onnx/OnnxModelSpec';
export { FEATURES_INPUT, SCORE_OUTPUT } from './onnx/ioNames';
export { type Mlp, type DenseLayer, mlpForward, validateMlp } from './Mlp';
export { exportMlp } from './exportMlp';
export {
  type TreeEnsemble,
  type TreeNode,
  type TreeSplit,
  type TreeLeaf,
  treeEnsemblePredict,
  validateTreeEnsemble,
  isTreeLeaf,
} from './TreeEnsemble';
export { exportTreeEnsemble } from './exportTreeEnsemble';
export { type DotProductScorer, dotProductScores, validateDotProductScorer } from './DotProductScorer';
export { exportDotProductScorer } from './exportDotProductScorer';
export { type Model, validateModel, modelDims } from './Model';
export { exportOnnx } from './exportOnnx';
export type { ModelRuntime } from './ModelRuntime';
export { OnnxModelRuntime, loadOnnxModel, type LoadOnnxModelOptions } from './OnnxModelRuntime';
export { referenceRuntime } from './referenceRuntime';
export { invertMatrix, invertMatricesInParallel } from './linearAlgebra';
