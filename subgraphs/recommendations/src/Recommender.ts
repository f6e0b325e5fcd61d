import { MemoryCoPurchaseGraph, type CoPurchaseGraph, type CoPurchaseNeighbour } from '@recs/graph';
import type { Logger } from '@recs/core';
import type { ModelBundle } from '@recs/pipeline';
import { PopularityRecommender } from './PopularityRecommender';
import type { FeatureContribution, RecommendationResult, RecommendedItem } from './Recommendation';
import type { RecommendationRequest } from './RecommendationRequest';
import { SourceTimeoutError, withTimeout } from './withTimeout';
import { syncGraph } from './syncGraph';
import { SharedCandidates, sharedCandidatesKey, type SharedCandidatesEvent } from './SharedCandidates';
import {
  CircuitBreaker,
  CircuitOpenError,
  type CircuitBreakerOptions,
  type CircuitState,
} from './CircuitBreaker';
import type { LearnedRanker, RankedRow } from './LearnedRanker';
import { applyRules, ineligibility } from './rules/applyRules';
import { decidePush, type PushDecision } from './rules/push';
import {
  LiveFacts,
  PREFERENCE_FIELDS,
  encodeSend,
  shopperFacts,
  type LiveShopperFacts,
} from './rules/LiveFacts';
import { defaultRuleConfig, type RuleConfig } from './rules/RuleConfig';
import { explore } from './rules/exploration';
import { cartTail, mixRanked } from './mixRanked';
import { createMemoryFeatureStore } from '@recs/feature-store';
import type { VariantConfig } from '@recs/experiments';

export interface RecommenderOptions {
  bundle: ModelBundle;
  graph: CoPurchaseGraph;
  /**
   * The version's pairs, packed, when the server moved them out of `bundle.coPurchase` after loading
   * them into the graph database (`outageGraphOf`): what answers while the database is down. Without
   * it, an in-process graph is built from `bundle.coPurchase` on first need.
   */
  outageGraph?: Pick<CoPurchaseGraph, 'topK'>;
  log: Logger;
  /** Time budget of the co-purchase graph per request (default 50 ms). */
  graphBudgetMs?: number;
  /**
   * Most co-purchase graph queries this process has running at once (default 4). A cart arriving while
   * that many are running is not queued behind them: it is answered at once from the packed copy of
   * the version's pairs (`outageGraph`), flagged as a fallback. A query counts until the database has
   * answered it, even after its budget ran out (at most 20 budgets). The limit is per Recommender: one
   * per model version served, in each worker process.
   */
  graphMaxInFlight?: number;
  /** Called when a backend call is not made because that backend has its limit of calls running. */
  onShed?: (source: string) => void;
  /** The model version's learned CART and HOME path, when it has one. */
  learned?: LearnedRanker;
  /** Time budget of the learned path per request (default 150 ms). */
  learnedBudgetMs?: number;
  /** Called when a source fails, for metrics. */
  onSourceFailure?: (source: string) => void;
  /** Live product flags and shopper preferences; default: an in-process store (embedded mode). */
  facts?: LiveFacts;
  /** Time budget of the live-facts reads per request (default 100 ms: it also covers waiting behind other requests on a busy event loop). */
  factsBudgetMs?: number;
  /** Business rules; default {@link defaultRuleConfig}. */
  rules?: RuleConfig;
  /** Circuit breakers of the backends (ranker, graph, live store); see {@link CircuitBreaker}. */
  breakers?: Omit<CircuitBreakerOptions, 'onStateChange'>;
  /** Called when a backend's circuit changes state, for metrics. */
  onCircuitChange?: (source: string, state: CircuitState) => void;
  /** Called with the number of candidates each rule removed, for metrics. */
  onRuleRemoved?: (rule: string, count: number) => void;
  /**
   * How long a ranking shared by shoppers the model does not know is served, ms (default 60 s; 0 turns
   * sharing off). See {@link SharedCandidates}.
   */
  sharedRankingTtlMs?: number;
  /** Most shared rankings kept (default 5000). */
  sharedRankingMax?: number;
  /** Called on every shared-ranking hit, miss, background refresh and eviction, for metrics. */
  onSharedRanking?: (event: SharedCandidatesEvent) => void;
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
  readonly facts: LiveFacts;
  readonly rules: RuleConfig;
  /** Rankings shared by the shoppers the model does not know; absent when switched off. */
  private readonly shared?: SharedCandidates;

