/**
 * Session (basket) k-nearest neighbours (Jannach & Ludewig, "When recurrent neural networks meet the
 * neighborhood for session-based recommendation", RecSys 2017): the past invoices most similar to the
 * whole cart vote for their other products. Unlike co-occurrence sums, which add every invoice holding
 * any cart item, only the invoices that resemble the cart as a whole take part. Evaluated alone and
 * in the CART ranker; left out of the ranker (no gain above the noise, docs/evaluation/tuning.md).
 */
export interface BasketIndex {
  /** Items of each past invoice (catalogue indices). */
  baskets: readonly Int32Array[];
  /** Invoices holding each item, in invoice order. */
  postings: Int32Array[];
}

const indexCache = new WeakMap<readonly Int32Array[], BasketIndex>();

/** The postings of a list of invoices over `n` items, built once per list. */
export function basketIndex(baskets: readonly Int32Array[], n: number): BasketIndex {
  const cached = indexCache.get(baskets);
  if (cached) return cached;
  const index = buildIndex(baskets, n);
  indexCache.set(baskets, index);
  return index;
}

function buildIndex(baskets: readonly Int32Array[], n: number): BasketIndex {
  const counts = new Int32Array(n);
  for (const b of baskets) for (const i of b) counts[i]! += 1;
  const postings = Array.from({ length: n }, (_, i) => new Int32Array(counts[i]!));
  const fill = new Int32Array(n);
  baskets.forEach((b, id) => {
    for (const i of b) postings[i]![fill[i]!++] = id;
  });
  return { baskets, postings };
}

const counters = new WeakMap<BasketIndex, Int32Array>();

/** Neighbour invoices that vote, chosen on the tuning cut (2011-09-09; 50 to 1,000 tried). */
export const BASKET_NEIGHBOURS = 50;

/**
 * Adds to `out[j]` the similarity of each of the cart's `neighbours` nearest invoices that holds j
 * (cart items included: callers exclude them). Similarity: cosine of the binary cart and invoice
 * vectors, |b ∩ cart| / √(|b| · |cart|); ties go to the earlier invoice. Cost: the postings of the
 * cart's items, then the neighbours' items; nothing proportional to the catalogue.
 */
export function basketKnnScores(
  index: BasketIndex,
  cart: ArrayLike<number>,
  out: Float32Array,
  neighbours = BASKET_NEIGHBOURS,
): void {
  if (cart.length === 0 || neighbours <= 0) return;
  // shared items per invoice, in a counter reused across calls and cleared after
  let common = counters.get(index);
  if (!common) counters.set(index, (common = new Int32Array(index.baskets.length)));
  const touched: number[] = [];
  for (let k = 0; k < cart.length; k++) {
    const posting = index.postings[cart[k]!];
    if (!posting) continue;
    for (let p = 0; p < posting.length; p++) {
      const b = posting[p]!;
      if (common[b]!++ === 0) touched.push(b);
    }
  }
  // the best `neighbours` by (similarity desc, invoice asc), kept sorted
  const ids: number[] = [];
  const sims: number[] = [];
  const better = (sim: number, b: number, at: number) =>
    sim > sims[at]! || (sim === sims[at]! && b < ids[at]!);
  for (const b of touched) {
    const sim = common[b]! / Math.sqrt(index.baskets[b]!.length * cart.length);
    common[b] = 0;
    if (ids.length === neighbours && !better(sim, b, neighbours - 1)) continue;
    let pos = ids.length === neighbours ? neighbours - 1 : ids.length;
    while (pos > 0 && better(sim, b, pos - 1)) pos--;
    if (ids.length === neighbours) {
      ids.pop();
      sims.pop();
    }
    ids.splice(pos, 0, b);
    sims.splice(pos, 0, sim);
  }
  for (let r = 0; r < ids.length; r++) {
    for (const j of index.baskets[ids[r]!]!) out[j]! += sims[r]!;
  }
}
