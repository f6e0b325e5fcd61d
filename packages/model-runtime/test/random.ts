import type { Mlp } from '../src/Mlp';
import type { TreeEnsemble, TreeNode } from '../src/TreeEnsemble';

import { seededRandom } from '@recs/core';

export { seededRandom };

export function uniform(rng: () => number, lo: number, hi: number): number {
  return lo + (hi - lo) * rng();
}

/** The adjacent float32 above (`+1`) or below (`-1`) a finite float32 value. */
export function nextFloat32(value: number, direction: 1 | -1): number {
  const view = new DataView(new ArrayBuffer(4));
  if (value === 0) return direction * 1.401298464324817e-45;
  view.setFloat32(0, value);
  const bits = view.getInt32(0);
  // For negatives the magnitude grows with the bit pattern, so the step flips.
  view.setInt32(0, bits + (value > 0 ? direction : -direction));
  return view.getFloat32(0);
}

/** An MLP with He-uniform weights and small biases; `sizes` = [input, hidden…, output]. */
export function randomMlp(rng: () => number, sizes: readonly number[], sigmoidOutput: boolean): Mlp {
  const layers = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const inputDim = sizes[l]!;
    const outputDim = sizes[l + 1]!;
    const a = Math.sqrt(6 / inputDim);
    const weights = Float32Array.from({ length: inputDim * outputDim }, () => uniform(rng, -a, a));
    const bias = Float32Array.from({ length: outputDim }, () => uniform(rng, -0.1, 0.1));
    layers.push({ inputDim, outputDim, weights, bias });
  }
  return { kind: 'mlp', layers, sigmoidOutput };
}

/**
 * A random ensemble of trees up to `depth` levels (some branches stop early). Thresholds are
 * float64 values, deliberately not float32-representable, to exercise the float32 rounding.
 */
export function randomTreeEnsemble(
  rng: () => number,
  opts: { trees: number; depth: number; inputDim: number; sigmoid: boolean; comparison: 'leq' | 'lt' },
): TreeEnsemble {
  const trees: TreeNode[][] = [];
  for (let t = 0; t < opts.trees; t++) {
    const nodes: TreeNode[] = [];
    const grow = (level: number): number => {
      const index = nodes.length;
      if (level === opts.depth || (level > 0 && rng() < 0.15)) {
        nodes.push({ leaf: uniform(rng, -0.3, 0.3) });
        return index;
      }
      const split = {
        feature: Math.floor(rng() * opts.inputDim),
        threshold: uniform(rng, -1, 1),
        left: -1,
        right: -1,
      };
      nodes.push(split);
      split.left = grow(level + 1);
      split.right = grow(level + 1);
      return index;
    };
    grow(0);
    trees.push(nodes);
  }
  return {
    kind: 'treeEnsemble',
    inputDim: opts.inputDim,
    trees,
    baseScore: 0.1,
    sigmoid: opts.sigmoid,
    comparison: opts.comparison,
  };
}

/** Every split threshold of the ensemble, rounded to float32, grouped by feature. */
export function thresholdsByFeature(model: TreeEnsemble): number[][] {
  const byFeature: number[][] = Array.from({ length: model.inputDim }, () => []);
  for (const tree of model.trees) {
    for (const node of tree)
      if (!('leaf' in node)) byFeature[node.feature]!.push(Math.fround(node.threshold));
  }
  return byFeature;
}

/**
 * `rows × dim` features: 30% of cells exactly on a threshold of that feature, 10% one float32 ulp
 * either side of one, the rest uniform in [-1.5, 1.5].
 */
export function rowsNearThresholds(
  rng: () => number,
  rows: number,
  dim: number,
  thresholds: readonly (readonly number[])[],
): Float32Array {
  const x = new Float32Array(rows * dim);
  for (let i = 0; i < x.length; i++) {
    const pool = thresholds[i % dim]!;
    const u = rng();
    if (pool.length > 0 && u < 0.4) {
      const t = pool[Math.floor(rng() * pool.length)]!;
      x[i] = u < 0.3 ? t : nextFloat32(t, rng() < 0.5 ? 1 : -1);
    } else {
      x[i] = uniform(rng, -1.5, 1.5);
    }
  }
  return x;
}

/** Largest |a[i] − b[i]|; throws on length mismatch so a short output cannot pass. */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}