  constructor(private readonly opts: RecommenderOptions) {
    this.popularity = new PopularityRecommender(opts.bundle);
    const recent = new Map<string, number>();
    for (const p of opts.bundle.popularity.global) recent.set(p.productId, p.baskets);
    this.facts =
      opts.facts ?? new LiveFacts(opts.bundle.catalogue, createMemoryFeatureStore(), (id) => recent.get(id));
    this.rules = opts.rules ?? defaultRuleConfig();
    const sharedTtlMs = opts.sharedRankingTtlMs ?? 60_000;
    if (sharedTtlMs > 0)
      this.shared = new SharedCandidates({
        ttlMs: sharedTtlMs,
        maxEntries: opts.sharedRankingMax ?? 5000,
        onEvent: opts.onSharedRanking,
      });
  }

  get modelVersion(): string {
    return this.opts.bundle.version;
  }

  private readonly circuits = new Map<string, CircuitBreaker>();

  /** Counts a failed source; logs it unless its circuit is open (the state change was logged once). */
  private sourceFailed(source: string, err: unknown): void {
    this.opts.onSourceFailure?.(source);
    if (!(err instanceof CircuitOpenError)) {
      this.opts.log.warn({ err: (err as Error).message, source }, 'candidate source failed');
    }
  }

  /** The circuit breaker of one backend, created on first use. */
  breaker(source: string): CircuitBreaker {
    let b = this.circuits.get(source);
    if (!b) {
      b = new CircuitBreaker(source, {
        ...this.opts.breakers,
        onStateChange: (state) => {
          this.opts.log[state === 'open' ? 'warn' : 'info'](
            { source, state },
            'circuit breaker state changed',
          );
          this.opts.onCircuitChange?.(source, state);
        },
      });
      this.circuits.set(source, b);
    }
    return b;
  }

