import type { Interaction } from '../ingest/Interaction';

export interface PopularItem {
  productId: string;
  /** Distinct baskets containing the product inside the window. */
  baskets: number;
}

export interface PopularityModel {
  windowDays: number;
  /** Window end (exclusive), shop-local epoch ms. */
  until: number;
  global: PopularItem[];
  /** Per ISO country code, for countries with at least `minCountryBaskets` baskets in the window. */
  byCountry: Record<string, PopularItem[]>;
}

const DAY_MS = 86_400_000;

/**
 * Popularity = number of distinct baskets that contain the product during the `windowDays` before
 * `until`. Counting baskets rather than units keeps one wholesale order of 2,000 units from outranking
 * an item bought by hundreds of shoppers. Ties break on the product id so the list is reproducible.
 */
export function trainPopularity(
  interactions: readonly Interaction[],
  opts: { until: number; windowDays?: number; topN?: number; minCountryBaskets?: number },
): PopularityModel {
  const windowDays = opts.windowDays ?? 30;
  const topN = opts.topN ?? 500;
  const minCountryBaskets = opts.minCountryBaskets ?? 20;
  const from = opts.until - windowDays * DAY_MS;
  const global = new Map<string, Set<string>>();
  const byCountry = new Map<string, Map<string, Set<string>>>();
  const countryBaskets = new Map<string, Set<string>>();
  for (const e of interactions) {
    if (e.type !== 'purchase' || e.ts < from || e.ts >= opts.until) continue;
    addTo(global, e.productId, e.basketId);
    if (e.country) {
      let m = byCountry.get(e.country);
      if (!m) byCountry.set(e.country, (m = new Map()));
      addTo(m, e.productId, e.basketId);
      addTo(countryBaskets, e.country, e.basketId);
    }
  }
  const countries: Record<string, PopularItem[]> = {};
  for (const [country, m] of byCountry) {
    if ((countryBaskets.get(country)?.size ?? 0) >= minCountryBaskets) countries[country] = rank(m, topN);
  }
  return { windowDays, until: opts.until, global: rank(global, topN), byCountry: countries };
}

function addTo(m: Map<string, Set<string>>, key: string, value: string): void {
  let s = m.get(key);
  if (!s) m.set(key, (s = new Set()));
  s.add(value);
}

function rank(m: Map<string, Set<string>>, topN: number): PopularItem[] {
  return [...m]
    .map(([productId, s]) => ({ productId, baskets: s.size }))
    .sort((a, b) => b.baskets - a.baskets || (a.productId < b.productId ? -1 : 1))
    .slice(0, topN);
}
