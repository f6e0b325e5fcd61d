/**
 * One fully connected layer. `weights` is row-major `[outputDim, inputDim]` (the PyTorch
 * `nn.Linear` layout): the weight from input `i` to output `o` is `weights[o * inputDim + i]`.
 */
export interface DenseLayer {
  inputDim: number;
  outputDim: number;
  weights: Float32Array;
  bias: Float32Array;
}

/**
 * A multilayer perceptron: dense layers with ReLU between them (not after the last) and an
 * optional sigmoid on the output.
 */
export interface Mlp {
  readonly kind: 'mlp';
  layers: readonly DenseLayer[];
  sigmoidOutput: boolean;
}

/**
 * Checks that layer shapes chain and every parameter is finite; throws an Error naming the first
 * problem and what was received.
 */
export function validateMlp(mlp: Mlp): void {
  if (mlp.layers.length === 0) throw new Error('Mlp must have at least one layer; received 0 layers');
  mlp.layers.forEach((layer, l) => {
    for (const key of ['inputDim', 'outputDim'] as const) {
      if (!Number.isSafeInteger(layer[key]) || layer[key] < 1) {
        throw new Error(`Mlp layer ${l}: ${key} must be a positive integer; received ${layer[key]}`);
      }
    }
    if (l > 0 && layer.inputDim !== mlp.layers[l - 1]!.outputDim) {
      throw new Error(
        `Mlp layer ${l}: inputDim must equal layer ${l - 1} outputDim ${mlp.layers[l - 1]!.outputDim}; received ${layer.inputDim}`,
      );
    }
    checkParams(`Mlp layer ${l} weights`, layer.weights, layer.inputDim * layer.outputDim);
    checkParams(`Mlp layer ${l} bias`, layer.bias, layer.outputDim);
  });
}

function checkParams(what: string, values: Float32Array, length: number): void {
  if (!(values instanceof Float32Array)) {
    throw new Error(`${what} must be a Float32Array; received ${Object.prototype.toString.call(values)}`);
  }
  if (values.length !== length)
    throw new Error(`${what} must have ${length} values; received ${values.length}`);
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new Error(`${what} must be finite; received ${values[bad]} at index ${bad}`);
}

/**
 * Reference forward pass, row by row:
 *
 *   h₀ = x;  hₗ₊₁ = relu(Wₗ·hₗ + bₗ) for hidden layers;  y = W_L·h_L + b_L;  y ← σ(y) if `sigmoidOutput`,
 *
 * with σ(z) = 1 / (1 + e^(−z)). Dot products accumulate in float64 and each layer's output is
 * rounded to float32, as ONNX Runtime keeps activations in float32; the two agree to ~1e-6.
 *
 * @param x row-major `[batch, inputDim]` features.
 * @returns row-major `[batch, outputDim]` outputs.
 */
export function mlpForward(mlp: Mlp, x: Float32Array, batch: number): Float32Array {
  const inputDim = mlp.layers[0]!.inputDim;
  if (x.length !== batch * inputDim) {
    throw new Error(
      `mlpForward: x must have batch × inputDim = ${batch * inputDim} values; received ${x.length}`,
    );
  }
  let h = x;
  mlp.layers.forEach((layer, l) => {
    const last = l === mlp.layers.length - 1;
    const { inputDim: n, outputDim: m, weights, bias } = layer;
    const out = new Float32Array(batch * m);
    for (let r = 0; r < batch; r++) {
      for (let o = 0; o < m; o++) {
        let z = bias[o]!;
        for (let i = 0; i < n; i++) z += weights[o * n + i]! * h[r * n + i]!;
        if (!last) z = Math.max(z, 0);
        else if (mlp.sigmoidOutput) z = 1 / (1 + Math.exp(-Math.fround(z)));
        out[r * m + o] = z;
      }
    }
    h = out;
  });
  return h;
}