  /**
   * One request: candidates ranked deeper than `limit` (learned path, else graph, else popularity), the
   * popularity list behind them as the fill, then the business rules over both with the live flags and
   * the shopper's preferences (read in parallel with ranking, one batch each), so the list is filled to
   * `limit` whenever enough eligible products exist.
   */
  async recommend(
    request: RecommendationRequest,
    variant: VariantConfig = {},
  ): Promise<RecommendationResult> {
    if (request.surface === 'PUSH') {
      // PUSH serves the products of a notification trigger, or nothing (see push())
      const push = await this.push(request);
      return {
        modelVersion: this.modelVersion,
        items: push.send ? push.items.slice(0, request.limit) : [],
        rulesVersion: this.rules.version,
        fallback: push.fallback,
        ...(push.fallbackReason ? { fallbackReason: push.fallbackReason } : {}),
      };
    }
    let req = request;
    const shopper = this.shopperFacts(req);
    const learnedOn = variant.ranker !== false;
    const knownUser = this.knowsUser(req.userId);
    // HOME and EMAIL rank with the shopper's live purchases and CART without a cart uses the live cart,
    // so they wait for the preferences read, and so does a shopper the model does not know (whose
    // ranking may be a shared one); the other surfaces rank in parallel with it and only an opted-out
    // shopper's ranking is redone
    const needsShopper =
      req.surface === 'HOME' ||
      req.surface === 'EMAIL' ||
      (req.surface === 'CART' && req.context.cartProductIds.length === 0) ||
      (!knownUser && this.shared !== undefined);
    let candidates = needsShopper ? undefined : this.candidates(req, learnedOn);
    const live = (await shopper).value;
    const anonymous = live.personalizationOptOut;
    if (anonymous) {
      // opted out of personalisation (or forgotten): ranked as a stranger, nothing from their history
      req = anonymised(req);
      candidates?.catch(() => undefined);
      candidates = undefined;
    } else if (req.surface === 'CART' && req.context.cartProductIds.length === 0) {
      // no cart in the request: the cart the event stream saw (add_to_cart within the last second counts)
      const cart = live.liveCart.slice(-20);
      if (cart.length > 0) req = { ...req, context: { ...req.context, cartProductIds: [...cart] } };
    }
    // products bought since the model's cut-off join the history of HOME and EMAIL
    const purchases =
      !anonymous && (req.surface === 'HOME' || req.surface === 'EMAIL') ? live.livePurchases : undefined;
    // an opted-out shopper's earlier session is not used either
    const viewed = anonymous ? [] : (live.recentlyViewed ?? []);
    const rank = async () =>
      reweigh(
        await this.withSession(
          req,
          await (candidates ?? this.candidates(req, learnedOn, purchases)),
          viewed,
          learnedOn,
        ),
        variant.sourceWeights,
      );
    // nothing in this ranking depends on who asks: the one ranking of these inputs, shared
    const shared =
      this.shared &&
      (anonymous || !knownUser) &&
      !purchases?.length &&
      (req.surface !== 'HOME' || !viewed.length)
        ? this.shared
        : undefined;
    const ranked = shared ? await this.sharedRanking(shared, req, variant, rank) : await rank();
    const exclude = new Set(req.context.cartProductIds);
    if (req.context.productId) exclude.add(req.context.productId);
    const depth = this.depth(req);
    // SEARCH never adds products: its candidates are the shop's results and nothing else.
    const fill =
      req.surface === 'SEARCH'
        ? []
        : this.popularity.recommend({
            ...req,
            limit: depth,
            context: { ...req.context, cartProductIds: [...exclude] },
          }).items;
    // The fill ranks behind every ranked candidate: its scores are moved below the lowest ranked one.
    const floor = ranked.items.reduce((m, i) => Math.min(m, i.score), Infinity);
    const all = [
      ...ranked.items,
      ...(Number.isFinite(floor)
        ? fill.map((i) => ({ ...i, score: floor - 2 + Math.min(1, i.score) }))
        : fill),
    ];
    const rules = { ...this.rules.surfaces[req.surface], ...variant.rules };
    const pool = rules.explorationSlots > 0 && this.opts.learned ? this.opts.learned.freshProducts() : [];
    const [facts, shopperResult] = await Promise.all([
      this.productFacts([...all.map((i) => i.productId), ...pool]),
      shopper,
    ]);
    // EMAIL never repeats what the shopper's last sends contained
    if (req.surface === 'EMAIL') for (const id of shopperResult.value.recentlySent) exclude.add(id);
    const outcome = applyRules(all, {
      surface: req.surface,
      rules,
      promotions: req.surface === 'SEARCH' ? [] : this.rules.promotions,
      now: req.context.time ?? Date.now(),
      limit: req.limit,
      facts: facts.value,
      shopper: shopperResult.value,
      priceEdges: this.facts.priceEdges,
      exclude,
    });
    for (const [rule, count] of Object.entries(outcome.removed)) this.opts.onRuleRemoved?.(rule, count);
    // served items keep their feature rows: explain computes contributions only when asked
    const items = explore(
      outcome.items,
      pool,
      facts.value,
      shopperResult.value,
      rules.explorationSlots,
      exclude,
    );
    const degraded = [ranked.fallbackReason, facts.failure, shopperResult.failure].filter(Boolean);
    return {
      modelVersion: this.modelVersion,
      items,
      rulesVersion: this.rules.version,
      ...(anonymous ? { personalised: false } : {}),
      fallback: ranked.fallback || degraded.length > 0,
      ...(degraded.length > 0 ? { fallbackReason: degraded.join('; ') } : {}),
    };
  }

  /**
   * Remembers what one e-mail to the shopper contained, so the next `rules.repeatWindowSends` sends do
   * not repeat it (the live store keeps only that many sends).
   */
  async recordEmailSend(userId: string, productIds: readonly string[]): Promise<void> {
    const window = this.rules.surfaces.EMAIL.repeatWindowSends;
    if (window === 0 || productIds.length === 0) return;
    await this.facts.store.updateSet('user', userId, PREFERENCE_FIELDS.emailSends, {
      add: [encodeSend(productIds)],
      max: window,
    });
  }

  /** The ranking shared by every shopper {@link recommend} ranks without their identity. */
  private sharedRanking(
    shared: SharedCandidates,
    req: RecommendationRequest,
    variant: VariantConfig,
    rank: () => Promise<RecommendationResult>,
    onMiss: 'miss' | 'warm' = 'miss',
  ): Promise<RecommendationResult> {
    const c = req.context;
    const key = sharedCandidatesKey({
      surface: req.surface,
      depth: this.depth(req),
      country: c.country,
      productId: c.productId,
      cartProductIds: c.cartProductIds,
      query: c.query,
      candidateProductIds: c.candidateProductIds,
      variant: { ranker: variant.ranker, sourceWeights: variant.sourceWeights },
    });
    return shared.get(key, rank, onMiss);
  }

