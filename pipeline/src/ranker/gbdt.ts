import type { TreeEnsemble, TreeNode } from '@recs/model-runtime';

/** Options of {@link trainGbdt}. */
export interface GbdtOptions {
  /** Boosting rounds. Default 150. */
  trees?: number;
  /** Maximum depth of each tree. Default 5. */
  depth?: number;
  /** Shrinkage applied to each leaf. Default 0.1. */
  learningRate?: number;
  /** Minimum rows in a leaf. Default 50. */
  minLeaf?: number;
  /** Histogram bins per feature. Default 64. */
  bins?: number;
  /** L2 regularisation of leaf values. Default 1. */
  l2?: number;
  /**
   * `'logistic'` (pointwise, default) or `'lambdarank'` (LambdaMART: pairwise gradients inside each
   * group, weighted by the NDCG change of swapping the pair; needs `groups`).
   */
  objective?: 'logistic' | 'lambdarank';
  /** Row offsets of the groups (requests), ascending, from 0 to the row count: group q is rows [groups[q], groups[q + 1]). */
  groups?: Int32Array;
  /** Called after each tree (progress reporting). */
  onTree?: (done: number, total: number) => void;
}

/**
 * Gradient-boosted regression trees with logistic loss (the second-order "XGBoost" formulation on
 * feature histograms): each round fits a tree to the gradient g = p − y and hessian h = p(1 − p) of the
 * current predictions, with leaf value −Σg / (Σh + l2) · learningRate and split gain
 * G_L²/(H_L+l2) + G_R²/(H_R+l2) − G²/(H+l2). Rows are `x[r * dim + f]`; labels are 0 or 1.
 * The result is a {@link TreeEnsemble} (comparison `leq`, sigmoid on), which exports to ONNX.
 *
 * With `objective: 'lambdarank'` (Burges, "From RankNet to LambdaRank to LambdaMART", MSR-TR-2010-82)
 * the gradients come from pairs (i, j) of one group with y_i > y_j: with ρ = 1 / (1 + e^{s_i − s_j}) and
 * |ΔNDCG_ij| the change of the group's NDCG when i and j swap places in the current ranking,
 *   g_i −= ρ |ΔNDCG_ij|,  g_j += ρ |ΔNDCG_ij|,  h_i, h_j += ρ (1 − ρ) |ΔNDCG_ij|.
 * Only the order of scores within a request matters then; the sigmoid of the output is kept so the
 * exported model has the same shape, but its values are no longer probabilities.
 */
