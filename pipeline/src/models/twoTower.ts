import { seededRandom } from '@recs/core';
import type { DotProductScorer, Mlp } from '@recs/model-runtime';

/**
 * A two-tower neural retrieval model trained in TypeScript (the pipeline's neural candidate model).
 *
 * - Query tower: a weighted bag of items (a cart, or a customer's history) → the mean of their
 *   learned item embeddings plus a bias → ReLU → a dense layer → the query vector u (`dim`).
 * - Item tower: a free item embedding plus a learned linear map of the item's content embedding
 *   (TF-IDF → SVD of its title), so an item's vector carries what its title says.
 * - Score of item i for a query: u · v_i.
 *
 * Trained with a sampled softmax over leave-one-out examples of invoices (the other products of an
 * invoice predict the held-out one): each batch shares `negatives` items drawn from popularity^0.75,
 * with the log-Q correction of the sampling, and the held-out item is never its own negative. Adam on
 * every parameter (lazy for the embedding rows a batch touches). Seeded and deterministic.
 */
export interface TwoTowerOptions {
  /** Width of the query vector and the item vectors. Default 32. */
  dim?: number;
  /** Width of the query tower's hidden layer (its item embeddings). Default 64. */
  hidden?: number;
  /** Sampled negatives shared by a batch. Default 128. */
  negatives?: number;
  /** Examples per batch. Default 256. */
  batch?: number;
  /** Passes over the invoices. Default 8. */
  epochs?: number;
  /** Held-out items drawn per invoice and epoch. Default 2. */
  targetsPerInvoice?: number;
  /** At most this many items of an invoice form the bag of an example. Default 40. */
  maxBag?: number;
  /** Adam step size. Default 0.005. */
  learningRate?: number;
  seed?: number;
}

export interface TwoTowerModel {
  /** Items of the catalogue. */
  n: number;
  dim: number;
  hidden: number;
  contentDim: number;
  /** Query tower: row-major `n × hidden` item embeddings averaged over the bag. */
  bag: Float32Array;
  /** Query tower: `hidden` bias added to the bag mean. */
  bagBias: Float32Array;
  /** Query tower: row-major `dim × hidden` dense layer. */
  weights: Float32Array;
  /** Query tower: `dim` bias of the dense layer. */
  bias: Float32Array;
  /** Item tower: row-major `dim × contentDim` map of a content embedding into item space. */
  contentMap: Float32Array;
  /** Item tower output for every catalogue item: row-major `n × dim`. */
  itemVectors: Float32Array;
}

/** A parameter tensor with its Adam moments. */
interface Param {
  w: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-8;

function param(size: number, scale: number, rand: () => number): Param {
  const w = new Float32Array(size);
  for (let i = 0; i < size; i++) w[i] = (rand() * 2 - 1) * scale;
  return { w, m: new Float32Array(size), v: new Float32Array(size) };
}

/** One Adam step on the entries [from, to) of `p`; `g[k]` is the gradient of entry `from + k`. */
function adam(p: Param, g: Float32Array, from: number, to: number, lr: number, t: number) {
  const c1 = 1 - Math.pow(BETA1, t);
  const c2 = 1 - Math.pow(BETA2, t);
  const step = (lr * Math.sqrt(c2)) / c1;
  for (let i = from; i < to; i++) {
    const gi = g[i - from]!;
    const m = (p.m[i] = BETA1 * p.m[i]! + (1 - BETA1) * gi);
    const v = (p.v[i] = BETA2 * p.v[i]! + (1 - BETA2) * gi * gi);
    p.w[i]! -= (step * m) / (Math.sqrt(v) + EPS);
  }
}

/** Item vectors v_i = E_i + P c_i for every item. */
function itemTower(
  free: Float32Array,
  contentMap: Float32Array,
  content: Float32Array,
  n: number,
  dim: number,
  contentDim: number,
): Float32Array {
  const out = free.slice(0, n * dim);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < dim; a++) {
      let s = 0;
      for (let c = 0; c < contentDim; c++)
        s += contentMap[a * contentDim + c]! * content[i * contentDim + c]!;
      out[i * dim + a]! += s;
    }
  }
  return out;
}

