import { exportDotProductScorer } from './exportDotProductScorer';
import { exportMlp } from './exportMlp';
import { exportTreeEnsemble } from './exportTreeEnsemble';
import { validateModel, type Model } from './Model';

/**
 * Exports any {@link Model} to ONNX bytes (input `features` `[N, inputDim]`, output `score`
 * `[N, outputDim]`), dispatching on `model.kind`.
 */
export function exportOnnx(model: Model): Uint8Array {
  validateModel(model);
  switch (model.kind) {
    case 'mlp':
      return exportMlp(model);
    case 'treeEnsemble':
      return exportTreeEnsemble(model);
    case 'dotProduct':
      return exportDotProductScorer(model);
  }
}