  /**
   * Computes the shared rankings of the most common anonymous requests before any shopper asks: HOME
   * and CART (no cart) for the model's countries and no country, PRODUCT for the most popular products,
   * at the given list lengths; one at a time, yielding between them, so serving traffic goes first.
   * Returns how many rankings were computed.
   */
  async warmShared(
    opts: { limits?: number[]; products?: number; countries?: number; signal?: AbortSignal } = {},
  ): Promise<number> {
    if (!this.shared) return 0;
    const { limits = [10, 20], products = 100, countries = 10, signal } = opts;
    const pop = this.opts.bundle.popularity;
    const byCountry = Object.entries(pop.byCountry)
      .sort((a, b) => b[1].reduce((s, p) => s + p.baskets, 0) - a[1].reduce((s, p) => s + p.baskets, 0))
      .slice(0, countries)
      .map(([c]) => c);
    const requests: RecommendationRequest[] = [];
    const base = { userId: ANONYMOUS_USER, context: { cartProductIds: [], candidateProductIds: [] } };
    for (const limit of limits) {
      for (const country of [undefined, ...byCountry]) {
        for (const surface of ['HOME', 'CART'] as const)
          requests.push({ ...base, surface, limit, context: { ...base.context, country } });
      }
      for (const p of pop.global.slice(0, products))
        requests.push({
          ...base,
          surface: 'PRODUCT',
          limit,
          context: { ...base.context, productId: p.productId },
        });
    }
    let done = 0;
    for (const r of requests) {
      await new Promise((resolve) => setImmediate(resolve));
      if (signal?.aborted) break;
      const rank = async () => reweigh(await this.candidates(r, true), undefined);
      const result = await this.sharedRanking(this.shared, r, {}, rank, 'warm').catch(() => undefined);
      if (result && !result.fallback) done++;
    }
    return done;
  }

  /** Whether the served model saw this shopper buy (a returning shopper, for experiment segments). */
  knowsUser(userId: string): boolean {
    return this.opts.learned?.knowsUser(userId) ?? false;
  }

  /** The shopper's purchase lines before the model's cut-off: the pre-experiment covariate of CUPED. */
  preExperimentPurchases(userId: string): number {
    return this.opts.learned?.purchaseLines(userId) ?? 0;
  }

  /**
   * The push notification for a shopper now: a viewed or carted product back in stock, a price drop,
   * or an abandoned cart (see rules/push.ts), within the frequency caps, with `deliverAfter` in quiet
   * hours (the shopper's local time is `context.time`, else the server's clock). Products the rules
   * make ineligible (hidden, out of stock, age, region) are left out; opted-out shoppers get none.
   */
  async push(req: RecommendationRequest): Promise<PushResult> {
    const now = Date.now();
    const read = await this.budgeted(
      'live_facts',
      'push state',
      async () => {
        const preferences = await this.facts.shopper(req.userId, req.context.country);
        const { interested, cart } = preferences.push;
        const products = await this.facts.pushProducts([...new Set([...interested, ...cart])]);
        return { preferences, products };
      },
      () => undefined,
    );
    if (!read.value) {
      return {
        send: false,
        reason: 'the live store is unavailable',
        items: [],
        fallback: true,
        fallbackReason: read.failure,
      };
    }
    const { preferences, products } = read.value;
    const shopper = preferences.push;
    if (preferences.personalizationOptOut) {
      return { send: false, reason: 'the shopper opted out of personalisation', items: [], fallback: false };
    }
    const decision = decidePush(shopper, products, now, req.context.time ?? now, this.rules.push);
    if (!decision.send) return { ...decision, items: [], fallback: false };
    const facts = await this.facts.products(decision.productIds);
    const eligible = decision.productIds.filter((id) => !ineligibility(id, facts.get(id), preferences));
    if (eligible.length === 0) {
      return {
        send: false,
        reason: `every product of the ${decision.trigger} trigger is ineligible`,
        items: [],
        fallback: false,
      };
    }
    const items: RecommendedItem[] = eligible.map((productId, i) => ({
      productId,
      score: 1 - i / (eligible.length + 1),
      sources: ['push'],
      reasonCode: decision.trigger,
      reason:
        decision.trigger === 'ABANDONED_CART'
          ? 'Still in your cart'
          : decision.trigger === 'BACK_IN_STOCK'
            ? 'Back in stock'
            : `Cheaper than when you looked: now ${products.get(productId)?.price?.toFixed(2) ?? ''}`.trim(),
    }));
    return { ...decision, items, fallback: false };
  }

  /** Remembers a push sent to the shopper, for the frequency caps. */
  async recordPushSend(userId: string, at = Date.now()): Promise<void> {
    await this.facts.store.updateSet('user', userId, PREFERENCE_FIELDS.pushSends, {
      add: [String(at)],
      max: Math.max(1, this.rules.push.maxPerWeek * 2),
    });
  }

