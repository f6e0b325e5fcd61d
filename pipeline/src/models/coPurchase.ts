import type { Interaction } from '../ingest/Interaction';

/** One undirected co-purchase pair (a < b), as the graph stores it. */
export interface CoPurchasePair {
  a: string;
  b: string;
  /** Baskets containing both. */
  count: number;
  /** max(P(b|a), P(a|b)). */
  confidence: number;
  /** P(a,b) / (P(a) P(b)). */
  lift: number;
}

export interface CoPurchaseOptions {
  /** Pairs seen in fewer baskets are noise (default 2). */
  minCount?: number;
  /** Keep at most this many partners per product, strongest by count (default 30). */
  maxNeighbours?: number;
  /** Baskets with more distinct products are wholesale restocks, not shopping baskets (default 100). */
  maxBasketSize?: number;
}

/** Pair-count shards, by the first product of a pair (see {@link trainCoPurchase}). */
const PAIR_SHARDS = 64;

/**
 * Co-purchase statistics over baskets (invoices) before the cut-off:
 *   count(a,b) = baskets containing both,  support(x) = baskets containing x,  N = baskets,
 *   confidence = max(count/support(a), count/support(b)),  lift = count·N / (support(a)·support(b)).
 * Pairs below `minCount` are dropped, then each product keeps its `maxNeighbours` strongest partners
 * (a pair survives when either end keeps it), which bounds the graph at O(products · maxNeighbours).
 */
export function trainCoPurchase(
  interactions: readonly Interaction[],
  opts: CoPurchaseOptions = {},
): CoPurchasePair[] {
  const minCount = opts.minCount ?? 2;
  const maxNeighbours = opts.maxNeighbours ?? 30;
  const maxBasketSize = opts.maxBasketSize ?? 100;
  const baskets = new Map<string, Set<string>>();
  for (const e of interactions) {
    if (e.type !== 'purchase') continue;
    let b = baskets.get(e.basketId);
    if (!b) baskets.set(e.basketId, (b = new Set()));
    b.add(e.productId);
  }
  // Products become dense integers so a pair is one number key (i * P + j): string keys made this
  // step eight times slower on the Online Retail data.
  const index = new Map<string, number>();
  const ids: string[] = [];
  for (const set of baskets.values()) for (const p of set) if (!index.has(p)) index.set(p, ids.push(p) - 1);
  const P = ids.length;
  const support = new Float64Array(P);
  // One Map per shard of the first product: a V8 Map holds at most 2^24 entries, and 10M lines over
  // 1M products make more distinct pairs than that.
  const pairs = Array.from({ length: PAIR_SHARDS }, () => new Map<number, number>());
  let n = 0;
  for (const set of baskets.values()) {
    if (set.size > maxBasketSize) continue;
    n++;
    const items = [...set].map((p) => index.get(p)!).sort((x, y) => x - y);
    for (const i of items) support[i]!++;
    for (let x = 0; x < items.length; x++) {
      const base = items[x]! * P;
      const shard = pairs[items[x]! % pairs.length]!;
      for (let y = x + 1; y < items.length; y++) {
        const key = base + items[y]!;
        shard.set(key, (shard.get(key) ?? 0) + 1);
      }
    }
  }
  const all: CoPurchasePair[] = [];
  for (const shard of pairs)
    for (const [key, count] of shard) {
      if (count < minCount) continue;
      const i = Math.floor(key / P);
      const j = key - i * P;
      const sa = support[i]!;
      const sb = support[j]!;
      const [a, b] = ids[i]! < ids[j]! ? [ids[i]!, ids[j]!] : [ids[j]!, ids[i]!];
      all.push({ a, b, count, confidence: Math.max(count / sa, count / sb), lift: (count * n) / (sa * sb) });
    }
  // Strongest first, ids breaking ties, so the kept set does not depend on Map iteration order.
  all.sort(
    (x, y) => y.count - x.count || y.lift - x.lift || (x.a < y.a ? -1 : x.a > y.a ? 1 : x.b < y.b ? -1 : 1),
  );
  const kept = new Map<string, number>();
  const out: CoPurchasePair[] = [];
  for (const p of all) {
    const ka = kept.get(p.a) ?? 0;
    const kb = kept.get(p.b) ?? 0;
    if (ka >= maxNeighbours && kb >= maxNeighbours) continue;
    kept.set(p.a, ka + 1);
    kept.set(p.b, kb + 1);
    out.push(p);
  }
  return out;
}
