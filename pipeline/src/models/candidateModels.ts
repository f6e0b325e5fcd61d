import type { Interaction } from '../ingest/Interaction';
import { easeScores, easeTopLists, gramMatrix, trainEaseModels, type EaseModel } from './ease';
import { titleScores, trainTextModel, type TextModel } from './textSimilarity';
import { topK } from '../eval/topK';
import { buildInteractionMatrix, type InteractionMatrix, type UserHistory } from './InteractionMatrix';
import {
  alsScores,
  csrFromRows,
  foldIn,
  foldInVector,
  trainAls,
  type AlsModel,
  type AlsOptions,
} from './als';
import {
  embedTitle,
  itemEmbeddings,
  mapToAls,
  trainContentEmbedding,
  type ContentEmbedding,
} from './contentEmbedding';
import { firstOrders, type FirstOrderOptions } from './firstOrders';
import { trainTwoTower, type TwoTowerModel, type TwoTowerOptions } from './twoTower';

const DAY = 86_400_000;
/**
 * First-order popularity: half-life of a first order's weight (days) and strength of the prior a
 * country's rates are shrunk towards (first orders); chosen on the validation split, cut 2011-09-09.
 */
const FIRST_ORDER_OPTIONS: FirstOrderOptions = { halfLifeDays: 30, countryPrior: 20 };

export interface CandidateModelOptions {
  /** EASE regularisation on invoices × items (CART, PRODUCT). Default 20. */
  basketLambda?: number;
  /** EASE regularisation on customers × items (HOME). Default 200. */
  userLambda?: number;
  /** Window of the "recent popularity" list, days. Default 30. */
  popularityDays?: number;
  /**
   * Skip the invoice co-occurrence and invoice EASE (left empty): enough for HOME features, which read
   * only customer models; never for CART or PRODUCT.
   */
  customerModelsOnly?: boolean;
  /** Product titles by id, for the content model (items without one get an empty title). */
  titles?: ReadonlyMap<string, string>;
  /**
   * Implicit ALS on customers × items (strength = invoices per item); `false` leaves it out (zero
   * factors: no ALS scores, features or candidates), for ablations.
   */
  als?: AlsOptions | false;
  /**
   * The two-tower network ({@link trainTwoTower}), trained when set; off by default (see
   * {@link CandidateModels.twoTower}).
   */
  twoTower?: TwoTowerOptions | false;
  /**
   * Products the dense models cover at most (default {@link MODEL_PRODUCTS_MAX}): above it, the ones
   * with the most purchase lines. The rest are served as unseen products (titles, popularity, the
   * co-purchase graph).
   */
  maxProducts?: number;
  log?: (line: string) => void;
}

/**
 * The default cap on the products of the dense candidate models. Basket and customer EASE invert an
 * n × n matrix (O(n³) time, 4n² bytes each) and the co-occurrence is n × n too: 10,000 products take
 * 7 to 9 minutes and 6 to 8 GiB to train here, and 96,000 would need 37 GB per matrix (docs/scaling.md,
 * section 4). A larger catalogue's head is modelled; its tail is served by the co-purchase graph,
 * titles and popularity.
 */
export const MODEL_PRODUCTS_MAX = 10_000;

/**
 * Every candidate model the evaluation and the serving path share, trained on purchases before
 * `until` over one item index.
 */
/** HOME candidates per customer from EASE on customers. */
export const USER_EASE_CANDIDATES = 40;

