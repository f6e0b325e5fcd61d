import {
  loadOnnxModel,
  treeEnsemblePredict,
  type ModelRuntime,
  type TreeEnsemble,
} from '@recs/model-runtime';
import {
  CandidatesFormatError,
  ModelRegistry,
  candidateFeatures,
  foldIn,
  coldStartScores,
  newProductScores,
  loadCandidateModels,
  prepareCartNeighbours,
  cartNeighboursBuilt,
  queryOf,
  textScores,
  titleScores,
  topK,
  type CandidateModels,
  type CatalogueEntry,
  type RankSurface,
  type UserHistory,
  FEATURES,
} from '@recs/pipeline';
import type { FeatureContribution, RecommendedItem } from './Recommendation';

/**
 * A ranked item's feature row and the request's baseline row (plain arrays: they travel with the cached
 * list), from which `explain` computes contributions only when a client asks for them.
 */
export interface RankedRow {
  surface: RankSurface;
  row: number[];
  baseline: number[];
}

/** The trained ensembles and their feature names, as `rankers.json` stores them. */
interface RankersArtefact {
  features: Record<RankSurface, string[]>;
  cart: TreeEnsemble | null;
  home: TreeEnsemble | null;
}

/**
 * The learned path of CART and HOME: candidates from every source of the model version (EASE on the
 * cart and on the shopper's history, cosine and content neighbours, buy-again, trending in the
 * country), features computed by the same code as training, and one ONNX Runtime batch per request
 * for the GBDT ranker. Shoppers without history get the cold-start list (first orders and country).
 * Features are taken at the model's cut-off until live features arrive from the event stream.
 */
export class LearnedRanker {
  private constructor(
    private readonly m: CandidateModels,
    private readonly rankers: Partial<Record<RankSurface, ModelRuntime>>,
    private readonly catalogue: ReadonlyMap<string, CatalogueEntry>,
    private readonly ensembles?: RankersArtefact,
  ) {}

  /**
   * Loads a model version's candidate models and rankers; undefined when the version has none or
   * wrote them in an older format (the servers then run on the graph and popularity). With
   * `prepareCart: false` the CART and PRODUCT neighbour lists are built on their first use instead of
   * now: for a batch that ranks only HOME or EMAIL lists and would never read them.
   */
  static async load(
    registryDir: string,
    version: string,
    catalogue: ReadonlyMap<string, CatalogueEntry>,
    { prepareCart = true }: { prepareCart?: boolean } = {},
  ): Promise<LearnedRanker | undefined> {
    const registry = new ModelRegistry(registryDir);
    if (!(await registry.has(version, 'candidates'))) return undefined;
    let m: CandidateModels;
    try {
      m = await loadCandidateModels(registry, version);
    } catch (err) {
      if (err instanceof CandidatesFormatError) return undefined;
      throw err;
    }
    const rankers: Partial<Record<RankSurface, ModelRuntime>> = {};
    for (const surface of ['cart', 'home'] as const) {
      if (await registry.has(version, `ranker-${surface}`)) {
        rankers[surface] = await loadOnnxModel(await registry.readBinary(version, `ranker-${surface}`));
      }
    }
    // CART and PRODUCT candidates come from per-product neighbour lists: built now, in slices, so the
    // first request does not pay for them and the version being replaced keeps answering meanwhile
    if (prepareCart) await prepareCartNeighbours(m);
    const ensembles = (await registry.has(version, 'rankers'))
      ? await registry.read<RankersArtefact>(version, 'rankers')
      : undefined;
    return new LearnedRanker(m, rankers, catalogue, ensembles);
  }

