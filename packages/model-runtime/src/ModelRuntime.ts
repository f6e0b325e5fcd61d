/**
 * A loaded model ready to score feature rows. Implementations: {@link loadOnnxModel} (ONNX
 * Runtime, for serving) and {@link referenceRuntime} (the TypeScript reference, for tests and
 * parity checks).
 */
export interface ModelRuntime {
  readonly kind: 'onnxruntime' | 'reference';
  /** Features per row. */
  readonly inputDim: number;
  /** Outputs per row (1 for a scalar score). */
  readonly outputDim: number;
  /**
   * Scores `batch` rows in one call. `features` is row-major `[batch, inputDim]` float32 and must
   * be finite; the result is row-major `[batch, outputDim]`. Rejects with an Error describing what
   * was received when the input is malformed, and after {@link close}.
   */
  predict(features: Float32Array, batch: number): Promise<Float32Array>;
  /** Releases native resources. Idempotent. */
  close(): Promise<void>;
}