  /** The ranker's feature contributions for a served item's feature row ([] without a learned ranker). */
  contributions(ranked: RankedRow): FeatureContribution[] {
    return this.opts.learned?.contributions(ranked) ?? [];
  }

  /**
   * HOME with a live session: what goes with the products the shopper just viewed (the learned CART
   * path on the last 5 viewed products as the cart) is interleaved at every other slot from the second,
   * with the viewed product as the reason, so a view changes the next HOME list. A failed or slow
   * session ranking leaves the list as it was.
   */
  private async withSession(
    req: RecommendationRequest,
    ranked: RecommendationResult,
    recentlyViewed: readonly string[],
    learnedOn: boolean,
  ): Promise<RecommendationResult> {
    const learned = learnedOn ? this.opts.learned : undefined;
    const seeds = recentlyViewed.filter((id) => learned?.knows(id)).slice(0, 5);
    if (req.surface !== 'HOME' || !learned || seeds.length === 0 || ranked.fallback) return ranked;
    let session: RecommendedItem[];
    try {
      session = await this.breaker('ranker').run(() =>
        withTimeout(
          learned.cart(req.userId, seeds, req.context.country, 10, req.context.time),
          this.opts.learnedBudgetMs ?? 150,
          'session ranking',
        ),
      );
    } catch (err) {
      this.sourceFailed('ranker', err);
      return ranked;
    }
    const name = this.opts.bundle.catalogue.get(seeds[0]!)?.title ?? seeds[0]!;
    const picks = session
      .filter((s) => !seeds.includes(s.productId))
      .slice(0, 5)
      .map((s) => ({
        ...s,
        sources: [...(s.sources ?? []), 'session'],
        reasonCode: 'SESSION' as const,
        reason: `Because you looked at ${name}`,
      }));
    const picked = new Set(picks.map((p) => p.productId));
    const rest = ranked.items.filter((i) => !picked.has(i.productId));
    const items: RecommendedItem[] = [];
    while (rest.length > 0 || picks.length > 0) {
      if (rest.length > 0) items.push(rest.shift()!);
      if (picks.length > 0) items.push(picks.shift()!);
    }
    // scores follow the new order, so the rules and the fill below keep it
    const top = items[0]?.score ?? 1;
    return {
      ...ranked,
      items: items.map((item, i) => ({ ...item, score: top + 1 - i / (items.length + 1) })),
    };
  }

  /** How many ranked candidates a request asks for, so the rules can drop some and still fill `limit`. */
  private depth(req: RecommendationRequest): number {
    return Math.min(300, req.limit * 3 + 30);
  }

