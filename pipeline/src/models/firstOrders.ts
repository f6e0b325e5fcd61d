import type { Interaction } from '../ingest/Interaction';

const DAY = 86_400_000;

export interface FirstOrderOptions {
  /**
   * Half-life of a first order's weight, days: a customer whose first invoice is `a` days before the
   * cut-off counts 2^(−a / halfLifeDays) (recent first orders count most; no hard window).
   */
  halfLifeDays: number;
  /**
   * Strength of the prior a country's first-order rates are shrunk towards, in (weighted) first
   * orders: a country with few new customers borrows from its backoff, one with many keeps its own.
   */
  countryPrior: number;
}

export interface FirstOrderPopularity {
  /** Decayed count of customers whose first invoice holds each item (all countries). */
  all: Float32Array;
  /**
   * Per country, the shrunk rate at which its new customers put each item in their first invoice:
   * (decayed count in the country + prior × backoff rate) / (decayed first orders in the country +
   * prior). The backoff of the home market (the country with the most new customers) is the
   * overall rate; the backoff of every other country is the rate of all countries but the home
   * market together (foreign shoppers resemble each other more than the home market).
   */
  byCountry: Map<string, Float32Array>;
  /** The country with the most (decayed) first orders, or null without any. */
  home: string | null;
}

/**
 * What new customers buy: the products of each customer's first invoice (the earliest, ties by
 * invoice id) before `until`, weighted by the age of that invoice, overall and per country with the
 * backoff above. Products are counted once per invoice; guest checkouts have no first order.
 */
export function firstOrders(
  interactions: readonly Interaction[],
  index: ReadonlyMap<string, number>,
  until: number,
  opts: FirstOrderOptions,
): FirstOrderPopularity {
  const n = index.size;
  const first = new Map<string, { ts: number; basketId: string }>();
  for (const e of interactions) {
    if (e.type !== 'purchase' || e.ts >= until || !e.userId) continue;
    const f = first.get(e.userId);
    if (!f || e.ts < f.ts || (e.ts === f.ts && e.basketId < f.basketId))
      first.set(e.userId, { ts: e.ts, basketId: e.basketId });
  }
  const weight = (ts: number) => Math.pow(2, -(until - ts) / (opts.halfLifeDays * DAY));
  const all = new Float32Array(n);
  const counts = new Map<string, Float32Array>();
  /** Decayed first orders per country (one per customer). */
  const orders = new Map<string, number>();
  let allOrders = 0;
  const seen = new Set<string>();
  const seenOrder = new Set<string>();
  for (const e of interactions) {
    if (e.type !== 'purchase' || !e.userId || e.ts >= until) continue;
    const f = first.get(e.userId)!;
    if (f.basketId !== e.basketId) continue;
    const w = weight(f.ts);
    if (!seenOrder.has(e.userId)) {
      seenOrder.add(e.userId);
      allOrders += w;
      if (e.country) orders.set(e.country, (orders.get(e.country) ?? 0) + w);
    }
    const key = `${e.basketId}\u0000${e.productId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const i = index.get(e.productId);
    if (i === undefined) continue; // a product outside the models' product cap
    all[i]! += w;
    if (e.country) {
      let c = counts.get(e.country);
      if (!c) counts.set(e.country, (c = new Float32Array(n)));
      c[i]! += w;
    }
  }
  let home: string | null = null;
  for (const [country, w] of orders) if (home === null || w > orders.get(home)!) home = country;
  const abroad = new Float32Array(n);
  let abroadOrders = 0;
  for (const [country, c] of counts) {
    if (country === home) continue;
    for (let i = 0; i < n; i++) abroad[i]! += c[i]!;
    abroadOrders += orders.get(country) ?? 0;
  }
  const rate = (c: Float32Array, orders: number) => c.map((v) => (orders > 0 ? v / orders : 0));
  const overallRate = rate(all, allOrders);
  const abroadRate = abroadOrders > 0 ? rate(abroad, abroadOrders) : overallRate;
  const byCountry = new Map<string, Float32Array>();
  for (const [country, c] of counts) {
    const prior = country === home ? overallRate : abroadRate;
    const k = orders.get(country) ?? 0;
    byCountry.set(
      country,
      c.map((v, i) => (v + opts.countryPrior * prior[i]!) / (k + opts.countryPrior)),
    );
  }
  return { all, byCountry, home };
}
