/**
 * An internal node: test `x[feature]` against `threshold` and continue at `left` when the
 * comparison holds (see {@link TreeEnsemble.comparison}), else at `right`. Children are indices
 * into the same tree's node array.
 */
export interface TreeSplit {
  feature: number;
  threshold: number;
  left: number;
  right: number;
}

/** A terminal node contributing `leaf` to the ensemble sum. */
export interface TreeLeaf {
  leaf: number;
}

export type TreeNode = TreeSplit | TreeLeaf;

/**
 * A gradient-boosted ensemble of regression trees. Each tree is an array of nodes whose root is
 * index 0; leaf values already include the learning rate.
 */
export interface TreeEnsemble {
  readonly kind: 'treeEnsemble';
  /** Width of the feature rows the ensemble reads. */
  inputDim: number;
  trees: readonly (readonly TreeNode[])[];
  baseScore: number;
  /** Apply σ(z) = 1 / (1 + e^(−z)) to the sum (binary classification). */
  sigmoid: boolean;
  /**
   * How a split decides "go left". `'leq'` (default, ONNX `BRANCH_LEQ`, LightGBM convention):
   * `x <= threshold`, so a value exactly on the threshold goes left. `'lt'` (ONNX `BRANCH_LT`,
   * XGBoost convention): `x < threshold`, so a value on the threshold goes right.
   */
  comparison?: 'leq' | 'lt';
}

/** Type guard for leaves. */
export function isTreeLeaf(node: TreeNode): node is TreeLeaf {
  return 'leaf' in node;
}

/**
 * Checks feature indices, finite parameters and that every tree is a proper tree rooted at 0
 * (each node reached exactly once, so prediction always terminates); throws an Error naming the
 * first problem and what was received.
 */
export function validateTreeEnsemble(model: TreeEnsemble): void {
  if (!Number.isSafeInteger(model.inputDim) || model.inputDim < 1) {
    throw new Error(`TreeEnsemble inputDim must be a positive integer; received ${model.inputDim}`);
  }
  if (!Number.isFinite(model.baseScore)) {
    throw new Error(`TreeEnsemble baseScore must be finite; received ${model.baseScore}`);
  }
  const comparison = model.comparison ?? 'leq';
  if (comparison !== 'leq' && comparison !== 'lt') {
    throw new Error(`TreeEnsemble comparison must be 'leq' or 'lt'; received ${JSON.stringify(comparison)}`);
  }
  if (model.trees.length === 0) throw new Error('TreeEnsemble must have at least one tree; received 0 trees');
  model.trees.forEach((tree, t) => {
    if (tree.length === 0) throw new Error(`tree ${t} must have at least one node; received 0 nodes`);
    const seen = new Uint8Array(tree.length);
    const stack = [0];
    while (stack.length > 0) {
      const i = stack.pop()!;
      if (seen[i])
        throw new Error(`tree ${t}: node ${i} is reached twice; a tree needs each node to have one parent`);
      seen[i] = 1;
      const node = tree[i]!;
      if (isTreeLeaf(node)) {
        if (!Number.isFinite(node.leaf))
          throw new Error(`tree ${t} node ${i}: leaf must be finite; received ${node.leaf}`);
        continue;
      }
      if (!Number.isSafeInteger(node.feature) || node.feature < 0 || node.feature >= model.inputDim) {
        throw new Error(
          `tree ${t} node ${i}: feature must be an integer in [0, ${model.inputDim}); received ${node.feature}`,
        );
      }
      if (!Number.isFinite(node.threshold)) {
        throw new Error(`tree ${t} node ${i}: threshold must be finite; received ${node.threshold}`);
      }
      for (const child of [node.left, node.right]) {
        if (!Number.isSafeInteger(child) || child < 0 || child >= tree.length) {
          throw new Error(
            `tree ${t} node ${i}: child index must be in [0, ${tree.length}); received ${child}`,
          );
        }
        stack.push(child);
      }
    }
    const orphan = seen.indexOf(0);
    if (orphan >= 0) throw new Error(`tree ${t}: node ${orphan} is not reachable from the root (node 0)`);
  });
}

/**
 * Reference prediction, per row x:
 *
 *   z = baseScore + Σₜ leafₜ(x);  y = σ(z) if `sigmoid`, else z,
 *
 * where leafₜ(x) walks tree t from node 0, going `left` when `x[feature] <= threshold`
 * (`'leq'`) or `x[feature] < threshold` (`'lt'`), else `right`. Thresholds, leaves and the base
 * score are rounded to float32 first because the ONNX export stores them as float32; the
 * comparison itself is then exact, so ties on a threshold resolve identically in both runtimes.
 * Sums accumulate in float64 (ONNX Runtime uses float32, a difference of ~1e-7 relative).
 *
 * @param x row-major `[batch, inputDim]` features.
 * @returns `batch` predictions.
 */
export function treeEnsemblePredict(model: TreeEnsemble, x: Float32Array, batch: number): Float32Array {
  const d = model.inputDim;
  if (x.length !== batch * d) {
    throw new Error(
      `treeEnsemblePredict: x must have batch × inputDim = ${batch * d} values; received ${x.length}`,
    );
  }
  const lt = model.comparison === 'lt';
  const out = new Float32Array(batch);
  const base = Math.fround(model.baseScore);
  for (let r = 0; r < batch; r++) {
    let z = base;
    for (const tree of model.trees) {
      let node = tree[0]!;
      while (!isTreeLeaf(node)) {
        const v = x[r * d + node.feature]!;
        const t = Math.fround(node.threshold);
        node = tree[(lt ? v < t : v <= t) ? node.left : node.right]!;
      }
      z += Math.fround(node.leaf);
    }
    out[r] = model.sigmoid ? 1 / (1 + Math.exp(-Math.fround(z))) : z;
  }
  return out;
}
