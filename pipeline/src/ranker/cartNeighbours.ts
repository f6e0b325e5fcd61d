import type { CandidateModels } from '../models/candidateModels';
import { textScores } from '../models/textSimilarity';

/**
 * Per item, its strongest neighbours in one model, compressed row storage: item i's neighbours are
 * `items[offsets[i] .. offsets[i + 1])` in no particular order, with their scores in `values`. Never the
 * item itself.
 */
export interface NeighbourLists {
  offsets: Int32Array;
  items: Int32Array;
  values: Float32Array;
}

/**
 * The CART candidate sources as sparse neighbour lists, computed once per model: basket EASE (B_ij: the
 * highest weights, and the most negative ones), the cosine of invoice co-occurrence (c_ij / √(s_i s_j))
 * and title similarity. A request sums a few hundred entries per cart item instead of reading a
 * catalogue-length row of each model.
 */
export interface CartNeighbours {
  ease: NeighbourLists;
  /** The most negative EASE weights: a cart item that speaks against a product lowers its sum. */
  easeNegative: NeighbourLists;
  cosine: NeighbourLists;
  text: NeighbourLists;
}

/**
 * Entries kept per item and list. Each is well above the candidates a source gives a one-item cart
 * (60 EASE, 20 cosine, 20 title), so a one-item cart gets exactly the positive-scored candidates of a
 * dense pass (the dense pass also padded a short list with zero-scored products, lowest index first;
 * the lists do not). For larger
 * carts these sizes gave the dense pass's CART and PRODUCT numbers within the ranker's seed noise, where
 * 200 / none / 100 / 100 lost 0.004 HR on CART (docs/evaluation/tuning.md, "CART candidates from
 * neighbour lists").
 */
export const NEIGHBOURS_PER_ITEM = { ease: 400, easeNegative: 200, cosine: 200, text: 200 } as const;

const cache = new WeakMap<CandidateModels, CartNeighbours>();

/** The CART candidates of each neighbour source, best first. */
export interface CartCandidates {
  ease: number[];
  cosine: number[];
  content: number[];
}

let scratch: { acc: Float32Array[]; mark: Uint8Array; touched: Int32Array } | undefined;

/**
 * For each source, the `limit` items with the highest sum over the cart of their neighbour-list scores,
 * skipping `exclude` (ties by lower index). Reads only the cart items' lists: a few hundred entries per
 * item whatever the catalogue size. The accumulators are reused across calls and only the entries a
 * call touched are reset.
 */
export function cartCandidates(
  m: CandidateModels,
  cart: ArrayLike<number>,
  exclude: ReadonlySet<number>,
  limit: { ease: number; cosine: number; content: number },
): CartCandidates {
  const nb = cartNeighbours(m);
  const n = m.matrix.items.length;
  if (!scratch || scratch.mark.length !== n)
    scratch = {
      acc: [new Float32Array(n), new Float32Array(n), new Float32Array(n)],
      mark: new Uint8Array(n),
      touched: new Int32Array(n),
    };
  const { acc, mark, touched } = scratch;
  let size = 0;
  // the EASE lists (positive and negative) add into the first accumulator
  const sources = [nb.ease, nb.easeNegative, nb.cosine, nb.text];
  const into = [0, 0, 1, 2];
  for (let s = 0; s < sources.length; s++) {
    const a = acc[into[s]!]!;
    const { offsets, items, values } = sources[s]!;
    for (let k = 0; k < cart.length; k++) {
      const i = cart[k]!;
      const end = offsets[i + 1]!;
      for (let p = offsets[i]!; p < end; p++) {
        const j = items[p]!;
        if (mark[j] === 0) {
          mark[j] = 1;
          touched[size++] = j;
        }
        a[j]! += values[p]!;
      }
    }
  }
  // the cart's own items are never candidates: their sums are cleared before the selection
  for (let t = 0; t < size; t++) {
    const j = touched[t]!;
    if (exclude.has(j)) acc[0]![j] = acc[1]![j] = acc[2]![j] = 0;
  }
  const out: CartCandidates = {
    ease: best(touched, size, acc[0]!, limit.ease),
    cosine: best(touched, size, acc[1]!, limit.cosine),
    content: best(touched, size, acc[2]!, limit.content),
  };
  for (let t = 0; t < size; t++) {
    const j = touched[t]!;
    acc[0]![j] = acc[1]![j] = acc[2]![j] = 0;
    mark[j] = 0;
  }
  return out;
}

/** The `k` of `items[0 .. size)` with the highest positive `scores`, best first, ties by lower index. */
function best(items: Int32Array, size: number, scores: Float32Array, k: number): number[] {
  const top: number[] = [];
  if (k <= 0) return top;
  const better = (a: number, b: number) => scores[a]! > scores[b]! || (scores[a] === scores[b] && a < b);
  for (let t = 0; t < size; t++) {
    const j = items[t]!;
    const v = scores[j]!;
    if (!(v > 0)) continue;
    if (top.length === k) {
      // most entries lose to the current k-th at once: one comparison, no call
      const last = top[k - 1]!;
      const lv = scores[last]!;
      if (v < lv || (v === lv && j > last)) continue;
    }
    let pos = top.length === k ? k - 1 : top.length;
    while (pos > 0 && better(j, top[pos - 1]!)) pos--;
    if (top.length === k) top.pop();
    top.splice(pos, 0, j);
  }
  return top;
}

/** Builds in progress, one generator per model, shared by every caller until it finishes. */
const building = new WeakMap<CandidateModels, Generator<void, CartNeighbours>>();

function buildOf(m: CandidateModels): Generator<void, CartNeighbours> {
  let steps = building.get(m);
  if (!steps) building.set(m, (steps = buildCartNeighbours(m)));
  return steps;
}