  /** The ranked candidates: learned path, else graph and popularity; SEARCH re-ranks its own results. */
  private async candidates(
    req: RecommendationRequest,
    learnedOn: boolean,
    livePurchases: readonly string[] = [],
  ): Promise<RecommendationResult> {
    const learned = learnedOn ? this.opts.learned : undefined;
    const depth = this.depth(req);
    const cart =
      req.surface === 'PRODUCT' && req.context.productId
        ? [req.context.productId]
        : req.context.cartProductIds;
    const useLearned =
      learned &&
      (req.surface === 'SEARCH' ||
        req.surface === 'HOME' ||
        req.surface === 'EMAIL' ||
        ((req.surface === 'CART' || req.surface === 'PRODUCT') && cart.length > 0));
    let learnedFailure: string | undefined;
    if (
      learned &&
      useLearned &&
      (req.surface === 'CART' || req.surface === 'PRODUCT') &&
      cart.length > 0 &&
      cart.every((p) => !learned.knows(p))
    ) {
      // No cart item (or viewed product) is known to the dense models: each was first sold after the
      // cut-off, or is outside their product cap on a large catalogue. The co-purchase graph holds the
      // version's pairs for every product (those seen in two or more invoices), so it answers when it
      // can; when it has nothing or fails, the learned paths below go on.
      // (During a graph outage the server's packed copy of the pairs answers, flagged as a fallback.)
      const viaGraph = await this.fromGraphAndPopularity({ ...req, limit: depth });
      if (viaGraph.items.some((i) => i.sources?.includes('cooccurrence_graph'))) return viaGraph;
    }
    if (
      learned &&
      req.surface === 'PRODUCT' &&
      req.context.productId &&
      !learned.knows(req.context.productId)
    ) {
      // a product first sold after training: ranked by its title, if the catalogue feed announced one
      const productId = req.context.productId;
      try {
        const items = await this.breaker('ranker').run(() =>
          withTimeout(
            this.facts.title(productId).then((title) => (title ? learned.newProduct(title, depth) : [])),
            this.opts.learnedBudgetMs ?? 150,
            'new-product ranking',
          ),
        );
        if (items.length > 0) return { modelVersion: this.modelVersion, items, fallback: false };
      } catch (err) {
        learnedFailure = `new-product ranking unavailable: ${publicReason(err)}`;
        this.sourceFailed('ranker', err);
      }
    }
    // A cart mixing products the dense models know with catalogue products they do not (the tail of a
    // catalogue over the model's product cap): the learned path sees only the known items and ranks
    // only known products, so the co-purchase partners of the tail items, asked at the same time,
    // get the tail's share of the list (cartTail). Products first sold after the cut-off count as
    // neither.
    const mixed =
      learned && useLearned && req.surface === 'CART'
        ? cartTail(
            cart,
            (p) => learned.knows(p),
            (p) => this.opts.bundle.catalogue.has(p),
          )
        : undefined;
    // `failure`: why the graph did not answer (the partners then come from the outage graph, if any)
    const tailGraph: Promise<{ items: RecommendedItem[]; failure?: string }> | undefined = mixed?.share
      ? this.boughtTogether(mixed.tail, depth, cart).then(
          (items) => ({ items }),
          async (err: unknown) => ({
            items: await this.togetherDuringOutage(mixed.tail, depth, cart),
            failure: `co-purchase graph unavailable: ${publicReason(err)}`,
          }),
        )
      : undefined;
    if (useLearned && !learnedFailure) {
      try {
        let ranked = await this.breaker('ranker').run(() =>
          withTimeout(
            req.surface === 'HOME' || req.surface === 'EMAIL'
              ? learned.home(req.userId, req.context.country, depth, livePurchases, req.context.time)
              : req.surface === 'SEARCH'
                ? learned.search(
                    req.userId,
                    req.context.candidateProductIds,
                    req.context.query,
                    req.context.country,
                    req.context.time,
                  )
                : learned.cart(req.userId, cart, req.context.country, depth, req.context.time),
            this.opts.learnedBudgetMs ?? 150,
            'learned ranker',
          ),
        );
        const tail = tailGraph && (await tailGraph);
        if (tail && mixed) ranked = mixRanked(ranked, tail.items, mixed.share, depth);
        if (tail?.failure && tail.items.length > 0) {
          const fallbackReason = `${tail.failure}; ${OUTAGE_ANSWER}`;
          return { modelVersion: this.modelVersion, items: ranked, fallback: true, fallbackReason };
        }
        return { modelVersion: this.modelVersion, items: ranked, fallback: false };
      } catch (err) {
        learnedFailure = `learned ranker unavailable: ${publicReason(err)}`;
        this.sourceFailed('ranker', err);
      }
    }
    if (learnedFailure && (req.surface === 'HOME' || req.surface === 'EMAIL')) {
      // the ranker is down but the shopper's vector and the FAISS item index are not: still personal
      const items = await this.fromItemIndex(req.userId, livePurchases, depth);
      if (items.length > 0)
        return { modelVersion: this.modelVersion, items, fallback: true, fallbackReason: learnedFailure };
    }
    const result = await this.fromGraphAndPopularity({ ...req, limit: depth });
    return learnedFailure
      ? { ...result, fallback: true, fallbackReason: result.fallbackReason ?? learnedFailure }
      : result;
  }

  /**
   * The shopper's ALS vector (purchases before the cut-off and since, folded in) searched in the model's
   * FAISS item index: the `als` source, each item with the purchase closest to it as the reason. Empty
   * without an index, for a shopper with no known purchase, or when the index fails (counted under
   * `faiss`, behind its own circuit breaker).
   */
  private async fromItemIndex(
    userId: string,
    livePurchases: readonly string[],
    depth: number,
  ): Promise<RecommendedItem[]> {
    const index = this.opts.bundle.itemIndex;
    const learned = this.opts.learned;
    const query = index && learned?.alsQuery(userId, livePurchases);
    if (!index || !learned || !query) return [];
    let hits;
    try {
      hits = await this.breaker('faiss').run(async () => index.search(query.vector, depth));
    } catch (err) {
      this.sourceFailed('faiss', err);
      return [];
    }
    return hits.map((hit) => {
      const evidence = learned.alsEvidence(query, hit.id);
      return {
        productId: hit.id,
        score: hit.score,
        reasonCode: 'FOR_YOU' as const,
        reason: evidence ? `Because you bought ${evidence}` : 'Picked for you from your purchases',
        sources: ['als'],
      };
    });
  }