export interface CandidateModels {
  matrix: InteractionMatrix;
  /** Invoices per item in the last `popularityDays` before the cut-off. */
  recentPopularity: Float32Array;
  /** The same per ISO country code. */
  recentPopularityByCountry: Map<string, Float32Array>;
  /**
   * What new customers buy (wholesale first orders differ from repeat orders): customers whose first
   * invoice holds each item, each weighted by 2^(−age / 30 days) ({@link firstOrders}).
   */
  firstOrderPopularity: Float32Array;
  /**
   * Per country, the rate at which its new customers put each item in their first invoice, shrunk
   * towards the overall rate (home market) or the rate of all foreign countries together.
   */
  firstOrderPopularityByCountry: Map<string, Float32Array>;
  /** Invoices per item in the last 7 days before the cut-off (trend against the 30-day count). */
  weekPopularity: Float32Array;
  /** Invoice co-occurrence counts (diagonal = support), row-major. */
  cooccurrence: Float32Array;
  basketEase: EaseModel;
  userEase: EaseModel;
  /**
   * Each customer's {@link USER_EASE_CANDIDATES} best items by EASE on customers at the cut-off, best
   * first (computed offline): the HOME candidates of a customer whose history is the model's own.
   */
  userEaseTop: Map<string, Int32Array>;
  /** TF-IDF over titles. */
  text: TextModel;
  /** Share of an item's customers who bought it in two or more invoices (how "re-buyable" it is). */
  repeatRate: Float32Array;
  /** The numeric part of each product code (product families have neighbouring codes), or −1. */
  codeNumber: Int32Array;
  /** Implicit ALS item factors (customers × items, strength = invoices): user vectors are folded in. */
  als: AlsModel;
  /** Title embedding (TF-IDF → truncated SVD) and its ridge map into the ALS item space. */
  content: ContentEmbedding;
  /**
   * The neural candidate model (a two-tower network over invoices, with the title embedding in its
   * item tower), when `twoTower` was set. `evaluate` trains and scores it as a source; it is not a
   * ranker feature and `train` leaves it out (docs/evaluation/tuning.md, "The neural model").
   */
  twoTower?: TwoTowerModel;
}

