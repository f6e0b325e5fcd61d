import type { RecommendedItem } from '../Recommendation';
import type { Surface } from '../RecommendationRequest';
import type { Promotion, SurfaceRules } from './RuleConfig';

/** What the rules know about a product: catalogue data plus the live flags of the online store. */
export interface ProductFacts {
  category?: string;
  /** Units in stock; undefined when the shop never sent stock (then it counts as in stock). */
  stock?: number;
  /** Margin as a fraction of the price. */
  margin?: number;
  ageRestricted?: boolean;
  /** ISO countries the product may be sold to; undefined = everywhere. */
  regions?: readonly string[];
  supplier?: string;
  price?: number;
  /** Recent orders, for popularity dampening. */
  recentOrders?: number;
  /** Live counters of recommendation impressions and clicks (exploration). */
  impressions?: number;
  clicks?: number;
}

/** What the rules know about the shopper. */
export interface ShopperFacts {
  hiddenProducts: ReadonlySet<string>;
  hiddenCategories: ReadonlySet<string>;
  verifiedAdult: boolean;
  /** The shopper's live cart from the event stream (added, not removed or bought since), oldest first. */
  liveCart: readonly string[];
  /** Products the shopper viewed or clicked recently (the live session), most recent first. */
  recentlyViewed?: readonly string[];
  /** Products the shopper bought since the model's cut-off (the event stream), most recent first. */
  livePurchases?: readonly string[];
  /** Products of the shopper's last e-mail sends (EMAIL never repeats them). */
  recentlySent: ReadonlySet<string>;
  country?: string;
}

/** Why a product may not be shown, or undefined when it may. */
export type Ineligibility = 'out_of_stock' | 'do_not_show' | 'age_restricted' | 'region';

export function ineligibility(
  productId: string,
  facts: ProductFacts | undefined,
  shopper: ShopperFacts,
): Ineligibility | undefined {
  if (shopper.hiddenProducts.has(productId)) return 'do_not_show';
  if (!facts) return undefined;
  if (facts.category !== undefined && shopper.hiddenCategories.has(facts.category.toLowerCase())) {
    return 'do_not_show';
  }
  if (facts.stock !== undefined && facts.stock <= 0) return 'out_of_stock';
  if (facts.ageRestricted && !shopper.verifiedAdult) return 'age_restricted';
  // A restricted product needs a known country inside its regions.
  if (facts.regions !== undefined && (!shopper.country || !facts.regions.includes(shopper.country))) {
    return 'region';
  }
  return undefined;
}

/** An item with the rules that changed it, for `explain`. */
export interface RuledItem extends RecommendedItem {
  rules: string[];
}

export interface RuleInput {
  surface: Surface;
  rules: SurfaceRules;
  promotions: readonly Promotion[];
  /** Epoch ms (promotion windows). */
  now: number;
  limit: number;
  facts: ReadonlyMap<string, ProductFacts>;
  shopper: ShopperFacts;
  /** Upper edges of the catalogue's price quartiles, ascending (price-band diversity). */
  priceEdges?: readonly number[];
  /** Items the list must never contain (the cart, the viewed product). */
  exclude?: ReadonlySet<string>;
}

export interface RuleOutcome {
  items: RuledItem[];
  /** Candidates removed, per reason. */
  removed: Partial<Record<Ineligibility, number>>;
  /** Promotions placed in the list. */
  promoted: number;
}

function boosted(score: number, share: number): number {
  return score + Math.abs(score) * share;
}

function priceBand(price: number | undefined, edges: readonly number[] | undefined): string | undefined {
  if (price === undefined || !edges || edges.length === 0) return undefined;
  let band = 0;
  while (band < edges.length && price > edges[band]!) band++;
  return `band${band}`;
}

/**
 * The business rules, in order: drop ineligible products (out of stock, hidden by the shopper, age
 * restricted for shoppers not verified as adults, not sold in the shopper's country); boost
 * high-margin products; dampen popularity; re-sort; place active promotions in their slot share; cap the
 * share of one category (and supplier, price band) in the first `diversityWindow` positions, moving
 * surplus items behind the window rather than dropping them, so the list still fills to `limit`
 * whenever enough eligible candidates exist. Pure: the same input always gives the same list.
 */
