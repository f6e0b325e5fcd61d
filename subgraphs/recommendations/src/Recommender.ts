import type { CoPurchaseGraph } from '@recs/graph';
import type { Logger } from '@recs/core';
import type { ModelBundle } from '@recs/pipeline';
import { PopularityRecommender } from './PopularityRecommender';
import type { RecommendationResult, RecommendedItem } from './Recommendation';
import type { RecommendationRequest } from './RecommendationRequest';
import { withTimeout } from './withTimeout';

export interface RecommenderOptions {
  bundle: ModelBundle;
  graph: CoPurchaseGraph;
  log: Logger;
  /** Time budget of the co-purchase graph per request (default 50 ms). */
  graphBudgetMs?: number;
  /** Called when a source fails, for metrics. */
  onSourceFailure?: (source: string) => void;
}

/**
 * Serves every surface from the sources the current model has: the co-purchase graph for CART (all
 * cart items at once) and PRODUCT (the viewed product), popularity for the rest and to fill lists up
 * to `limit`. A graph failure or timeout never fails the request: the list comes from popularity
 * with `fallback: true` and the reason.
 */
export class Recommender {
  private readonly popularity: PopularityRecommender;

  constructor(private readonly opts: RecommenderOptions) {
    this.popularity = new PopularityRecommender(opts.bundle);
  }

  get modelVersion(): string {
    return this.opts.bundle.version;
  }

  async recommend(req: RecommendationRequest): Promise<RecommendationResult> {
    const seeds =
      req.surface === 'CART'
        ? req.context.cartProductIds
        : req.surface === 'PRODUCT' && req.context.productId
          ? [req.context.productId]
          : [];
    if (seeds.length === 0) return this.popularity.recommend(req);

    let together: RecommendedItem[] = [];
    let fallbackReason: string | undefined;
    try {
      together = await this.boughtTogether(seeds, req.limit);
    } catch (err) {
      fallbackReason = `co-purchase graph unavailable: ${(err as Error).message}`;
    }
    const fill = this.popularity.recommend({
      ...req,
      context: { ...req.context, cartProductIds: [...seeds, ...together.map((t) => t.productId)] },
    });
    const items = [...together, ...fill.items].slice(0, req.limit);
    return fallbackReason
      ? { modelVersion: this.modelVersion, items, fallback: true, fallbackReason }
      : { modelVersion: this.modelVersion, items, fallback: false };
  }

  /**
   * Products bought in the same orders as all of `seeds` (the co-purchase graph, within its time
   * budget), strongest first, never a seed. Throws when the graph fails or is slow, after counting
   * and logging it.
   */
  async boughtTogether(seeds: string[], limit: number): Promise<RecommendedItem[]> {
    try {
      const neighbours = await withTimeout(
        this.opts.graph.topK(seeds, limit, { exclude: seeds, minCount: 2 }),
        this.opts.graphBudgetMs ?? 50,
        'co-purchase graph',
      );
      const top = neighbours[0]?.score ?? 1;
      return neighbours.map((n) => ({
        productId: n.productId,
        // Scaled into (1, 2] so every co-purchase item ranks above the popularity fill (scores <= 1).
        score: 1 + n.score / top,
        reasonCode: 'BOUGHT_TOGETHER' as const,
        reason: `Bought together with ${this.describe(n.seeds)} in ${n.count} orders`,
      }));
    } catch (err) {
      this.opts.onSourceFailure?.('graph');
      this.opts.log.warn({ err: (err as Error).message, source: 'graph' }, 'candidate source failed');
      throw err;
    }
  }

  /** "WHITE METAL LANTERN" or "WHITE METAL LANTERN and 2 more cart items". */
  private describe(seeds: string[]): string {
    const first = seeds[0]!;
    const name = this.opts.bundle.catalogue.get(first)?.title ?? first;
    return seeds.length > 1 ? `${name} and ${seeds.length - 1} more of your items` : name;
  }
}
