import type { RecommendedItem } from '../Recommendation';
import { ineligibility, type ProductFacts, type RuledItem, type ShopperFacts } from './applyRules';

/** A standard normal draw (Box–Muller). */
function normal(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A Gamma(shape, 1) draw for shape >= 1 (Marsaglia and Tsang 2000). */
function gamma(shape: number, random: () => number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** A Beta(a, b) draw for a, b >= 1. */
export function betaSample(a: number, b: number, random: () => number = Math.random): number {
  const x = gamma(a, random);
  return x / (x + gamma(b, random));
}

/**
 * Exploration slots: the last `slots` positions of the list go to fresh products chosen by Thompson
 * sampling on their live click-through (Beta(clicks + 1, impressions − clicks + 1)), so new products
 * earn impressions and the ones shoppers click keep them. Only eligible products not already in the
 * list are drawn; with fewer eligible fresh products the list keeps its own items.
 */
export function explore(
  items: RuledItem[],
  pool: readonly string[],
  facts: ReadonlyMap<string, ProductFacts>,
  shopper: ShopperFacts,
  slots: number,
  exclude: ReadonlySet<string>,
  random: () => number = Math.random,
): RuledItem[] {
  if (slots <= 0 || items.length === 0) return items;
  const present = new Set(items.map((i) => i.productId));
  const draws = pool
    .filter((id) => !present.has(id) && !exclude.has(id) && !ineligibility(id, facts.get(id), shopper))
    .map((id) => {
      const f = facts.get(id);
      const impressions = Math.max(0, f?.impressions ?? 0);
      const clicks = Math.min(impressions, Math.max(0, f?.clicks ?? 0));
      return { id, theta: betaSample(clicks + 1, impressions - clicks + 1, random), impressions, clicks };
    })
    .sort((a, b) => b.theta - a.theta)
    .slice(0, Math.min(slots, items.length));
  if (draws.length === 0) return items;
  const kept = items.slice(0, items.length - draws.length);
  const last = kept.at(-1)?.score ?? 0;
  return [
    ...kept,
    ...draws.map((d, k): RuledItem & RecommendedItem => ({
      productId: d.id,
      score: last - (k + 1) * 1e-6,
      reasonCode: 'EXPLORATION',
      reason: 'New in the shop',
      sources: ['exploration'],
      rules: [
        `exploration: Thompson draw ${d.theta.toFixed(3)} from ${d.clicks} clicks in ${d.impressions} impressions`,
      ],
    })),
  ];
}