  /** Whether the CART and PRODUCT lists are built: at load, or on first use (`prepareCart: false`). */
  cartListsBuilt(): boolean {
    return cartNeighboursBuilt(this.m);
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.rankers).map((r) => r.close()));
  }

  private freshCache?: string[];

  /**
   * Fresh products for exploration: sold in few baskets overall (at most 50) but mostly in the last 30
   * days before the cut-off, the 50 most bought recently.
   */
  freshProducts(): string[] {
    if (!this.freshCache) {
      const { items, itemBaskets } = this.m.matrix;
      const recent = this.m.recentPopularity;
      const fresh = new Float32Array(items.length);
      for (let i = 0; i < items.length; i++) {
        const support = itemBaskets[i]!;
        if (support > 0 && support <= 50 && recent[i]! / support >= 0.5) fresh[i] = recent[i]!;
      }
      this.freshCache = topK(fresh, 50)
        .filter((i) => fresh[i]! > 0)
        .map((i) => items[i]!);
    }
    return this.freshCache;
  }

  /**
   * The shopper's vector in the ALS space, for a FAISS search of the item index: their purchases before
   * the cut-off and since (each item weighted by its invoices), folded in without retraining. Also the
   * items it came from, for the reason. Undefined for a shopper with no purchase the model knows.
   */
  alsQuery(userId: string, livePurchases: readonly string[] = []): AlsQuery | undefined {
    const history = withLivePurchases(this.m, userId, this.m.matrix.users.get(userId), livePurchases);
    if (!history || history.items.length === 0) return undefined;
    return { vector: foldIn(this.m.als, history.items, history.invoices), items: history.items };
  }

  /** Title of the shopper's item whose ALS vector is closest to the product's: the evidence for an ALS pick. */
  alsEvidence(query: AlsQuery, productId: string): string | undefined {
    const j = this.m.matrix.index.get(productId);
    if (j === undefined) return undefined;
    const { factors: f, itemFactors: y } = this.m.als;
    let best = -Infinity;
    let from: number | undefined;
    for (const i of query.items) {
      let dot = 0;
      for (let a = 0; a < f; a++) dot += y[i * f + a]! * y[j * f + a]!;
      if (dot > best) [best, from] = [dot, i];
    }
    if (from === undefined) return undefined;
    const id = this.m.matrix.items[from]!;
    return this.catalogue.get(id)?.title ?? id;
  }

  /** Whether the model version saw this customer buy. */
  knowsUser(userId: string): boolean {
    return this.m.matrix.users.has(userId);
  }

  /** Purchase lines of the customer before the model's cut-off (0 for a new one). */
  purchaseLines(userId: string): number {
    return this.m.matrix.users.get(userId)?.lines.length ?? 0;
  }

  /** Whether the model version has seen this product (a new one is ranked by its title instead). */
  knows(productId: string): boolean {
    return this.m.matrix.index.has(productId);
  }

  /**
   * The product page of a product first sold after training: its title's nearest known titles become
   * seeds of the basket EASE (what is bought with products like it), blended with recent popularity, as
   * the new-product protocol of the offline evaluation measures it.
   */
  newProduct(title: string, limit: number): RecommendedItem[] {
    const n = this.m.matrix.items.length;
    const scores = new Float32Array(n);
    const similarity = new Float32Array(n);
    newProductScores(this.m, title, scores, similarity);
    const nearest = topK(similarity, 1)[0];
    const like =
      nearest !== undefined && similarity[nearest]! > 0
        ? (this.catalogue.get(this.m.matrix.items[nearest]!)?.title ?? this.m.matrix.items[nearest]!)
        : undefined;
    return topK(scores, limit, undefined, this.m.recentPopularity).map((i) => ({
      productId: this.m.matrix.items[i]!,
      score: scores[i]!,
      sources: ['new_product'],
      ...(like
        ? { reasonCode: 'BOUGHT_TOGETHER' as const, reason: `Bought with products like ${like}` }
        : { reasonCode: 'POPULAR' as const, reason: 'Popular in the last 30 days' }),
    }));
  }

  /** CART: complements of the whole cart, never a cart item. */
  cart(
    userId: string,
    cart: string[],
    country: string | undefined,
    limit: number,
    at?: number,
  ): Promise<RecommendedItem[]> {
    return this.rank('cart', userId, cart, country, limit, this.featureTime(at));
  }

  /**
   * The time the ranker's features are computed at (days since a purchase, purchases in the last 90
   * days, ...): the request's time (`context.time`) when it is after the model's cut-off, else the
   * cut-off, the latest time the model knows.
   */
  private featureTime(at: number | undefined): number {
    const until = this.m.matrix.until;
    return at !== undefined && at > until ? at : until;
  }

  /**
   * Substitutes of one product: the catalogue's most similar titles (TF-IDF cosine), never the
   * product itself; [] for a product the model has never seen.
   */
  similar(productId: string, limit: number): RecommendedItem[] {
    const i = this.m.matrix.index.get(productId);
    if (i === undefined) return [];
    const n = this.m.matrix.items.length;
    const sum = new Float32Array(n);
    textScores(this.m.text, [i], sum, new Float32Array(n));
    const title = this.catalogue.get(productId)?.title ?? productId;
    return topK(sum, limit, new Set([i]), this.m.recentPopularity)
      .filter((j) => sum[j]! > 0)
      .map((j) => ({
        productId: this.m.matrix.items[j]!,
        score: sum[j]!,
        sources: ['content'],
        reasonCode: 'SIMILAR' as const,
        reason: `Similar to ${title}`,
      }));
  }

  /**
   * HOME: buy-again, "for you" and trending, ranked; cold start for shoppers without history.
   * `livePurchases` (products bought since the model's cut-off, from the event stream) join the
   * shopper's history as one more order at the cut-off, so a purchase changes the next HOME list and a
   * new shopper's first order personalises it.
   */
  async home(
    userId: string,
    country: string | undefined,
    limit: number,
    livePurchases: readonly string[] = [],
    at?: number,
  ): Promise<RecommendedItem[]> {
    const ts = this.featureTime(at);
    const history = withLivePurchases(this.m, userId, this.m.matrix.users.get(userId), livePurchases, ts);
    if (!history) return this.coldStart(country, limit);
    return this.rank('home', userId, [], country, limit, ts, history);
  }

  /**
   * SEARCH: re-ranks the shop's own results by reciprocal-rank fusion (k = 60) of three orders: the
   * shop's, the HOME ranker's for this shopper (shoppers with history only) and the query's TF-IDF
   * match to the titles. Never adds a product; products the model has never seen keep only the shop's
   * vote. Returns every candidate, best first.
   */
  async search(
    userId: string,
    candidateIds: readonly string[],
    query: string | undefined,
    country: string | undefined,
    at?: number,
  ): Promise<RecommendedItem[]> {
    const K = 60;
    const fused = new Map<string, number>();
    const voters = new Map<string, string[]>(candidateIds.map((id) => [id, ['search']]));
    candidateIds.forEach((id, r) => fused.set(id, 1 / (K + r + 1)));
    const known = candidateIds
      .map((id) => this.m.matrix.index.get(id))
      .filter((i): i is number => i !== undefined);
    const personal = new Map<string, Pick<RecommendedItem, 'reason' | 'reasonCode'>>();
    const ranker = this.rankers.home;
    const q = queryOf(this.m, userId, [], country ?? null, this.featureTime(at));
    if (ranker && q.history && known.length > 0) {
      const f = candidateFeatures(this.m, q, 'home', Int32Array.from(known));
      const scores = await ranker.predict(f.x, f.items.length);
      topK(scores, f.items.length).forEach((k, r) => {
        const id = this.m.matrix.items[f.items[k]!]!;
        fused.set(id, fused.get(id)! + 1 / (K + r + 1));
        voters.get(id)!.push('ranker_home');
        if (r < 3) {
          const why = this.reason(f.items[k]!, ['buy_again', 'ease_user'], q.cart, q.history, undefined);
          if (why.reasonCode === 'BUY_AGAIN' || why.reasonCode === 'FOR_YOU') personal.set(id, why);
        }
      });
    }
    if (query && known.length > 0) {
      const match = new Float32Array(this.m.matrix.items.length);
      titleScores(this.m.text, query, match);
      known
        .filter((i) => match[i]! > 0)
        .sort((a, b) => match[b]! - match[a]!)
        .forEach((i, r) => {
          const id = this.m.matrix.items[i]!;
          fused.set(id, fused.get(id)! + 1 / (K + r + 1));
          voters.get(id)!.push('query_text');
        });
    }
    return [...fused.entries()]
      .map(([productId, score], i) => ({ productId, score, i }))
      .sort((a, b) => b.score - a.score || a.i - b.i)
      .map(({ productId, score }) => ({
        productId,
        score,
        sources: voters.get(productId)!,
        ...(personal.get(productId) ?? {
          reasonCode: 'SEARCH_MATCH' as const,
          reason: query ? `Matches "${query.slice(0, 40)}"` : 'Matches your search',
        }),
      }));
  }

  private async rank(
    surface: RankSurface,
    userId: string,
    cart: string[],
    country: string | undefined,
    limit: number,
    /** The feature time ({@link featureTime}). */
    ts: number,
    history?: UserHistory,
  ): Promise<RecommendedItem[]> {
    const ranker = this.rankers[surface];
    if (!ranker) throw new Error(`the model version has no ${surface} ranker`);
    const base = queryOf(this.m, userId, cart, country ?? null, ts);
    const q = history ? { ...base, history } : base;
    const f = candidateFeatures(this.m, q, surface);
    if (f.items.length === 0) return [];
    const scores = await ranker.predict(f.x, f.items.length);
    const order = topK(scores, limit);
    const dim = FEATURES[surface].length;
    const baseline = Array.from(medianRow(f.x, f.items.length, dim));
    return order.map((k) => {
      const item = f.items[k]!;
      return {
        productId: this.m.matrix.items[item]!,
        score: scores[k]!,
        ranked: { surface, row: Array.from(f.x.subarray(k * dim, (k + 1) * dim)), baseline },
        sources: f.sources.get(item) ?? [],
        ...this.reason(item, f.sources.get(item) ?? [], q.cart, q.history, country),
      };
    });
  }

  /**
   * The ranker's feature contributions for one ranked item, in log-odds: for each feature, the score
   * minus the score with that feature set to the request's median candidate (how much this value moved
   * the item against a typical candidate of the same list). Non-zero ones, largest magnitude first.
   */
  contributions(ranked: RankedRow): FeatureContribution[] {
    const model = this.ensembles?.[ranked.surface];
    const names = this.ensembles?.features[ranked.surface];
    if (!model || !names) return [];
    const dim = ranked.row.length;
    const margin: TreeEnsemble = { ...model, sigmoid: false };
    const x = new Float32Array((dim + 1) * dim);
    for (let r = 0; r <= dim; r++) x.set(ranked.row, r * dim);
    for (let f = 0; f < dim; f++) x[(f + 1) * dim + f] = ranked.baseline[f]!;
    const z = treeEnsemblePredict(margin, x, dim + 1);
    const out: FeatureContribution[] = [];
    for (let f = 0; f < dim; f++) {
      const contribution = z[0]! - z[f + 1]!;
      if (Math.abs(contribution) > 1e-6)
        out.push({ feature: names[f]!, value: ranked.row[f]!, contribution });
    }
    return out.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
  }

  /** The cold-start list depends only on the model and the country: computed once per country. */
  private readonly coldStartLists = new Map<string, RecommendedItem[]>();

  private coldStart(country: string | undefined, limit: number): RecommendedItem[] {
    const inCountry = country !== undefined && this.m.firstOrderPopularityByCountry.has(country);
    // country is a validated ISO code, so the cache holds at most one list per code
    const key = country ?? '';
    let list = this.coldStartLists.get(key);
    if (!list) {
      const scores = new Float32Array(this.m.matrix.items.length);
      coldStartScores(this.m, country ?? null, scores);
      list = topK(scores, 100, undefined, this.m.recentPopularity).map((i) => ({
        productId: this.m.matrix.items[i]!,
        score: scores[i]!,
        sources: ['cold_start'],
        reasonCode: inCountry ? ('POPULAR_IN_COUNTRY' as const) : ('POPULAR' as const),
        reason: inCountry
          ? `Popular with new customers in ${country} recently`
          : 'Popular with new customers recently',
      }));
      this.coldStartLists.set(key, list);
    }
    return list.slice(0, limit);
  }

  /** The strongest evidence for one candidate, named. */
  private reason(
    item: number,
    sources: string[],
    cart: Int32Array,
    history: UserHistory | undefined,
    country: string | undefined,
  ): Pick<RecommendedItem, 'reason' | 'reasonCode'> {
    const n = this.m.matrix.items.length;
    const title = (i: number) => {
      const id = this.m.matrix.items[i]!;
      return this.catalogue.get(id)?.title ?? id;
    };
    if (history && sources.includes('buy_again')) {
      const k = history.items.indexOf(item);
      const orders = k >= 0 ? history.invoices[k]! : 0;
      if (orders > 0) {
        return {
          reasonCode: 'BUY_AGAIN',
          reason: `You bought this in ${orders} order${orders > 1 ? 's' : ''}`,
        };
      }
    }
    if (cart.length > 0) {
      let best = -1;
      let count = 0;
      for (const i of cart) {
        const c = this.m.cooccurrence[i * n + item]!;
        if (c > count) {
          count = c;
          best = i;
        }
      }
      if (best >= 0) {
        return {
          reasonCode: 'BOUGHT_TOGETHER',
          reason: `Bought together with ${title(best)} in ${count} orders`,
        };
      }
      return { reasonCode: 'SIMILAR', reason: `Similar to ${title(cart[0]!)}` };
    }
    if (history && sources.includes('ease_user')) {
      // the history item with the largest B_i,item, read from the item's own row: B_ij ∝ B_ji · P_ii
      const { weights, diagonal } = this.m.userEase;
      const row = item * n;
      let best = -1;
      let weight = 0;
      for (const i of history.items) {
        const w = weights[row + i]! * diagonal[i]!;
        if (w > weight) {
          weight = w;
          best = i;
        }
      }
      if (best >= 0) return { reasonCode: 'FOR_YOU', reason: `Because you bought ${title(best)}` };
    }
    return country && this.m.recentPopularityByCountry.has(country)
      ? { reasonCode: 'POPULAR_IN_COUNTRY', reason: `Popular in ${country} in the last 30 days` }
      : { reasonCode: 'TRENDING', reason: 'Popular in the last 30 days' };
  }
}

