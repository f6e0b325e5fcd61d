/** Graph input name used by every exporter in this package: `[N, inputDim]` float32. */
export const FEATURES_INPUT = 'features';

/** Graph output name used by every exporter in this package: `[N, outputDim]` float32. */
export const SCORE_OUTPUT = 'score';

/** Symbolic batch dimension, so one exported model serves any batch size. */
export const BATCH_DIM = 'N';
