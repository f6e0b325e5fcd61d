import type { CoPurchaseGraph } from '@recs/graph';
import type { Logger } from '@recs/core';
import type { ModelBundle } from '@recs/pipeline';
import { PopularityRecommender } from './PopularityRecommender';
import type { RecommendationResult, RecommendedItem } from './Recommendation';
import type { RecommendationRequest } from './RecommendationRequest';
import { withTimeout } from './withTimeout';
import type { LearnedRanker } from './LearnedRanker';

export interface RecommenderOptions {
  bundle: ModelBundle;
  graph: CoPurchaseGraph;
  log: Logger;
  /** Time budget of the co-purchase graph per request (default 50 ms). */
  graphBudgetMs?: number;
  /** The model version's learned CART and HOME path, when it has one. */
  learned?: LearnedRanker;
  /** Time budget of the learned path per request (default 150 ms). */
  learnedBudgetMs?: number;
  /** Called when a source fails, for metrics. */
  onSourceFailure?: (source: string) => void;
}

/**
 * Serves every surface from the sources the current model has. CART, PRODUCT (the viewed product as a
 * one-item cart) and HOME use the learned ranker when the model version has one. Otherwise CART (all
 * cart items at once) and PRODUCT use the co-purchase graph, and popularity serves the rest and fills lists up to `limit`.
 * A failed or slow source never fails the request: the next source answers with `fallback: true`
 * and the reason.
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
    const learned = this.opts.learned;
    // The product page is ranked as a one-item cart (the offline PRODUCT protocol says the CART
    // ranker beats every single source there).
    const cart =
      req.surface === 'PRODUCT' && req.context.productId
        ? [req.context.productId]
        : req.context.cartProductIds;
    let learnedFailure: string | undefined;
    if (
      learned &&
      (((req.surface === 'CART' || req.surface === 'PRODUCT') && cart.length > 0) || req.surface === 'HOME')
    ) {
      try {
        const ranked = await withTimeout(
          req.surface === 'HOME'
            ? learned.home(req.userId, req.context.country, req.limit)
            : learned.cart(req.userId, cart, req.context.country, req.limit),
          this.opts.learnedBudgetMs ?? 150,
          'learned ranker',
        );
        return this.filled(req, ranked, cart);
      } catch (err) {
        learnedFailure = `learned ranker unavailable: ${(err as Error).message}`;
        this.opts.onSourceFailure?.('ranker');
        this.opts.log.warn({ err: (err as Error).message, source: 'ranker' }, 'candidate source failed');
      }
    }
    const result = await this.fromGraphAndPopularity(req);
    return learnedFailure
      ? { ...result, fallback: true, fallbackReason: result.fallbackReason ?? learnedFailure }
      : result;
  }

  /** Tops a ranked list up to `limit` with popular items (never a cart item or a duplicate). */
  private filled(
    req: RecommendationRequest,
    ranked: RecommendedItem[],
    cart: string[],
  ): RecommendationResult {
    const fill =
      ranked.length >= req.limit
        ? []
        : this.popularity.recommend({
            ...req,
            context: { ...req.context, cartProductIds: [...cart, ...ranked.map((r) => r.productId)] },
          }).items;
    return {
      modelVersion: this.modelVersion,
      items: [...ranked, ...fill].slice(0, req.limit),
      fallback: false,
    };
  }

  private async fromGraphAndPopularity(req: RecommendationRequest): Promise<RecommendationResult> {
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

  /** Substitutes of a product from the model's content model; undefined when it has none. */
  similar(productId: string, limit: number): RecommendedItem[] | undefined {
    return this.opts.learned?.similar(productId, limit);
  }

  /** "WHITE METAL LANTERN" or "WHITE METAL LANTERN and 2 more cart items". */
  private describe(seeds: string[]): string {
    const first = seeds[0]!;
    const name = this.opts.bundle.catalogue.get(first)?.title ?? first;
    return seeds.length > 1 ? `${name} and ${seeds.length - 1} more of your items` : name;
  }
}