/** Per-column medians of a row-major `n × dim` matrix. */
function medianRow(x: Float32Array, n: number, dim: number): Float32Array {
  const out = new Float32Array(dim);
  const col = new Float32Array(n);
  for (let f = 0; f < dim; f++) {
    for (let r = 0; r < n; r++) col[r] = x[r * dim + f]!;
    col.sort();
    out[f] = n % 2 ? col[(n - 1) >> 1]! : (col[n / 2 - 1]! + col[n / 2]!) / 2;
  }
  return out;
}

/** A shopper's ALS vector and the catalogue indices it was folded in from. */
export interface AlsQuery {
  vector: Float32Array;
  items: Int32Array;
}

/**
 * The shopper's history with the products bought since the cut-off added as one order at `now` (the
 * request's feature time; default the cut-off, the models' "now"): invoice counts +1, last purchase time
 * and purchase lines updated. Products the model does not know are left out. Undefined when the
 * shopper has neither history nor live purchases.
 */
export function withLivePurchases(
  m: CandidateModels,
  userId: string,
  history: UserHistory | undefined,
  livePurchases: readonly string[],
  now = m.matrix.until,
): UserHistory | undefined {
  const bought = [...new Set(livePurchases)]
    .map((id) => m.matrix.index.get(id))
    .filter((i): i is number => i !== undefined);
  if (bought.length === 0) return history;
  const counts = new Map<number, { invoices: number; lastTs: number }>();
  history?.items.forEach((item, k) =>
    counts.set(item, { invoices: history.invoices[k]!, lastTs: history.lastTs[k]! }),
  );
  for (const item of bought) {
    const c = counts.get(item);
    counts.set(item, { invoices: (c?.invoices ?? 0) + 1, lastTs: now });
  }
  const items = [...counts.keys()].sort((a, b) => a - b);
  return {
    userId,
    items: Int32Array.from(items),
    invoices: Int32Array.from(items.map((i) => counts.get(i)!.invoices)),
    lastTs: Float64Array.from(items.map((i) => counts.get(i)!.lastTs)),
    lines: [...(history?.lines ?? []), ...bought.map((item) => ({ item, ts: now }))],
    country: history?.country ?? null,
  };
}
