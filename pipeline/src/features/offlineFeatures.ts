import type { CatalogueEntry, Interaction } from '../ingest/Interaction';

/** Per-shopper aggregates written to the online feature store. */
export interface UserFeatureValues {
  orderCount: number;
  distinctProducts: number;
  totalSpend: number;
  country: string | null;
  /** Shop-local ISO timestamp of the latest order. */
  lastPurchaseAt: string;
  /** The shopper's top categories by share of purchase lines, `"<category>:<share>"`, largest first (at most 5). */
  categoryPreferences: string[];
  /**
   * Price sensitivity in [0, 1]: 1 minus the mean price percentile (within its category) of what the
   * shopper bought, so 1 = always the cheapest of a category, 0 = always the dearest.
   */
  priceSensitivity: number;
}

/** Per-product aggregates written to the online feature store. */
export interface ProductFeatureValues {
  observedTitle: string;
  medianPrice: number;
  orders30d: number;
  /** Distinct orders in the 7 days before the cut-off (popularity by window, with `orders30d`). */
  orders7d: number;
  ordersAllTime: number;
  /** Leaf category of the taxonomy ("other" when none applies). */
  category: string;
  /** Percentile of the median price among the products of its category, in [0, 1]. */
  pricePercentile: number;
}

/** Each product's price percentile within its category: (rank of its price) / (products - 1), ties averaged. */
export function pricePercentiles(catalogue: ReadonlyMap<string, CatalogueEntry>): Map<string, number> {
  const byCategory = new Map<string, { id: string; price: number }[]>();
  for (const c of catalogue.values()) {
    const k = c.category ?? 'other';
    let list = byCategory.get(k);
    if (!list) byCategory.set(k, (list = []));
    list.push({ id: c.id, price: c.price });
  }
  const out = new Map<string, number>();
  for (const list of byCategory.values()) {
    list.sort((a, b) => a.price - b.price);
    for (let i = 0; i < list.length;) {
      let j = i;
      while (j + 1 < list.length && list[j + 1]!.price === list[i]!.price) j++;
      const pct = list.length > 1 ? (i + j) / 2 / (list.length - 1) : 0.5;
      for (let k = i; k <= j; k++) out.set(list[k]!.id, Math.round(pct * 1000) / 1000);
      i = j + 1;
    }
  }
  return out;
}

const DAY_MS = 86_400_000;

/**
 * Shopper features from purchases before the cut-off: distinct orders, distinct products, spend
 * (sum of quantity x unit price), the country and time of the latest order, category preferences and
 * price sensitivity (from the catalogue's categories and price percentiles). Guests are skipped.
 */
export function computeUserFeatures(
  interactions: readonly Interaction[],
  catalogue: ReadonlyMap<string, CatalogueEntry> = new Map(),
): Record<string, UserFeatureValues> {
  const percentiles = pricePercentiles(catalogue);
  const acc = new Map<
    string,
    {
      orders: Set<string>;
      products: Set<string>;
      spend: number;
      last: number;
      country: string | null;
      categories: Map<string, number>;
      lines: number;
      percentileSum: number;
      priced: number;
    }
  >();
  for (const e of interactions) {
    if (e.type !== 'purchase' || e.userId === null) continue;
    let a = acc.get(e.userId);
    if (!a)
      acc.set(
        e.userId,
        (a = {
          orders: new Set(),
          products: new Set(),
          spend: 0,
          last: -Infinity,
          country: null,
          categories: new Map(),
          lines: 0,
          percentileSum: 0,
          priced: 0,
        }),
      );
    a.lines += 1;
    const category = catalogue.get(e.productId)?.category ?? 'other';
    a.categories.set(category, (a.categories.get(category) ?? 0) + 1);
    const pct = percentiles.get(e.productId);
    if (pct !== undefined) {
      a.percentileSum += pct;
      a.priced += 1;
    }
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
      categoryPreferences: [...a.categories]
        .sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))
        .slice(0, 5)
        .map(([c, n]) => `${c}:${Math.round((n / a.lines) * 1000) / 1000}`),
      priceSensitivity: a.priced > 0 ? Math.round((1 - a.percentileSum / a.priced) * 1000) / 1000 : 0.5,
    };
  }
  return out;
}

/**
 * Product features: text, median price, category and price percentile in its category from the
 * catalogue; order counts in the last 7 and 30 days and overall.
 */
export function computeProductFeatures(
  interactions: readonly Interaction[],
  catalogue: ReadonlyMap<string, CatalogueEntry>,
  until: number,
): Record<string, ProductFeatureValues> {
  const recentFrom = until - 30 * DAY_MS;
  const weekFrom = until - 7 * DAY_MS;
  const all = new Map<string, Set<string>>();
  const recent = new Map<string, Set<string>>();
  const week = new Map<string, Set<string>>();
  for (const e of interactions) {
    if (e.type !== 'purchase') continue;
    add(all, e.productId, e.basketId);
    if (e.ts >= recentFrom && e.ts < until) add(recent, e.productId, e.basketId);
    if (e.ts >= weekFrom && e.ts < until) add(week, e.productId, e.basketId);
  }
  const percentiles = pricePercentiles(catalogue);
  const out: Record<string, ProductFeatureValues> = {};
  for (const [id, c] of catalogue) {
    out[id] = {
      observedTitle: c.title,
      medianPrice: c.price,
      orders30d: recent.get(id)?.size ?? 0,
      orders7d: week.get(id)?.size ?? 0,
      ordersAllTime: all.get(id)?.size ?? 0,
      category: c.category ?? 'other',
      pricePercentile: percentiles.get(id) ?? 0.5,
    };
  }
  return out;
}

function add(m: Map<string, Set<string>>, k: string, v: string): void {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(v);
}
