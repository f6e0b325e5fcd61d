import type { CatalogueEntry, Interaction } from '../ingest/Interaction';

/** Per-shopper aggregates written to the online feature store. */
export interface UserFeatureValues {
  orderCount: number;
  distinctProducts: number;
  totalSpend: number;
  country: string | null;
  /** Shop-local ISO timestamp of the latest order. */
  lastPurchaseAt: string;
}

/** Per-product aggregates written to the online feature store. */
export interface ProductFeatureValues {
  observedTitle: string;
  medianPrice: number;
  orders30d: number;
  ordersAllTime: number;
}

const DAY_MS = 86_400_000;

/**
 * Shopper features from purchases before the cut-off: distinct orders, distinct products, spend
 * (sum of quantity x unit price), the country and time of the latest order. Guests are skipped.
 */
export function computeUserFeatures(interactions: readonly Interaction[]): Record<string, UserFeatureValues> {
  const acc = new Map<
    string,
    { orders: Set<string>; products: Set<string>; spend: number; last: number; country: string | null }
  >();
  for (const e of interactions) {
    if (e.type !== 'purchase' || e.userId === null) continue;
    let a = acc.get(e.userId);
    if (!a)
      acc.set(
        e.userId,
        (a = { orders: new Set(), products: new Set(), spend: 0, last: -Infinity, country: null }),
      );
    a.orders.add(e.basketId);
    a.products.add(e.productId);
    a.spend += e.quantity * e.unitPrice;
    if (e.ts >= a.last) {
      a.last = e.ts;
      a.country = e.country ?? a.country;
    }
  }
  const out: Record<string, UserFeatureValues> = {};
  for (const [id, a] of acc) {
    out[id] = {
      orderCount: a.orders.size,
      distinctProducts: a.products.size,
      // Rounded to cents: spend is money, and float noise would make artefacts differ between runs.
      totalSpend: Math.round(a.spend * 100) / 100,
      country: a.country,
      lastPurchaseAt: new Date(a.last).toISOString().slice(0, 19),
    };
  }
  return out;
}

/** Product features: text and median price from the catalogue, order counts in the last 30 days and overall. */
export function computeProductFeatures(
  interactions: readonly Interaction[],
  catalogue: ReadonlyMap<string, CatalogueEntry>,
  until: number,
): Record<string, ProductFeatureValues> {
  const recentFrom = until - 30 * DAY_MS;
  const all = new Map<string, Set<string>>();
  const recent = new Map<string, Set<string>>();
  for (const e of interactions) {
    if (e.type !== 'purchase') continue;
    add(all, e.productId, e.basketId);
    if (e.ts >= recentFrom && e.ts < until) add(recent, e.productId, e.basketId);
  }
  const out: Record<string, ProductFeatureValues> = {};
  for (const [id, c] of catalogue) {
    out[id] = {
      observedTitle: c.title,
      medianPrice: c.price,
      orders30d: recent.get(id)?.size ?? 0,
      ordersAllTime: all.get(id)?.size ?? 0,
    };
  }
  return out;
}

function add(m: Map<string, Set<string>>, k: string, v: string): void {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(v);
}