export async function trainCandidateModels(
  interactions: readonly Interaction[],
  until: number,
  opts: CandidateModelOptions = {},
): Promise<CandidateModels> {
  const log = opts.log ?? (() => {});
  const t0 = Date.now();
  const maxProducts = opts.maxProducts ?? MODEL_PRODUCTS_MAX;
  const matrix = buildInteractionMatrix(interactions, until, maxProducts);
  const n = matrix.items.length;
  const since = until - (opts.popularityDays ?? 30) * DAY;
  const recentPopularity = new Float32Array(n);
  const recentPopularityByCountry = new Map<string, Float32Array>();
  const weekPopularity = new Float32Array(n);
  const weekSince = until - 7 * DAY;
  const seen = new Set<string>();
  for (const e of interactions) {
    if (e.type !== 'purchase' || e.ts < since || e.ts >= until) continue;
    const key = `${e.basketId}\u0000${e.productId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const item = matrix.index.get(e.productId);
    if (item === undefined) continue; // outside the product cap
    recentPopularity[item]! += 1;
    if (e.ts >= weekSince) weekPopularity[item]! += 1;
    if (e.country) {
      let c = recentPopularityByCountry.get(e.country);
      if (!c) recentPopularityByCountry.set(e.country, (c = new Float32Array(n)));
      c[item]! += 1;
    }
  }
  const { all: firstOrderPopularity, byCountry: firstOrderPopularityByCountry } = firstOrders(
    interactions,
    matrix.index,
    until,
    FIRST_ORDER_OPTIONS,
  );
  log(
    `interaction matrix: ${n} items${n === maxProducts ? ' (at the cap: the most bought)' : ''}, ${matrix.baskets.length} invoices, ${matrix.users.size} customers in ${Date.now() - t0} ms`,
  );
  const t1 = Date.now();
  const userRows = [...matrix.users.values()].map((u) => u.items);
  const userJob = { gram: gramMatrix(userRows, n), n, lambda: opts.userLambda ?? 200 };
  const basketLambda = opts.basketLambda ?? 20;
  const cooccurrence = opts.customerModelsOnly ? new Float32Array(0) : gramMatrix(matrix.baskets, n);
  // The EASE inverses run in worker threads: the main thread trains ALS and the content model meanwhile.
  const easeDone = (
    opts.customerModelsOnly
      ? trainEaseModels([userJob]).then(([user]) => [
          { n, lambda: basketLambda, weights: new Float32Array(0), diagonal: new Float32Array(0) },
          user!,
        ])
      : trainEaseModels([{ gram: cooccurrence, n, lambda: basketLambda }, userJob])
  ).then((models) => {
    log(
      `EASE on invoices (lambda ${models[0]!.lambda}) and on customers (lambda ${models[1]!.lambda}) in ${Date.now() - t1} ms`,
    );
    return models;
  });
  const t2 = Date.now();
  const users = [...matrix.users.values()];
  const trained =
    opts.als === false
      ? { factors: 0, regularization: 1, alpha: 0, itemFactors: new Float32Array(0) }
      : trainAls(
          csrFromRows(
            users.map((u) => ({ items: u.items, values: u.invoices })),
            n,
          ),
          opts.als,
        );
  const als: AlsModel = {
    factors: trained.factors,
    regularization: trained.regularization,
    alpha: trained.alpha,
    itemFactors: trained.itemFactors,
  };
  const text = trainTextModel(matrix.items.map((id) => opts.titles?.get(id) ?? ''));
  const content: ContentEmbedding =
    opts.als === false
      ? { dim: 0, projection: new Float32Array(0), map: new Float32Array(0), factors: 0 }
      : trainContentEmbedding(text, als);
  log(
    `ALS (${als.factors} factors) on ${users.length} customers and content embedding (${content.dim}-d) in ${Date.now() - t2} ms`,
  );
  let twoTower: TwoTowerModel | undefined;
  if (opts.twoTower) {
    const t = Date.now();
    twoTower = trainTwoTower(matrix.baskets, n, itemEmbeddings(text, content), content.dim, opts.twoTower);
    log(`two-tower network (${twoTower.dim}-d) on ${matrix.baskets.length} invoices in ${Date.now() - t} ms`);
  }
  const [basketEase, userEase] = await easeDone;
  const t3 = Date.now();
  const topLists = easeTopLists(
    userEase!,
    users.map((u) => u.items),
    USER_EASE_CANDIDATES,
  );
  const userEaseTop = new Map(users.map((u, k) => [u.userId, topLists[k]!] as const));
  log(`EASE candidates of ${users.length} customers in ${Date.now() - t3} ms`);
  const codeNumber = Int32Array.from(matrix.items, (id) => {
    const m = /^(\d{5})/.exec(id);
    return m ? Number(m[1]) : -1;
  });
  const buyers = new Float32Array(n);
  const repeaters = new Float32Array(n);
  for (const u of matrix.users.values()) {
    for (let k = 0; k < u.items.length; k++) {
      buyers[u.items[k]!]! += 1;
      if (u.invoices[k]! >= 2) repeaters[u.items[k]!]! += 1;
    }
  }
  const repeatRate = Float32Array.from(buyers, (b, i) => (b > 0 ? repeaters[i]! / b : 0));
  return {
    matrix,
    repeatRate,

    firstOrderPopularity,
    firstOrderPopularityByCountry,
    recentPopularity,
    recentPopularityByCountry,
    weekPopularity,
    cooccurrence,
    basketEase: basketEase!,
    userEase: userEase!,
    userEaseTop,
    text,
    codeNumber,
    als,
    content,
    ...(twoTower ? { twoTower } : {}),
  };
}

/**
 * Cold start (no history: country and context only): first-order popularity overall and in the
 * shopper's country (shrunk towards the home market or towards all foreign countries, see
 * {@link firstOrders}), each normalised to shares, at equal weight; a country the models have never
 * seen gets the overall list. Recent popularity is left out: every weight tried (0.1 to 1) lowered
 * NDCG@10 on the validation split (cut 2011-09-09), where the weights and the half-life were chosen.
 */
export function coldStartScores(m: CandidateModels, country: string | null, out: Float32Array): void {
  const parts: Float32Array[] = [
    m.firstOrderPopularity,
    (country && m.firstOrderPopularityByCountry.get(country)) || m.firstOrderPopularity,
  ];
  for (const counts of parts) {
    let total = 0;
    for (const v of counts) total += v;
    if (total === 0) continue;
    for (let i = 0; i < out.length; i++) out[i]! += counts[i]! / total;
  }
}

/**
 * A product the models have never seen (first sold after training): its title's 20 nearest known
 * titles become weighted seeds of the invoice EASE (what is bought with products like it), plus the
 * title similarity itself at a small weight, so a new product gets collaborative neighbours on day
 * one. New products are often bought in large orders where best-sellers dominate, so the mapped
 * scores (scaled to a maximum of 1) are blended with twice the scaled 30-day popularity. The weights
 * were chosen on the validation split (cut 2011-09-09): NDCG@10 0.145 against 0.129 for popularity
 * alone and 0.098 for the mapping alone. The title's collaborative neighbours through the ALS space
 * ({@link newProductAlsScores}, positive part scaled to a maximum of 1) are added at weight 0.5,
 * chosen on the same cut: NDCG@10 0.142 → 0.148 there, 0.142 → 0.146 on the dev cut 2011-10-09.
 */
export function newProductScores(
  m: CandidateModels,
  title: string,
  out: Float32Array,
  /** Receives the title similarity of every known product, when the caller also needs it. */
  similarity: Float32Array = new Float32Array(out.length),
): void {
  titleScores(m.text, title, similarity);
  const seeds = topK(similarity, 20).filter((i) => similarity[i]! > 0);
  const mapped = new Float32Array(out.length);
  easeScores(
    m.basketEase,
    seeds,
    mapped,
    seeds.map((i) => similarity[i]!),
  );
  let max = 0;
  for (const v of mapped) max = Math.max(max, v);
  for (let i = 0; i < mapped.length; i++) mapped[i]! += 0.1 * max * similarity[i]!;
  let mappedMax = 0;
  let popularMax = 0;
  for (let i = 0; i < out.length; i++) {
    mappedMax = Math.max(mappedMax, mapped[i]!);
    popularMax = Math.max(popularMax, m.recentPopularity[i]!);
  }
  const viaAls = new Float32Array(out.length);
  newProductAlsScores(m, title, viaAls);
  let alsMax = 0;
  for (const v of viaAls) alsMax = Math.max(alsMax, v);
  for (let i = 0; i < out.length; i++) {
    out[i]! +=
      (mappedMax > 0 ? mapped[i]! / mappedMax : 0) +
      (popularMax > 0 ? (2 * m.recentPopularity[i]!) / popularMax : 0) +
      (alsMax > 0 ? (NEW_PRODUCT_ALS_WEIGHT * Math.max(0, viaAls[i]!)) / alsMax : 0);
  }
}

/** Weight of the ALS-mapped neighbours in {@link newProductScores} (validation cut 2011-09-09). */
const NEW_PRODUCT_ALS_WEIGHT = 0.5;

/** Σ over cart items of co-occurrence counts. */
export function cooccurrenceScores(m: CandidateModels, cart: ArrayLike<number>, out: Float32Array): void {
  const n = m.matrix.items.length;
  for (let k = 0; k < cart.length; k++) {
    const base = cart[k]! * n;
    for (let j = 0; j < n; j++) out[j]! += m.cooccurrence[base + j]!;
  }
}

/** Σ over cart items of cosine similarity on invoices: C_ij / sqrt(C_ii C_jj). */
export function cosineScores(m: CandidateModels, cart: ArrayLike<number>, out: Float32Array): void {
  const n = m.matrix.items.length;
  const c = m.cooccurrence;
  for (let k = 0; k < cart.length; k++) {
    const i = cart[k]!;
    const base = i * n;
    const di = Math.sqrt(c[base + i]!);
    for (let j = 0; j < n; j++) {
      const v = c[base + j]!;
      if (v > 0) out[j]! += v / (di * Math.sqrt(c[j * n + j]!));
    }
  }
}

export function basketEaseScores(m: CandidateModels, cart: ArrayLike<number>, out: Float32Array): void {
  easeScores(m.basketEase, cart, out);
}

export function userEaseScores(m: CandidateModels, user: UserHistory, out: Float32Array): void {
  easeScores(m.userEase, user.items, out);
}

/**
 * Buy-again: how often the customer bought each product (invoices), each purchase weighted by
 * 2^(−age / halfLifeDays) when a half-life is given (recent habits count more).
 */
export function buyAgainScores(
  user: UserHistory,
  now: number,
  out: Float32Array,
  halfLifeDays?: number,
): void {
  if (halfLifeDays === undefined) {
    for (let k = 0; k < user.items.length; k++) out[user.items[k]!]! += user.invoices[k]!;
    return;
  }
  const seen = new Set<string>();
  for (const { item, ts } of user.lines) {
    const key = `${item}:${ts}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out[item]! += Math.pow(2, -(now - ts) / (halfLifeDays * DAY));
  }
}

/** ALS preference of a customer: their vector folded in from their history (strength = invoices). */
export function alsUserScores(m: CandidateModels, user: UserHistory, out: Float32Array): void {
  alsScores(m.als, foldIn(m.als, user.items, user.invoices), out);
}

/** ALS preference of a cart: the vector of a shopper who bought exactly the cart items. */
export function alsCartScores(m: CandidateModels, cart: ArrayLike<number>, out: Float32Array): void {
  if (cart.length > 0) alsScores(m.als, foldIn(m.als, cart), out);
}

/**
 * A new product's collaborative neighbours: its title embedded (TF-IDF → SVD), mapped into the ALS
 * item space by the ridge map, then folded in as the only purchase of a shopper whose preferences are
 * scored.
 */
export function newProductAlsScores(m: CandidateModels, title: string, out: Float32Array): void {
  const v = mapToAls(m.content, embedTitle(m.text, m.content, title));
  alsScores(m.als, foldInVector(m.als, v), out);
}