export function trainGbdt(
  x: Float32Array,
  dim: number,
  y: Float32Array,
  opts: GbdtOptions = {},
): TreeEnsemble {
  const rows = y.length;
  if (x.length !== rows * dim)
    throw new Error(`trainGbdt: expected ${rows} x ${dim} features; received ${x.length}`);
  const trees = opts.trees ?? 150;
  const maxDepth = opts.depth ?? 5;
  const lr = opts.learningRate ?? 0.1;
  const minLeaf = opts.minLeaf ?? 50;
  const l2 = opts.l2 ?? 1;
  const bins = opts.bins ?? 64;
  if (!(bins >= 2 && bins <= MAX_BINS))
    throw new Error(`trainGbdt: bins must be in 2..${MAX_BINS}; received ${bins}`);
  const { binned, edges } = binFeatures(x, rows, dim, bins);
  const stride = bins * 3;
  const lambdarank = opts.objective === 'lambdarank';
  const groups = opts.groups;
  if (lambdarank && (!groups || groups[0] !== 0 || groups[groups.length - 1] !== rows))
    throw new Error('trainGbdt: lambdarank needs groups covering rows 0..rows');
  let positives = 0;
  for (const v of y) positives += v;
  const mean = Math.min(1 - 1e-6, Math.max(1e-6, positives / Math.max(1, rows)));
  const baseScore = lambdarank ? 0 : Math.log(mean / (1 - mean));
  const f = new Float64Array(rows).fill(baseScore);
  const g = new Float64Array(rows);
  const h = new Float64Array(rows);
  const out: TreeNode[][] = [];
  for (let t = 0; t < trees; t++) {
    if (lambdarank) {
      lambdaGradients(f, y, groups!, g, h);
    } else {
      for (let r = 0; r < rows; r++) {
        const p = 1 / (1 + Math.exp(-f[r]!));
        g[r] = p - y[r]!;
        h[r] = Math.max(p * (1 - p), 1e-12);
      }
    }
    const order = Int32Array.from({ length: rows }, (_, i) => i);
    const nodes: TreeNode[] = [];
    // A node owns order[start, end); children are partitioned in place. Only the smaller child's
    // histogram is built from rows; the larger one's is the parent's minus it.
    const grow = (start: number, end: number, depth: number, hist: Float64Array): number => {
      const id = nodes.length;
      let gs = 0;
      let hs = 0;
      for (let b = 0; b < stride; b += 3) {
        gs += hist[b]!;
        hs += hist[b + 1]!;
      }
      const leaf = (-gs / (hs + l2)) * lr;
      nodes.push({ leaf });
      const count = end - start;
      const split =
        depth >= maxDepth || count < 2 * minLeaf
          ? undefined
          : bestSplit(hist, edges, dim, bins, count, gs, hs, l2, minLeaf);
      if (!split) {
        // the node's rows are exactly order[start, end): update their predictions directly
        for (let i = start; i < end; i++) f[order[i]!]! += leaf;
        return id;
      }
      let mid = start;
      for (let i = start; i < end; i++) {
        const r = order[i]!;
        if (binned[r * dim + split.feature]! <= split.bin) {
          order[i] = order[mid]!;
          order[mid++] = r;
        }
      }
      const leftSmaller = mid - start <= end - mid;
      const small = leftSmaller ? buildHistogram(start, mid) : buildHistogram(mid, end);
      const large = new Float64Array(dim * stride);
      for (let k = 0; k < large.length; k++) large[k] = hist[k]! - small[k]!;
      const node = { feature: split.feature, threshold: split.threshold, left: 0, right: 0 };
      nodes[id] = node;
      node.left = grow(start, mid, depth + 1, leftSmaller ? small : large);
      node.right = grow(mid, end, depth + 1, leftSmaller ? large : small);
      return id;
    };
    /** Per feature and bin: (Σg, Σh, count) interleaved, for the rows order[start, end). */
    const buildHistogram = (start: number, end: number): Float64Array => {
      const hist = new Float64Array(dim * stride);
      for (let i = start; i < end; i++) {
        const r = order[i]!;
        const gr = g[r]!;
        const hr = h[r]!;
        const base = r * dim;
        for (let f = 0; f < dim; f++) {
          const k = f * stride + binned[base + f]! * 3;
          hist[k]! += gr;
          hist[k + 1]! += hr;
          hist[k + 2]! += 1;
        }
      }
      return hist;
    };
    grow(0, order.length, 0, buildHistogram(0, order.length));
    out.push(nodes);
    opts.onTree?.(t + 1, trees);
  }
  return { kind: 'treeEnsemble', inputDim: dim, trees: out, baseScore, sigmoid: true, comparison: 'leq' };
}

/**
 * LambdaRank gradients and hessians (see {@link trainGbdt}) of the scores `f` for every group: gains
 * 2^y − 1, discounts 1 / log2(2 + rank) in the current order, normalised by the group's ideal DCG.
 * Groups without a positive label get zero gradients.
 */