function finished(m: CandidateModels, nb: CartNeighbours): CartNeighbours {
  cache.set(m, nb);
  building.delete(m);
  return nb;
}

/**
 * The neighbour lists of a model, built on first use (O(n²) over the dense models: about 1.4 s at
 * 3,751 products, 6.5 s at 10,000) and kept for the model's lifetime. Servers build them with
 * {@link prepareCartNeighbours} when they load a version, so no request pays for them. A call during
 * that build finishes it synchronously (the same build, not a second one).
 */
/** Whether the neighbour lists of `m` are built (by {@link prepareCartNeighbours} or a first use). */
export function cartNeighboursBuilt(m: CandidateModels): boolean {
  return cache.has(m);
}

export function cartNeighbours(m: CandidateModels): CartNeighbours {
  const done = cache.get(m);
  if (done) return done;
  const steps = buildOf(m);
  let r = steps.next();
  while (!r.done) r = steps.next();
  return finished(m, r.value);
}

/**
 * Builds the neighbour lists of a model in slices of {@link ROWS_PER_SLICE} rows, yielding to the event
 * loop between slices: a server loading a new version keeps answering with the old one meanwhile.
 * Concurrent calls share one build.
 */
export async function prepareCartNeighbours(m: CandidateModels): Promise<CartNeighbours> {
  for (;;) {
    const done = cache.get(m);
    if (done) return done;
    const r = buildOf(m).next();
    if (r.done) return finished(m, r.value);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Rows of one model built between two yields of {@link prepareCartNeighbours} (about 5 ms at 3,751). */
const ROWS_PER_SLICE = 32;

function* buildCartNeighbours(m: CandidateModels): Generator<void, CartNeighbours> {
  const n = m.matrix.items.length;
  const c = m.cooccurrence;
  const w = m.basketEase.weights;
  const inverse = inverseSupportRoots(m);
  const row = new Float32Array(n);
  const max = new Float32Array(n);
  const ease = yield* lists(n, NEIGHBOURS_PER_ITEM.ease, (i) => w.subarray(i * n, (i + 1) * n));
  const negated = yield* lists(n, NEIGHBOURS_PER_ITEM.easeNegative, (i) => {
    const base = i * n;
    for (let j = 0; j < n; j++) row[j] = -w[base + j]!;
    return row;
  });
  const easeNegative = { ...negated, values: negated.values.map((v) => -v) };
  const cosine = yield* lists(n, NEIGHBOURS_PER_ITEM.cosine, (i) => {
    const base = i * n;
    const di = inverse[i]!;
    for (let j = 0; j < n; j++) row[j] = c[base + j]! * di * inverse[j]!;
    return row;
  });
  const text = yield* lists(n, NEIGHBOURS_PER_ITEM.text, (i) => {
    row.fill(0);
    textScores(m.text, [i], row, max);
    return row;
  });
  return { ease, easeNegative, cosine, text };
}

/**
 * The best `k` positive entries of each row (never the diagonal); at equal scores the lower index wins.
 * One pass per row with a min-heap of the k best so far (its root is the worst kept: lowest score, then
 * highest index), so most entries cost one comparison. The kept entries are stored in heap order.
 */
function* lists(n: number, k: number, rowOf: (i: number) => Float32Array): Generator<void, NeighbourLists> {
  const offsets = new Int32Array(n + 1);
  const items = new Int32Array(n * k);
  const values = new Float32Array(n * k);
  const hi = new Int32Array(k);
  const hv = new Float32Array(k);
  // a is worse than b: lower score, or the same score and a higher index
  const worse = (p: number, q: number) => hv[p]! < hv[q]! || (hv[p] === hv[q] && hi[p]! > hi[q]!);
  const swap = (p: number, q: number) => {
    const t = hi[p]!;
    hi[p] = hi[q]!;
    hi[q] = t;
    const u = hv[p]!;
    hv[p] = hv[q]!;
    hv[q] = u;
  };
  let size = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0 && i % ROWS_PER_SLICE === 0) yield;
    const r = rowOf(i);
    let count = 0;
    for (let j = 0; j < n; j++) {
      const v = r[j]!;
      if (!(v > 0) || j === i) continue;
      if (count < k) {
        // sift up
        let c = count++;
        hi[c] = j;
        hv[c] = v;
        while (c > 0) {
          const parent = (c - 1) >> 1;
          if (!worse(c, parent)) break;
          swap(c, parent);
          c = parent;
        }
      } else if (v > hv[0]!) {
        // replaces the root (a later index never wins a tie); sift down
        hi[0] = j;
        hv[0] = v;
        let c = 0;
        for (;;) {
          const l = 2 * c + 1;
          if (l >= k) break;
          const w = l + 1 < k && worse(l + 1, l) ? l + 1 : l;
          if (!worse(w, c)) break;
          swap(w, c);
          c = w;
        }
      }
    }
    items.set(hi.subarray(0, count), size);
    values.set(hv.subarray(0, count), size);
    size += count;
    offsets[i + 1] = size;
  }
  return { offsets, items: items.slice(0, size), values: values.slice(0, size) };
}

const rootsCache = new WeakMap<CandidateModels, Float32Array>();

/** 1 / √(item support), the cosine normaliser, computed once per model. */
export function inverseSupportRoots(m: CandidateModels): Float32Array {
  let r = rootsCache.get(m);
  if (!r) {
    const n = m.matrix.items.length;
    r = Float32Array.from({ length: n }, (_, i) => {
      const support = m.cooccurrence[i * n + i]!;
      return support > 0 ? 1 / Math.sqrt(support) : 0;
    });
    rootsCache.set(m, r);
  }
  return r;
}
