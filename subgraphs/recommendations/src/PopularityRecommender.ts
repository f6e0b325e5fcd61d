import type { ModelBundle, PopularItem } from '@recs/pipeline';
import type { RecommendationResult, RecommendedItem } from './Recommendation';
import type { RecommendationRequest } from './RecommendationRequest';

const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });

/**
 * Recommends by popularity: distinct orders in the model's recent window, in the shopper's country
 * when the model has enough orders there, else shop-wide. Never returns a product the shopper is
 * looking at or already has in the cart; on SEARCH it only re-orders the shop's own results.
 */
export class PopularityRecommender {
  constructor(private readonly bundle: ModelBundle) {}

  /**
   * Each popularity list's positions by product, built once (per SEARCH request, the map's cost would
   * grow with the list).
   */
  private readonly ranks = new WeakMap<readonly PopularItem[], Map<string, number>>();

  private rankOf(list: readonly PopularItem[]): Map<string, number> {
    let rank = this.ranks.get(list);
    if (!rank) this.ranks.set(list, (rank = new Map(list.map((p, i) => [p.productId, i]))));
    return rank;
  }

  get modelVersion(): string {
    return this.bundle.version;
  }

  recommend(req: RecommendationRequest): RecommendationResult {
    const { popularity } = this.bundle;
    const country = req.context.country;
    const local = country ? popularity.byCountry[country] : undefined;
    const list = local ?? popularity.global;
    const days = popularity.windowDays;
    const reasonCode = local ? 'POPULAR_IN_COUNTRY' : 'POPULAR';
    const where = local ? `in ${regionNames.of(country!) ?? country}` : 'in the shop';
    const top = list[0]?.baskets ?? 1;
    const item = (p: PopularItem): RecommendedItem => ({
      productId: p.productId,
      // Normalised to the leader of the list so scores read as "share of the best seller".
      score: p.baskets / top,
      sources: ['popularity'],
      reasonCode,
      reason: `Popular ${where}: in ${p.baskets} orders in the last ${days} days`,
    });

    if (req.surface === 'SEARCH') {
      const rank = this.rankOf(list);
      // Products the model has not seen keep the shop's order, after the ones it can rank.
      const ranked = req.context.candidateProductIds
        .map((id, i) => ({ id, i, r: rank.get(id) }))
        .sort((a, b) => (a.r ?? Infinity) - (b.r ?? Infinity) || a.i - b.i)
        .slice(0, req.limit);
      return {
        modelVersion: this.bundle.version,
        fallback: false,
        items: ranked.map(({ id, r }) => ({
          productId: id,
          score: r === undefined ? 0 : list[r]!.baskets / top,
          sources: ['search', 'popularity'],
          reasonCode: 'SEARCH_MATCH',
          reason:
            r === undefined
              ? 'Matches your search'
              : `Matches your search; popular ${where} (${list[r]!.baskets} orders in ${days} days)`,
        })),
      };
    }

    const exclude = new Set(req.context.cartProductIds);
    if (req.context.productId) exclude.add(req.context.productId);
    const items: RecommendedItem[] = [];
    for (const p of list) {
      if (items.length >= req.limit) break;
      if (!exclude.has(p.productId)) items.push(item(p));
    }
    return { modelVersion: this.bundle.version, fallback: false, items };
  }
}