export function lambdaGradients(
  f: Float64Array,
  y: Float32Array,
  groups: Int32Array,
  g: Float64Array,
  h: Float64Array,
): void {
  g.fill(0);
  h.fill(0);
  for (let q = 0; q + 1 < groups.length; q++) {
    const start = groups[q]!;
    const end = groups[q + 1]!;
    const size = end - start;
    if (size < 2) continue;
    const order = Array.from({ length: size }, (_, k) => start + k).sort((a, b) => f[b]! - f[a]!);
    const rank = new Int32Array(size);
    order.forEach((r, k) => (rank[r - start] = k));
    const ideal = Array.from({ length: size }, (_, k) => y[start + k]!).sort((a, b) => b - a);
    let idcg = 0;
    ideal.forEach((v, k) => (idcg += (2 ** v - 1) / Math.log2(2 + k)));
    if (idcg <= 0) continue;
    for (let i = start; i < end; i++) {
      const yi = y[i]!;
      if (yi <= 0) continue;
      for (let j = start; j < end; j++) {
        if (y[j]! >= yi) continue;
        const delta = Math.abs(
          ((2 ** yi - 2 ** y[j]!) *
            (1 / Math.log2(2 + rank[i - start]!) - 1 / Math.log2(2 + rank[j - start]!))) /
            idcg,
        );
        const rho = 1 / (1 + Math.exp(f[i]! - f[j]!));
        g[i]! -= rho * delta;
        g[j]! += rho * delta;
        const w = Math.max(rho * (1 - rho) * delta, 1e-12);
        h[i]! += w;
        h[j]! += w;
      }
    }
  }
  // rows that took part in no pair keep a tiny hessian so leaf values stay finite
  for (let r = 0; r < h.length; r++) if (h[r]! === 0) h[r] = 1e-12;
}

/** Bin indices are bytes. */
const MAX_BINS = 256;

interface Split {
  feature: number;
  bin: number;
  threshold: number;
}

function bestSplit(
  hist: Float64Array,
  edges: Float32Array[],
  dim: number,
  bins: number,
  count: number,
  gs: number,
  hs: number,
  l2: number,
  minLeaf: number,
): Split | undefined {
  const stride = bins * 3;
  const parent = (gs * gs) / (hs + l2);
  let best: Split | undefined;
  let bestGain = 1e-9;
  for (let f = 0; f < dim; f++) {
    const e = edges[f]!;
    let gl = 0;
    let hl = 0;
    let cl = 0;
    for (let b = 0; b < e.length - 1; b++) {
      const k = f * stride + b * 3;
      gl += hist[k]!;
      hl += hist[k + 1]!;
      cl += hist[k + 2]!;
      if (cl < minLeaf) continue;
      if (count - cl < minLeaf) break;
      const gr = gs - gl;
      const hr = hs - hl;
      const gain = (gl * gl) / (hl + l2) + (gr * gr) / (hr + l2) - parent;
      if (gain > bestGain) {
        bestGain = gain;
        best = { feature: f, bin: b, threshold: e[b]! };
      }
    }
  }
  return best;
}

/**
 * Quantile bins per feature: `edges[f]` holds ascending float32 upper bounds taken from the data, the
 * last one +Infinity; a value goes to the first bin whose bound it does not exceed, so "bin ≤ b" is
 * exactly "x ≤ edges[f][b]" and a split exports as that threshold.
 */
function binFeatures(
  x: Float32Array,
  rows: number,
  dim: number,
  maxBins: number,
): { binned: Uint8Array; edges: Float32Array[] } {
  const binned = new Uint8Array(rows * dim);
  const edges: Float32Array[] = [];
  const sampleStep = Math.max(1, Math.floor(rows / 20_000));
  for (let f = 0; f < dim; f++) {
    const sample: number[] = [];
    for (let r = 0; r < rows; r += sampleStep) sample.push(x[r * dim + f]!);
    sample.sort((a, b) => a - b);
    const bounds: number[] = [];
    for (let q = 1; q < maxBins; q++) {
      const v = sample[Math.min(sample.length - 1, Math.floor((q * sample.length) / maxBins))]!;
      if (bounds.length === 0 || v > bounds[bounds.length - 1]!) bounds.push(v);
    }
    if (bounds.length && bounds[bounds.length - 1] === sample[sample.length - 1]) bounds.pop();
    bounds.push(Infinity);
    const e = Float32Array.from(bounds);
    for (let r = 0; r < rows; r++) {
      const v = x[r * dim + f]!;
      let lo = 0;
      let hi = e.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (v <= e[mid]!) hi = mid;
        else lo = mid + 1;
      }
      binned[r * dim + f] = lo;
    }
    edges.push(e);
  }
  return { binned, edges };
}