/**
 * Trains the model on the invoices (`baskets`: distinct item indices per invoice) of an `n`-item
 * catalogue whose items have the row-major `n × contentDim` content embeddings `content`.
 */
export function trainTwoTower(
  baskets: readonly Int32Array[],
  n: number,
  content: Float32Array,
  contentDim: number,
  opts: TwoTowerOptions = {},
): TwoTowerModel {
  const dim = opts.dim ?? 32;
  const hidden = opts.hidden ?? 64;
  const negatives = Math.min(opts.negatives ?? 128, Math.max(1, n - 1));
  const batch = opts.batch ?? 256;
  const epochs = opts.epochs ?? 8;
  const perInvoice = opts.targetsPerInvoice ?? 2;
  const maxBag = opts.maxBag ?? 40;
  const lr = opts.learningRate ?? 0.005;
  const rand = seededRandom(opts.seed ?? 7);
  const bag = param(n * hidden, 0.1, rand);
  const bagBias = param(hidden, 0, rand);
  const weights = param(dim * hidden, Math.sqrt(6 / (dim + hidden)), rand);
  const bias = param(dim, 0, rand);
  const free = param(n * dim, 0.1, rand);
  const contentMap = param(dim * contentDim, Math.sqrt(6 / (dim + contentDim)) * 0.1, rand);

  // Sampling distribution: invoices per item ^ 0.75, as a cumulative table.
  const counts = new Float64Array(n);
  for (const b of baskets) for (const i of b) counts[i]! += 1;
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) cumulative[i] = total += Math.pow(counts[i]!, 0.75);
  const logQ = Float32Array.from(counts, (c) => Math.log((negatives * Math.pow(c, 0.75)) / total || 1e-12));
  const draw = (): number => {
    const x = rand() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };

  const usable = baskets.filter((b) => b.length >= 2);
  // Work arrays of one batch.
  const cands = new Int32Array(negatives);
  const candVec = new Float32Array(negatives * dim);
  const candGrad = new Float32Array(negatives * dim);
  const posVec = new Float32Array(dim);
  const x = new Float32Array(hidden);
  const u = new Float32Array(dim);
  const du = new Float32Array(dim);
  const dx = new Float32Array(hidden);
  const logits = new Float32Array(negatives + 1);
  const gWeights = new Float32Array(dim * hidden);
  const gBias = new Float32Array(dim);
  const gBagBias = new Float32Array(hidden);
  const gContentMap = new Float32Array(dim * contentDim);
  const gBag = new Map<number, Float32Array>();
  const gFree = new Map<number, Float32Array>();
  const row = (m: Map<number, Float32Array>, i: number, width: number) => {
    let r = m.get(i);
    if (!r) m.set(i, (r = new Float32Array(width)));
    return r;
  };
  const vectorOf = (i: number, out: Float32Array, offset: number) => {
    for (let a = 0; a < dim; a++) {
      let s = free.w[i * dim + a]!;
      for (let c = 0; c < contentDim; c++)
        s += contentMap.w[a * contentDim + c]! * content[i * contentDim + c]!;
      out[offset + a] = s;
    }
  };

  let step = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    // Examples of this epoch: (invoice, held-out position), shuffled.
    const examples: [number, number][] = [];
    usable.forEach((b, k) => {
      for (let t = 0; t < Math.min(perInvoice, b.length); t++)
        examples.push([k, Math.floor(rand() * b.length)]);
    });
    for (let i = examples.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [examples[i], examples[j]] = [examples[j]!, examples[i]!];
    }
    for (let start = 0; start < examples.length; start += batch) {
      const end = Math.min(examples.length, start + batch);
      const scale = 1 / (end - start);
      for (let s = 0; s < negatives; s++) {
        cands[s] = draw();
        vectorOf(cands[s]!, candVec, s * dim);
      }
      candGrad.fill(0);
      gWeights.fill(0);
      gBias.fill(0);
      gBagBias.fill(0);
      gContentMap.fill(0);
      gBag.clear();
      gFree.clear();
      for (let e = start; e < end; e++) {
        const [k, held] = examples[e]!;
        const invoice = usable[k]!;
        const target = invoice[held]!;
        // The bag: the invoice without the held-out item, at most maxBag of them.
        const members: number[] = [];
        for (let j = 0; j < invoice.length; j++) if (j !== held) members.push(invoice[j]!);
        while (members.length > maxBag) members.splice(Math.floor(rand() * members.length), 1);
        const w = 1 / members.length;
        x.set(bagBias.w);
        for (const j of members) for (let h = 0; h < hidden; h++) x[h]! += w * bag.w[j * hidden + h]!;
        for (let h = 0; h < hidden; h++) if (x[h]! < 0) x[h] = 0;
        for (let a = 0; a < dim; a++) {
          let s = bias.w[a]!;
          for (let h = 0; h < hidden; h++) s += weights.w[a * hidden + h]! * x[h]!;
          u[a] = s;
        }
        vectorOf(target, posVec, 0);
        let max = -Infinity;
        let dot = 0;
        for (let a = 0; a < dim; a++) dot += u[a]! * posVec[a]!;
        logits[0] = dot - logQ[target]!;
        max = logits[0]!;
        for (let s = 0; s < negatives; s++) {
          if (cands[s] === target) {
            logits[s + 1] = -Infinity;
            continue;
          }
          let d = 0;
          for (let a = 0; a < dim; a++) d += u[a]! * candVec[s * dim + a]!;
          logits[s + 1] = d - logQ[cands[s]!]!;
          if (logits[s + 1]! > max) max = logits[s + 1]!;
        }
        let z = 0;
        for (let s = 0; s <= negatives; s++) z += logits[s] = Math.exp(logits[s]! - max);
        // d loss / d logit = softmax − one-hot, averaged over the batch.
        du.fill(0);
        const gPos = (logits[0]! / z - 1) * scale;
        const posRow = row(gFree, target, dim);
        for (let a = 0; a < dim; a++) {
          du[a]! += gPos * posVec[a]!;
          posRow[a]! += gPos * u[a]!;
        }
        for (let s = 0; s < negatives; s++) {
          const g = (logits[s + 1]! / z) * scale;
          if (g === 0) continue;
          for (let a = 0; a < dim; a++) {
            du[a]! += g * candVec[s * dim + a]!;
            candGrad[s * dim + a]! += g * u[a]!;
          }
        }
        // Back through the query tower.
        dx.fill(0);
        for (let a = 0; a < dim; a++) {
          const g = du[a]!;
          gBias[a]! += g;
          for (let h = 0; h < hidden; h++) {
            gWeights[a * hidden + h]! += g * x[h]!;
            dx[h]! += g * weights.w[a * hidden + h]!;
          }
        }
        for (let h = 0; h < hidden; h++) {
          if (x[h]! <= 0) dx[h] = 0;
          gBagBias[h]! += dx[h]!;
        }
        for (const j of members) {
          const r = row(gBag, j, hidden);
          for (let h = 0; h < hidden; h++) r[h]! += w * dx[h]!;
        }
      }
      for (let s = 0; s < negatives; s++) {
        const r = row(gFree, cands[s]!, dim);
        for (let a = 0; a < dim; a++) r[a]! += candGrad[s * dim + a]!;
      }
      // Item-tower gradients reach the content map through every touched item's content embedding.
      for (const [i, g] of gFree) {
        for (let a = 0; a < dim; a++) {
          const ga = g[a]!;
          if (ga === 0) continue;
          for (let c = 0; c < contentDim; c++)
            gContentMap[a * contentDim + c]! += ga * content[i * contentDim + c]!;
        }
      }
      step++;
      adam(weights, gWeights, 0, weights.w.length, lr, step);
      adam(bias, gBias, 0, dim, lr, step);
      adam(bagBias, gBagBias, 0, hidden, lr, step);
      adam(contentMap, gContentMap, 0, contentMap.w.length, lr, step);
      for (const [i, g] of gBag) adam(bag, g, i * hidden, (i + 1) * hidden, lr, step);
      for (const [i, g] of gFree) adam(free, g, i * dim, (i + 1) * dim, lr, step);
    }
  }
  return {
    n,
    dim,
    hidden,
    contentDim,
    bag: bag.w,
    bagBias: bagBias.w,
    weights: weights.w,
    bias: bias.w,
    contentMap: contentMap.w,
    itemVectors: itemTower(free.w, contentMap.w, content, n, dim, contentDim),
  };
}

