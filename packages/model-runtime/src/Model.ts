import { validateDotProductScorer, type DotProductScorer } from './DotProductScorer';
import { validateMlp, type Mlp } from './Mlp';
import { validateTreeEnsemble, type TreeEnsemble } from './TreeEnsemble';

/** Every model family this package can evaluate in TypeScript and export to ONNX. */
export type Model = Mlp | TreeEnsemble | DotProductScorer;

/** Validates any {@link Model}; throws an Error naming the first problem and what was received. */
export function validateModel(model: Model): void {
  switch (model?.kind) {
    case 'mlp':
      return validateMlp(model);
    case 'treeEnsemble':
      return validateTreeEnsemble(model);
    case 'dotProduct':
      return validateDotProductScorer(model);
    default:
      throw new Error(
        `model.kind must be 'mlp', 'treeEnsemble' or 'dotProduct'; received ${JSON.stringify((model as { kind?: unknown } | undefined)?.kind)}`,
      );
  }
}

/** Row widths a model reads and writes: input `[batch, inputDim]`, output `[batch, outputDim]`. */
export function modelDims(model: Model): { inputDim: number; outputDim: number } {
  switch (model.kind) {
    case 'mlp':
      return {
        inputDim: model.layers[0]!.inputDim,
        outputDim: model.layers[model.layers.length - 1]!.outputDim,
      };
    case 'treeEnsemble':
      return { inputDim: model.inputDim, outputDim: 1 };
    case 'dotProduct':
      return { inputDim: model.dim, outputDim: model.itemCount };
  }
}