  /** Live facts of the candidates; on a slow or failed store, the catalogue's alone (and says so). */
  private productFacts(ids: string[]) {
    return this.budgeted(
      'live_facts',
      'live product flags',
      () => this.facts.products(ids),
      () => this.facts.catalogueFacts(ids),
    );
  }

  /** The shopper's preferences; on a slow or failed store, none (and says so). */
  private shopperFacts(req: RecommendationRequest) {
    return this.budgeted(
      'preferences',
      'shopper preferences',
      () => this.facts.shopper(req.userId, req.context.country),
      (): LiveShopperFacts => shopperFacts(undefined, req.context.country),
    );
  }

  /** A live read within `FACTS_BUDGET_MS`; past it or on failure, `fallback()` with the reason, counted and logged. */
  private async budgeted<T>(
    source: string,
    what: string,
    read: () => Promise<T>,
    fallback: () => T,
  ): Promise<{ value: T; failure?: string }> {
    try {
      return {
        value: await this.breaker(source).run(() =>
          withTimeout(read(), this.opts.factsBudgetMs ?? 100, what),
        ),
      };
    } catch (err) {
      this.sourceFailed(source, err);
      return { value: fallback(), failure: `${what} unavailable: ${publicReason(err)}` };
    }
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
      fallbackReason = `co-purchase graph unavailable: ${publicReason(err)}`;
      together = await this.togetherDuringOutage(seeds, req.limit, seeds);
      if (together.length > 0) fallbackReason += `; ${OUTAGE_ANSWER}`;
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
   * budget), strongest first, never a seed nor one of `exclude` (default: the seeds). Throws when
   * the graph fails or is slow, after counting and logging it.
   */
  async boughtTogether(
    seeds: string[],
    limit: number,
    exclude: readonly string[] = seeds,
  ): Promise<RecommendedItem[]> {
    const maxInFlight = this.opts.graphMaxInFlight ?? 4;
    const budgetMs = this.opts.graphBudgetMs ?? DEFAULT_GRAPH_BUDGET_MS;
    if (this.graphInFlight >= maxInFlight) {
      // Shedding is not a failure of the graph: it neither opens the breaker nor logs a line per cart
      // (one when it starts, one when it ends).
      this.opts.onShed?.('graph');
      if (!this.graphShedding) {
        this.graphShedding = true;
        this.opts.log.warn(
          { source: 'graph', maxInFlight },
          'co-purchase graph busy: shedding to the packed pairs',
        );
      }
      throw new BackendBusyError(`co-purchase graph busy: ${maxInFlight} queries running`);
    }
    if (this.graphShedding) {
      this.graphShedding = false;
      this.opts.log.info({ source: 'graph' }, 'co-purchase graph no longer busy');
    }
    try {
      const neighbours = await this.breaker('graph').run(() => {
        // The slot is held until the database answers, or at most GRAPH_QUERY_BUDGETS budgets (the
        // breaker then sees the time-outs).
        this.graphInFlight++;
        let held = true;
        const release = () => {
          if (held) {
            held = false;
            this.graphInFlight--;
          }
          clearTimeout(ceiling);
        };
        const ceiling = setTimeout(release, GRAPH_QUERY_BUDGETS * budgetMs).unref();
        const query = (async () =>
          this.opts.graph.topK(seeds, limit, { exclude: [...exclude], minCount: 2 }))();
        void query.then(release, release);
        return withTimeout(query, budgetMs, 'co-purchase graph');
      });
      return this.togetherItems(neighbours);
    } catch (err) {
      this.sourceFailed('graph', err);
      throw err;
    }
  }

  /** Co-purchase graph queries sent and not yet answered (see `graphMaxInFlight`). */
  private graphInFlight = 0;
  /** Whether the last cart was shed (logged when shedding starts and ends). */
  private graphShedding = false;