/** The query vector of a bag of items with weights (default 1 each); null for an empty bag. */
export function twoTowerQuery(
  m: TwoTowerModel,
  items: ArrayLike<number>,
  weights?: ArrayLike<number>,
): Float32Array | null {
  let total = 0;
  for (let k = 0; k < items.length; k++) total += weights ? weights[k]! : 1;
  if (items.length === 0 || total <= 0) return null;
  const x = Float32Array.from(m.bagBias);
  for (let k = 0; k < items.length; k++) {
    const w = (weights ? weights[k]! : 1) / total;
    const i = items[k]!;
    for (let h = 0; h < m.hidden; h++) x[h]! += w * m.bag[i * m.hidden + h]!;
  }
  const u = new Float32Array(m.dim);
  for (let a = 0; a < m.dim; a++) {
    let s = m.bias[a]!;
    for (let h = 0; h < m.hidden; h++) s += m.weights[a * m.hidden + h]! * Math.max(0, x[h]!);
    u[a] = s;
  }
  return u;
}

/** Scores of every catalogue item for a bag into `out` (left at 0 for an empty bag). */
export function twoTowerScores(
  m: TwoTowerModel,
  items: ArrayLike<number>,
  out: Float32Array,
  weights?: ArrayLike<number>,
): void {
  const u = twoTowerQuery(m, items, weights);
  if (!u) return;
  for (let i = 0; i < m.n; i++) {
    let s = 0;
    for (let a = 0; a < m.dim; a++) s += u[a]! * m.itemVectors[i * m.dim + a]!;
    out[i] = s;
  }
}

