import { checkPredictInput } from './checkPredictInput';
import { dotProductScores } from './DotProductScorer';
import { mlpForward } from './Mlp';
import { modelDims, validateModel, type Model } from './Model';
import type { ModelRuntime } from './ModelRuntime';
import { treeEnsemblePredict } from './TreeEnsemble';

/**
 * A {@link ModelRuntime} that evaluates `model` with the TypeScript reference implementation
 * ({@link mlpForward}, {@link treeEnsemblePredict}, {@link dotProductScores}). Validates the
 * model up front. The model is used as given, so mutating it afterwards changes predictions.
 */
export function referenceRuntime(model: Model): ModelRuntime {
  validateModel(model);
  const { inputDim, outputDim } = modelDims(model);
  let closed = false;
  return {
    kind: 'reference',
    inputDim,
    outputDim,
    async predict(features, batch) {
      if (closed) throw new Error('ModelRuntime is closed; received a predict call after close()');
      checkPredictInput(features, batch, inputDim);
      switch (model.kind) {
        case 'mlp':
          return mlpForward(model, features, batch);
        case 'treeEnsemble':
          return treeEnsemblePredict(model, features, batch);
        case 'dotProduct':
          return dotProductScores(model, features, batch);
      }
    },
    async close() {
      closed = true;
    },
  };
}