  /**
   * The same answer as {@link boughtTogether}, from the model version's own co-purchase pairs held in
   * this process (the pairs the graph was loaded from), for when the graph is down or slow: the
   * packed `outageGraph` when the server made one, else an in-process graph built on first use.
   */
  async boughtTogetherFromModel(seeds: string[], limit: number): Promise<RecommendedItem[]> {
    const outage = this.opts.outageGraph;
    this.modelGraph ??= outage
      ? Promise.resolve(outage)
      : (async () => {
          const graph = new MemoryCoPurchaseGraph();
          await syncGraph(graph, this.opts.bundle);
          return graph;
        })();
    const graph = await this.modelGraph.catch((err: unknown) => {
      this.modelGraph = undefined; // the next call tries again
      throw err;
    });
    return this.togetherItems(await graph.topK(seeds, limit, { exclude: seeds, minCount: 2 }));
  }

  private modelGraph?: Promise<Pick<CoPurchaseGraph, 'topK'>>;

  /**
   * While the graph fails: the same partners from the server's packed copy of the version's pairs
   * (`outageGraph`, in process, a few milliseconds), or none when the server has no such copy.
   */
  private async togetherDuringOutage(
    seeds: string[],
    limit: number,
    exclude: readonly string[],
  ): Promise<RecommendedItem[]> {
    const outage = this.opts.outageGraph;
    if (!outage) return [];
    try {
      return this.togetherItems(await outage.topK(seeds, limit, { exclude: [...exclude], minCount: 2 }));
    } catch (err) {
      this.opts.log.warn({ err: publicReason(err) }, 'outage co-purchase graph failed');
      return [];
    }
  }

  private togetherItems(neighbours: CoPurchaseNeighbour[]): RecommendedItem[] {
    const top = neighbours[0]?.score ?? 1;
    return neighbours.map((n) => ({
      productId: n.productId,
      // Scaled into (1, 2] so every co-purchase item ranks above the popularity fill (scores <= 1).
      score: 1 + n.score / top,
      sources: ['cooccurrence_graph'],
      reasonCode: 'BOUGHT_TOGETHER' as const,
      reason: `Bought together with ${this.describe(n.seeds)} in ${n.count} orders`,
    }));
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

/** A push decision with the products it is about, as recommendation items. */
export type PushResult = (PushDecision | { send: false; reason: string }) & {
  items: RecommendedItem[];
  fallback: boolean;
  fallbackReason?: string;
};

/** The user id an opted-out or forgotten shopper is ranked as: no customer has it (ids are printable). */
export const ANONYMOUS_USER = '\u0000anonymous';

/** The request of an opted-out shopper: no user, no session; what they do on the page still counts. */
function anonymised(req: RecommendationRequest): RecommendationRequest {
  const { sessionId: _session, ...context } = req.context;
  return { ...req, userId: ANONYMOUS_USER, context: { ...context } };
}

/**
 * An experiment variant's source weights: each candidate's score times the largest weight among the
 * sources that proposed it (1 when none is weighted), re-sorted. Scores below 0 keep their order.
 */
export function reweigh(
  result: RecommendationResult,
  weights: Readonly<Record<string, number>> | undefined,
): RecommendationResult {
  if (!weights || Object.keys(weights).length === 0) return result;
  const items = result.items.map((item) => {
    const ws = (item.sources ?? []).map((s) => weights[s]).filter((w): w is number => w !== undefined);
    if (ws.length === 0) return item;
    const w = Math.max(...ws);
    return { ...item, score: item.score >= 0 ? item.score * w : item.score / Math.max(w, 1e-9) };
  });
  return { ...result, items: items.sort((a, b) => b.score - a.score) };
}

/** The co-purchase graph's time budget per request when none is configured (GRAPH_BUDGET_MS). */
export const DEFAULT_GRAPH_BUDGET_MS = 50;

/**
 * How many budgets a graph query may run before its slot is freed, and (by default) before Neo4j
 * itself ends it (GRAPH_QUERY_TIMEOUT_MS): a query lost on a dead connection must not hold a slot, nor
 * run in the database, for ever.
 */
export const GRAPH_QUERY_BUDGETS = 20;

/** How a fallback says the co-purchase partners came from the server's copy of the pairs. */
const OUTAGE_ANSWER = "answered from the model version's co-purchase pairs";

/** Thrown instead of calling a backend that already has its limit of calls running. */
export class BackendBusyError extends Error {}

/**
 * What a shopper may read of a backend's failure in `fallbackReason`: this service's own time-out,
 * circuit and busy messages, else only that it failed. A driver's message can name hosts, ports and
 * users; it is logged (see `sourceFailed`), not served.
 */
function publicReason(err: unknown): string {
  return err instanceof SourceTimeoutError ||
    err instanceof CircuitOpenError ||
    err instanceof BackendBusyError
    ? (err as Error).message
    : 'the backend failed';
}