/**
 * The model as the two networks ONNX Runtime serves ({@link exportMlp}, {@link exportDotProductScorer}):
 * - `query`: an {@link Mlp} from a bag's weights over the catalogue (row `[n]`, weights summing to
 *   1) to its query vector: the first layer holds the query tower's item embeddings transposed
 *   (`[hidden, n]`) with the bag bias, then ReLU, then the dense layer. Its output can also query a
 *   vector index of `itemVectors`.
 * - `items`: a {@link DotProductScorer} from query vectors to the scores of every item.
 */
export function twoTowerNetworks(m: TwoTowerModel): { query: Mlp; items: DotProductScorer } {
  const first = new Float32Array(m.hidden * m.n);
  for (let i = 0; i < m.n; i++)
    for (let h = 0; h < m.hidden; h++) first[h * m.n + i] = m.bag[i * m.hidden + h]!;
  return {
    query: {
      kind: 'mlp',
      sigmoidOutput: false,
      layers: [
        { inputDim: m.n, outputDim: m.hidden, weights: first, bias: m.bagBias },
        { inputDim: m.hidden, outputDim: m.dim, weights: m.weights, bias: m.bias },
      ],
    },
    items: { kind: 'dotProduct', dim: m.dim, itemCount: m.n, items: m.itemVectors },
  };
}
