import type { Interaction } from '../ingest/Interaction';

/** One customer's purchase history over dense item indices. */
export interface UserHistory {
  userId: string;
  /** Distinct items bought, ascending index. */
  items: Int32Array;
  /** Invoices in which each item was bought (parallel to `items`). */
  invoices: Int32Array;
  /** Last purchase time of each item, epoch ms (parallel to `items`). */
  lastTs: Float64Array;
  /** Timestamps of every purchase line as (item, ts) pairs, for recency-weighted scores. */
  lines: { item: number; ts: number }[];
  country: string | null;
}

/**
 * The training purchases as sparse matrices over dense item indices: invoices × items and
 * customers × items. Every candidate model reads this one structure, so they agree on the catalogue
 * (products bought before the cut-off) and on what a basket is.
 */
export interface InteractionMatrix {
  items: string[];
  index: Map<string, number>;
  /** Distinct items per invoice (all invoices, guests included). */
  baskets: Int32Array[];
  /** Invoice timestamps, parallel to `baskets`. */
  basketTs: Float64Array;
  /** Customer histories (guests excluded). */
  users: Map<string, UserHistory>;
  /** Invoices containing each item. */
  itemBaskets: Float64Array;
  /** Latest training timestamp (the models' "now"). */
  until: number;
}

/**
 * The half-life of a purchase line in the choice of the modelled products over the cap: a line bought
 * 90 days before the cut-off counts half. Lifetime counts would keep a product that sold well a year
 * ago and leave out one launched last month that sells every day.
 */
export const CAP_HALF_LIFE_DAYS = 90;

/**
 * Builds the matrices from purchase events strictly before `until`, over at most `maxItems` products:
 * when more were sold, the `maxItems` with the most purchase lines weighted by recency (each line
 * 2^(−age / {@link CAP_HALF_LIFE_DAYS}); ties by id) and only their lines. The other products are
 * then unknown to every model built on the matrix, like a product first sold after the cut-off.
 */
export function buildInteractionMatrix(
  interactions: readonly Interaction[],
  until: number,
  maxItems = Number.POSITIVE_INFINITY,
): InteractionMatrix {
  let purchases = interactions.filter((e) => e.type === 'purchase' && e.ts < until);
  let ids = [...new Set(purchases.map((e) => e.productId))].sort();
  if (ids.length > maxItems) {
    const lines = new Map<string, number>();
    const halfLifeMs = CAP_HALF_LIFE_DAYS * 86_400_000;
    for (const e of purchases) {
      lines.set(e.productId, (lines.get(e.productId) ?? 0) + 2 ** (-(until - e.ts) / halfLifeMs));
    }
    ids = ids
      .sort((a, b) => lines.get(b)! - lines.get(a)! || (a < b ? -1 : 1))
      .slice(0, maxItems)
      .sort();
    const kept = new Set(ids);
    purchases = purchases.filter((e) => kept.has(e.productId));
  }
  const index = new Map(ids.map((id, i) => [id, i] as const));
  const basketItems = new Map<string, { items: Set<number>; ts: number }>();
  const perUser = new Map<
    string,
    {
      items: Map<number, { invoices: Set<string>; lastTs: number }>;
      lines: { item: number; ts: number }[];
      country: string | null;
    }
  >();
  for (const e of purchases) {
    const item = index.get(e.productId)!;
    let b = basketItems.get(e.basketId);
    if (!b) basketItems.set(e.basketId, (b = { items: new Set(), ts: e.ts }));
    b.items.add(item);
    if (e.ts < b.ts) b.ts = e.ts;
    if (e.userId === null) continue;
    let u = perUser.get(e.userId);
    if (!u) perUser.set(e.userId, (u = { items: new Map(), lines: [], country: e.country }));
    let s = u.items.get(item);
    if (!s) u.items.set(item, (s = { invoices: new Set(), lastTs: e.ts }));
    s.invoices.add(e.basketId);
    if (e.ts > s.lastTs) s.lastTs = e.ts;
    u.lines.push({ item, ts: e.ts });
  }
  const baskets: Int32Array[] = [];
  const basketTs: number[] = [];
  const itemBaskets = new Float64Array(ids.length);
  for (const b of basketItems.values()) {
    const arr = Int32Array.from(b.items).sort();
    baskets.push(arr);
    basketTs.push(b.ts);
    for (const i of arr) itemBaskets[i]! += 1;
  }
  const users = new Map<string, UserHistory>();
  for (const [userId, u] of perUser) {
    const items = Int32Array.from(u.items.keys()).sort();
    users.set(userId, {
      userId,
      items,
      invoices: Int32Array.from(items, (i) => u.items.get(i)!.invoices.size),
      lastTs: Float64Array.from(items, (i) => u.items.get(i)!.lastTs),
      lines: u.lines,
      country: u.country,
    });
  }
  return { items: ids, index, baskets, basketTs: Float64Array.from(basketTs), users, itemBaskets, until };
}
