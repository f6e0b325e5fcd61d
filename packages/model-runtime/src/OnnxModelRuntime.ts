import type * as Ort from 'onnxruntime-node';
import type { InferenceSession } from 'onnxruntime-node';
import { checkPredictInput } from './checkPredictInput';
import type { ModelRuntime } from './ModelRuntime';

/** Options for {@link loadOnnxModel}. */
export interface LoadOnnxModelOptions {
  /**
   * Threads ONNX Runtime may use inside one operator. Default 1: requests are scored one batch at
   * a time on a small box, and a second thread per session mostly adds contention.
   */
  intraOpThreads?: number;
}

type OrtModule = typeof Ort;
let ortModule: Promise<OrtModule> | undefined;

/** Loads the native addon on first use, so importing this package stays cheap. */
function loadOrt(): Promise<OrtModule> {
  ortModule ??= import('onnxruntime-node');
  return ortModule;
}

interface TensorShape {
  name: string;
  width: number;
}

/**
 * Reads the single float32 `[N, width]` tensor a model must declare as input or output; throws
 * an Error describing what the model declares instead.
 */
function singleFloatMatrix(
  which: 'input' | 'output',
  metadata: readonly InferenceSession.ValueMetadata[],
): TensorShape {
  if (metadata.length !== 1) {
    throw new Error(
      `model must have exactly one ${which}; received ${metadata.length} (${metadata.map((m) => m.name).join(', ')})`,
    );
  }
  const m = metadata[0]!;
  const width = m.isTensor ? m.shape[1] : undefined;
  if (!m.isTensor || m.type !== 'float32' || m.shape.length !== 2 || typeof width !== 'number' || width < 1) {
    const found = m.isTensor ? `${m.type} [${m.shape.join(', ')}]` : 'a non-tensor value';
    throw new Error(
      `model ${which} ${m.name} must be a float32 [N, width] tensor with fixed width; received ${found}`,
    );
  }
  return { name: m.name, width };
}

/** A {@link ModelRuntime} backed by one onnxruntime-node `InferenceSession` on the CPU. */
export class OnnxModelRuntime implements ModelRuntime {
  readonly kind = 'onnxruntime' as const;
  readonly inputDim: number;
  readonly outputDim: number;
  private readonly ort: OrtModule;
  private readonly session: InferenceSession;
  private readonly inputName: string;
  private readonly outputName: string;
  private readonly inflight = new Set<Promise<unknown>>();
  private closing: Promise<void> | undefined;

  private constructor(ort: OrtModule, session: InferenceSession, input: TensorShape, output: TensorShape) {
    this.ort = ort;
    this.session = session;
    this.inputName = input.name;
    this.outputName = output.name;
    this.inputDim = input.width;
    this.outputDim = output.width;
  }

  /** See {@link loadOnnxModel}. */
  static async load(source: string | Uint8Array, opts: LoadOnnxModelOptions = {}): Promise<OnnxModelRuntime> {
    const threads = opts.intraOpThreads ?? 1;
    if (!Number.isSafeInteger(threads) || threads < 1) {
      throw new Error(`intraOpThreads must be a positive integer; received ${String(opts.intraOpThreads)}`);
    }
    if (typeof source !== 'string' && !(source instanceof Uint8Array)) {
      throw new Error(
        `model source must be a file path or Uint8Array; received ${Object.prototype.toString.call(source)}`,
      );
    }
    const ort = await loadOrt();
    const options: InferenceSession.SessionOptions = {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    };
    let session: InferenceSession;
    try {
      session =
        typeof source === 'string'
          ? await ort.InferenceSession.create(source, options)
          : await ort.InferenceSession.create(source, options);
    } catch (err) {
      const from = typeof source === 'string' ? source : `${source.length} bytes`;
      throw new Error(`failed to load ONNX model from ${from}: ${(err as Error).message}`, { cause: err });
    }
    try {
      const input = singleFloatMatrix('input', session.inputMetadata);
      const output = singleFloatMatrix('output', session.outputMetadata);
      return new OnnxModelRuntime(ort, session, input, output);
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  async predict(features: Float32Array, batch: number): Promise<Float32Array> {
    if (this.closing) throw new Error('ModelRuntime is closed; received a predict call after close()');
    checkPredictInput(features, batch, this.inputDim);
    const tensor = new this.ort.Tensor('float32', features, [batch, this.inputDim]);
    const run = this.session.run({ [this.inputName]: tensor });
    this.inflight.add(run);
    try {
      const result = (await run)[this.outputName];
      const data = result?.data;
      if (!(data instanceof Float32Array) || data.length !== batch * this.outputDim) {
        throw new Error(
          `ONNX model output ${this.outputName} must be float32 with ${batch * this.outputDim} values; received ${result?.type} with ${data?.length} values`,
        );
      }
      return data;
    } finally {
      this.inflight.delete(run);
    }
  }

  /** Waits for in-flight predictions (releasing a session mid-run is unsafe), then releases it. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.inflight]);
      await this.session.release();
    })();
    return this.closing;
  }
}

/**
 * Loads an ONNX model (file path or bytes) into ONNX Runtime on the CPU. The model must have one
 * float32 input `[N, inputDim]` and one float32 output `[N, outputDim]` with fixed widths, as the
 * exporters in this package produce. Session: `intraOpThreads` (default 1) intra-op threads, one
 * inter-op thread, sequential execution, all graph optimisations.
 */
export async function loadOnnxModel(
  source: string | Uint8Array,
  opts?: LoadOnnxModelOptions,
): Promise<ModelRuntime> {
  return OnnxModelRuntime.load(source, opts);
}
