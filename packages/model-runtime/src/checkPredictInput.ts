/**
 * Validates a `predict(features, batch)` call for a model reading `inputDim` features per row;
 * throws an Error naming the problem and what was received. Non-finite values are rejected because
 * trees and ReLU networks silently turn NaN into a plausible-looking score.
 */
export function checkPredictInput(features: Float32Array, batch: number, inputDim: number): void {
  if (!(features instanceof Float32Array)) {
    throw new Error(`features must be a Float32Array; received ${Object.prototype.toString.call(features)}`);
  }
  if (!Number.isSafeInteger(batch) || batch < 1) {
    throw new Error(`batch must be a positive integer; received ${String(batch)}`);
  }
  if (features.length !== batch * inputDim) {
    throw new Error(
      `features must have batch × inputDim = ${batch} × ${inputDim} = ${batch * inputDim} values; received ${features.length}`,
    );
  }
  for (let i = 0; i < features.length; i++) {
    const v = features[i]!;
    if (!Number.isFinite(v)) {
      throw new Error(
        `features must be finite; received ${v} at row ${Math.floor(i / inputDim)}, column ${i % inputDim}`,
      );
    }
  }
}