export function applyRules(candidates: readonly RecommendedItem[], input: RuleInput): RuleOutcome {
  const { rules, facts, shopper, limit } = input;
  const removed: RuleOutcome['removed'] = {};
  const seen = new Set<string>();
  const kept: RuledItem[] = [];
  for (const c of candidates) {
    if (seen.has(c.productId) || input.exclude?.has(c.productId)) continue;
    seen.add(c.productId);
    const f = facts.get(c.productId);
    const why = ineligibility(c.productId, f, shopper);
    if (why) {
      removed[why] = (removed[why] ?? 0) + 1;
      continue;
    }
    const applied: string[] = [];
    let score = c.score;
    if (rules.marginBoost > 0 && f?.margin !== undefined && f.margin >= rules.highMarginThreshold) {
      score = boosted(score, rules.marginBoost);
      applied.push(`margin_boost: +${Math.round(rules.marginBoost * 100)}% (margin ${f.margin.toFixed(2)})`);
    }
    if (rules.popularityDampening > 0 && f?.recentOrders) {
      const factor = Math.pow(1 + Math.log1p(f.recentOrders), rules.popularityDampening);
      score = score >= 0 ? score / factor : score * factor;
      applied.push(`popularity_dampening: /${factor.toFixed(2)}`);
    }
    kept.push({ ...c, score, rules: applied });
  }
  // stable: equal scores keep the candidates' order
  const ordered = kept
    .map((item, i) => ({ item, i }))
    .sort((a, b) => b.item.score - a.item.score || a.i - b.i)
    .map((x) => x.item);

  const items = diversify(placePromotions(ordered, input, seen, removed), input).slice(0, limit);
  return {
    items,
    removed,
    promoted: items.filter(
      (i) => i.reasonCode === 'PROMOTION' || i.rules.some((r) => r.startsWith('promotion')),
    ).length,
  };
}

/** Active promotions' eligible products, placed at evenly spaced slots up to the slot share. */
function placePromotions(
  ordered: RuledItem[],
  input: RuleInput,
  seen: Set<string>,
  removed: RuleOutcome['removed'],
): RuledItem[] {
  const slots = Math.floor(input.limit * input.rules.promotionShare);
  if (slots === 0) return ordered;
  const active = input.promotions.filter(
    (p) =>
      p.from <= input.now &&
      input.now < p.to &&
      p.surfaces.includes(input.surface) &&
      (!p.countries || (input.shopper.country !== undefined && p.countries.includes(input.shopper.country))),
  );
  const picks: { id: string; promotion: Promotion }[] = [];
  const picked = new Set<string>();
  for (const p of active) {
    for (const id of p.productIds) {
      if (picks.length >= slots) break;
      if (picked.has(id) || input.exclude?.has(id)) continue;
      const why = ineligibility(id, input.facts.get(id), input.shopper);
      if (why) {
        if (!seen.has(id)) removed[why] = (removed[why] ?? 0) + 1;
        continue;
      }
      picked.add(id);
      picks.push({ id, promotion: p });
    }
  }
  if (picks.length === 0) return ordered;
  const rest = ordered.filter((i) => !picked.has(i.productId));
  const existing = new Map(ordered.map((i) => [i.productId, i]));
  const out = [...rest];
  // slot k of n sits at round((k + 0.5) * limit / n): spread over the list, never all at the top
  picks.forEach(({ id, promotion }, k) => {
    const at = Math.min(out.length, Math.round(((k + 0.5) * input.limit) / slots));
    const neighbour = out[at] ?? out[out.length - 1];
    const base = existing.get(id);
    const until = new Date(promotion.to).toISOString().slice(0, 10);
    const item: RuledItem = base
      ? { ...base, rules: [...base.rules, `promotion ${promotion.id}: slot ${at + 1}`] }
      : {
          productId: id,
          score: neighbour?.score ?? 0,
          reasonCode: 'PROMOTION',
          reason: `On promotion until ${until}`,
          rules: [`promotion ${promotion.id}: slot ${at + 1}`],
        };
    out.splice(at, 0, item);
  });
  return out;
}

/**
 * Greedy share caps over the first `diversityWindow` positions: an item whose category (supplier, price
 * band) already holds its cap waits behind the window. Items without a known category are never capped.
 */
function diversify(items: RuledItem[], input: RuleInput): RuledItem[] {
  const { rules, facts } = input;
  const window = Math.min(rules.diversityWindow, input.limit);
  const cap = (share: number) =>
    share >= 1 ? Infinity : Math.max(1, Math.floor(share * rules.diversityWindow));
  const caps = {
    category: cap(rules.maxCategoryShare),
    supplier: cap(rules.maxSupplierShare),
    price: cap(rules.maxPriceBandShare),
  };
  if (caps.category === Infinity && caps.supplier === Infinity && caps.price === Infinity) return items;
  const counts = {
    category: new Map<string, number>(),
    supplier: new Map<string, number>(),
    price: new Map<string, number>(),
  };
  const head: RuledItem[] = [];
  const deferred: RuledItem[] = [];
  for (const item of items) {
    if (head.length >= window) {
      deferred.push(item);
      continue;
    }
    const f = facts.get(item.productId);
    const keys = {
      category: f?.category,
      supplier: f?.supplier,
      price: priceBand(f?.price, input.priceEdges),
    };
    const full = (['category', 'supplier', 'price'] as const).find(
      (k) => keys[k] !== undefined && (counts[k].get(keys[k]!) ?? 0) >= caps[k],
    );
    if (full) {
      deferred.push({
        ...item,
        rules: [
          ...item.rules,
          `diversity: ${full} "${keys[full]}" already has ${caps[full]} of the first ${rules.diversityWindow}`,
        ],
      });
      continue;
    }
    for (const k of ['category', 'supplier', 'price'] as const) {
      if (keys[k] !== undefined) counts[k].set(keys[k]!, (counts[k].get(keys[k]!) ?? 0) + 1);
    }
    head.push(item);
  }
  return [...head, ...deferred];
}
