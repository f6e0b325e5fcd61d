import type { TreeEnsemble } from '@recs/model-runtime';
import { progressBar } from '@recs/core';
import type { Interaction } from '../ingest/Interaction';
import {
  alsCartScores,
  alsUserScores,
  newProductAlsScores,
  basketEaseScores,
  buyAgainScores,
  coldStartScores,
  newProductScores,
  cooccurrenceScores,
  cosineScores,
  trainCandidateModels,
  userEaseScores,
  type CandidateModels,
} from '../models/candidateModels';
import type { UserHistory } from '../models/InteractionMatrix';
import {
  catalogueCoverage,
  hitRate,
  intraListDiversity,
  ndcgAt,
  novelty,
  popularityBias,
  precisionAt,
  recallAt,
  reciprocalRank,
} from './metrics';
import { buildCases, type EvaluationCases } from './protocols';
import { topK } from './topK';
import { textScores, titleScores } from '../models/textSimilarity';
import {
  DEFAULT_SAMPLE_SEED,
  rankCandidates,
  trainRankers,
  type RankerOptions,
  type Rankers,
} from '../ranker/trainRanker';
import { basketIndex, basketKnnScores } from '../models/basketKnn';
import { twoTowerScores, type TwoTowerOptions } from '../models/twoTower';

/**
 * The neural model's settings in `evaluate`, chosen on the validation cut 2011-09-09
 * (docs/evaluation/tuning.md, "The neural model").
 */
export const TWO_TOWER_OPTIONS: TwoTowerOptions = { epochs: 8, learningRate: 0.01, negatives: 512 };

export type Protocol = 'cart' | 'product' | 'new-products' | 'home' | 'new-customers';

/** What a method sees for one case: never the hidden product or the test-window purchases. */
export interface Query {
  userId: string | null;
  /** The customer's training history, when there is one. */
  history: UserHistory | undefined;
  /** Cart items as catalogue indices (empty for HOME). */
  cart: Int32Array;
  country: string | null;
  ts: number;
  /** The viewed product's title, for a product the models have never seen (new-products protocol). */
  viewedTitle?: string;
}

export interface Method {
  name: string;
  /** `reference` = a baseline of the datasets README; `source` = one candidate source; `hybrid` = the blend. */
  kind: 'reference' | 'source' | 'hybrid';
  protocols: readonly Protocol[];
  score(q: Query, m: CandidateModels, out: Float32Array): void;
}

export interface MetricRow {
  protocol: Protocol;
  method: string;
  kind: Method['kind'];
  cases: number;
  hr: number;
  mrr: number;
  ndcg: number;
  precision: number;
  recall: number;
  coverage: number;
  diversity: number;
  novelty: number;
  popularityBias: number;
}

export interface EvaluationResult {
  cut: string;
  end: string;
  k: number;
  catalogueSize: number;
  cases: {
    cart: number;
    product: number;
    newProducts: number;
    home: number;
    newCustomers: number;
    /** CART cases whose hidden product is new (a miss for every method). */
    cartHiddenNew: number;
    /** Test invoices with no catalogue product left in the cart (not cases). */
    cartSkippedNoCatalogueItem: number;
  };
  rows: MetricRow[];
  timings: Record<string, number>;
}

const countryPopularity = (q: Query, m: CandidateModels, out: Float32Array): void => {
  const c = (q.country && m.recentPopularityByCountry.get(q.country)) || m.recentPopularity;
  for (let i = 0; i < out.length; i++) out[i]! += c[i]!;
};

/** The reference baselines (computed by the same code as the engine's sources) and the hybrids. */
export const METHODS: readonly Method[] = [
  {
    name: 'popularity (last 30 days)',
    kind: 'reference',
    protocols: ['cart', 'product', 'new-products', 'home', 'new-customers'],
    score: (_q, m, out) => out.set(m.recentPopularity),
  },
  {
    name: 'popularity by country',
    kind: 'reference',
    protocols: ['home', 'new-customers'],
    score: countryPopularity,
  },
  {
    name: 'co-occurrence counts',
    kind: 'reference',
    protocols: ['cart', 'product'],
    score: (q, m, out) => cooccurrenceScores(m, q.cart, out),
  },
  {
    name: 'item-kNN cosine',
    kind: 'reference',
    protocols: ['cart', 'product'],
    score: (q, m, out) => cosineScores(m, q.cart, out),
  },
  {
    name: 'EASE on invoices',
    kind: 'reference',
    protocols: ['cart', 'product'],
    score: (q, m, out) => basketEaseScores(m, q.cart, out),
  },
  {
    name: 'EASE on customers',
    kind: 'reference',
    protocols: ['home'],
    score: (q, m, out) => q.history && userEaseScores(m, q.history, out),
  },
  {
    name: 'buy-again (personal frequency)',
    kind: 'reference',
    protocols: ['home'],
    score: (q, m, out) => q.history && buyAgainScores(q.history, m.matrix.until, out),
  },
];

/** Candidate sources of the engine that are not reference baselines, each evaluated alone. */
export const SOURCE_METHODS: readonly Method[] = [
  {
    name: 'content (TF-IDF titles)',
    kind: 'source',
    protocols: ['cart', 'product'],
    score: (q, m, out) => textScores(m.text, q.cart, out, new Float32Array(out.length)),
  },
  {
    name: 'session kNN (50 nearest invoices)',
    kind: 'source',
    protocols: ['cart', 'product'],
    score: (q, m, out) => basketKnnScores(basketIndex(m.matrix.baskets, m.matrix.items.length), q.cart, out),
  },
  {
    name: 'ALS (fold-in of the cart)',
    kind: 'source',
    protocols: ['cart', 'product'],
    score: (q, m, out) => alsCartScores(m, q.cart, out),
  },
  {
    name: 'ALS (customer vector)',
    kind: 'source',
    protocols: ['home'],
    score: (q, m, out) => q.history && alsUserScores(m, q.history, out),
  },
  {
    name: 'two-tower network (the cart)',
    kind: 'source',
    protocols: ['cart', 'product'],
    score: (q, m, out) => m.twoTower && twoTowerScores(m.twoTower, q.cart, out),
  },
  {
    name: 'two-tower network (customer history)',
    kind: 'source',
    protocols: ['home'],
    score: (q, m, out) =>
      m.twoTower && q.history && twoTowerScores(m.twoTower, q.history.items, out, q.history.invoices),
  },
  {
    name: 'first-order popularity (half-life 30 days)',
    kind: 'source',
    protocols: ['new-customers'],
    score: (_q, m, out) => out.set(m.firstOrderPopularity),
  },
];

/** New products: only the title is known; it is mapped onto known products, then to their neighbours. */
export const NEW_PRODUCT_METHODS: readonly Method[] = [
  {
    name: 'content (TF-IDF of the new title)',
    kind: 'source',
    protocols: ['new-products'],
    score: (q, m, out) => titleScores(m.text, q.viewedTitle ?? '', out),
  },
  {
    name: 'content → ALS map (SVD + ridge)',
    kind: 'source',
    protocols: ['new-products'],
    score: (q, m, out) => newProductAlsScores(m, q.viewedTitle ?? '', out),
  },
  {
    name: 'content-mapped EASE and ALS + popularity',
    kind: 'hybrid',
    protocols: ['new-products'],
    score: (q, m, out) => newProductScores(m, q.viewedTitle ?? '', out),
  },
];

/** The engine's cold-start list for shoppers without history. */
export const COLD_START_METHOD: Method = {
  name: 'cold start (first orders + country)',
  kind: 'hybrid',
  protocols: ['new-customers'],
  score: (q, m, out) => coldStartScores(m, q.country, out),
};

export interface EvaluateOptions extends RankerOptions {
  cut: number;
  end: number;
  k?: number;
  methods?: readonly Method[];
  seed?: number;
  /** Train and evaluate the learned rankers (default true). */
  ranker?: boolean;
}

const RANKER_NAMES = {
  cart: 'learned ranker (EASE, cosine, content, buy-again)',
  home: 'learned ranker (buy-again, EASE, trending)',
} as const;

/**
 * The learned rankers as evaluation methods: candidates from every source, one GBDT score each. The
 * rankers of other negative-sample seeds (`otherSeeds`) are methods of their own. A ranker is named
 * by its seed: `train`'s ({@link DEFAULT_SAMPLE_SEED}) has the plain name, any other seed's name says it.
 */
export function rankerMethods(rankers: Rankers): Method[] {
  const method = (surface: 'cart' | 'home', ranker: TreeEnsemble, seed: number): Method => ({
    name:
      seed === DEFAULT_SAMPLE_SEED
        ? RANKER_NAMES[surface]
        : `${RANKER_NAMES[surface]}, negatives seed ${seed}`,
    kind: 'hybrid',
    // The CART ranker also serves the product page: the viewed product is a one-item cart.
    protocols: surface === 'cart' ? ['cart', 'product'] : ['home'],
    score: (q, m, out) => {
      out.fill(-1);
      const r = rankCandidates(
        ranker,
        m,
        { history: q.history, cart: q.cart, country: q.country, ts: q.ts },
        surface,
      );
      for (let k = 0; k < r.items.length; k++) out[r.items[k]!] = r.scores[k]!;
    },
  });
  const out: Method[] = [];
  if (rankers.cart) out.push(method('cart', rankers.cart, rankers.seed));
  if (rankers.home) out.push(method('home', rankers.home, rankers.seed));
  for (const other of rankers.otherSeeds) {
    if (other.cart) out.push(method('cart', other.cart, other.seed));
    if (other.home) out.push(method('home', other.home, other.seed));
  }
  return out;
}

const METRICS = [
  'hr',
  'mrr',
  'ndcg',
  'precision',
  'recall',
  'coverage',
  'diversity',
  'novelty',
  'popularityBias',
] as const;

/**
 * With rankers of several negative-sample seeds: per protocol, one more row with the mean of every
 * ranker row (the default seed's and the others'), its name giving the seeds and the standard
 * deviation of HR and NDCG across them. Differences between methods smaller than that spread are
 * noise of the sample, not of the method.
 */
export function seedMeanRows(rows: readonly MetricRow[], rankers: Rankers): MetricRow[] {
  if (rankers.otherSeeds.length === 0) return [];
  const seeds = [rankers.seed, ...rankers.otherSeeds.map((o) => o.seed)];
  const out: MetricRow[] = [];
  for (const surface of ['cart', 'home'] as const) {
    const base = RANKER_NAMES[surface];
    for (const protocol of surface === 'cart' ? (['cart', 'product'] as const) : (['home'] as const)) {
      const group = rows.filter(
        (r) =>
          r.protocol === protocol && (r.method === base || r.method.startsWith(`${base}, negatives seed `)),
      );
      if (group.length < 2) continue;
      const mean = (f: (typeof METRICS)[number]) => group.reduce((sum, r) => sum + r[f], 0) / group.length;
      const sd = (f: (typeof METRICS)[number]) => {
        const m = mean(f);
        return Math.sqrt(group.reduce((sum, r) => sum + (r[f] - m) ** 2, 0) / (group.length - 1));
      };
      out.push({
        ...group[0]!,
        method: `${base}, mean of negatives seeds ${seeds.join(', ')} (sd HR ${sd('hr').toFixed(3)}, NDCG ${sd('ndcg').toFixed(3)})`,
        ...Object.fromEntries(METRICS.map((f) => [f, mean(f)])),
      });
    }
  }
  return out;
}

/** Trains the candidate models on data before `cut` and scores every method on every protocol. */
export async function evaluate(
  interactions: readonly Interaction[],
  opts: EvaluateOptions,
): Promise<EvaluationResult> {
  const k = opts.k ?? 10;
  const timings: Record<string, number> = {};
  let t = Date.now();
  const models = await trainCandidateModels(interactions, opts.cut, {
    ...opts,
    twoTower: opts.twoTower ?? TWO_TOWER_OPTIONS,
  });
  timings.trainMs = Date.now() - t;
  const methods = [
    ...(opts.methods ?? [...METHODS, ...SOURCE_METHODS, ...NEW_PRODUCT_METHODS, COLD_START_METHOD]),
  ];
  let rankers: Rankers | undefined;
  if (opts.ranker !== false) {
    t = Date.now();
    rankers = await trainRankers(interactions, opts.cut, opts);
    methods.push(...rankerMethods(rankers));
    timings.rankerMs = Date.now() - t;
  }
  const cases = buildCases(interactions, opts.cut, opts.end, new Set(models.matrix.items), opts.seed ?? 42);
  t = Date.now();
  const rows: MetricRow[] = [];
  const runs = methods.reduce((sum, method) => sum + method.protocols.length, 0);
  const bar = progressBar('evaluate methods x protocols', runs);
  for (const method of methods) {
    for (const protocol of method.protocols) {
      rows.push(runProtocol(method, protocol, cases, models, k, opts.titles));
      bar.tick();
    }
  }
  bar.done();
  if (rankers) rows.push(...seedMeanRows(rows, rankers));
  timings.scoreMs = Date.now() - t;
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return {
    cut: iso(opts.cut),
    end: iso(opts.end),
    k,
    catalogueSize: models.matrix.items.length,
    cases: {
      cart: cases.cart.length,
      product: cases.product.length,
      newProducts: cases.newProducts.length,
      home: cases.home.length,
      newCustomers: cases.newCustomers.length,
      cartHiddenNew: cases.cartHiddenNew,
      cartSkippedNoCatalogueItem: cases.cartSkippedNoCatalogueItem,
    },
    rows,
    timings,
  };
}

function runProtocol(
  method: Method,
  protocol: Protocol,
  cases: EvaluationCases,
  m: CandidateModels,
  k: number,
  titles: ReadonlyMap<string, string> | undefined,
): MetricRow {
  const n = m.matrix.items.length;
  const { index, items, users, itemBaskets } = m.matrix;
  const scores = new Float32Array(n);
  const lists: string[][] = [];
  const sums = {
    hr: 0,
    mrr: 0,
    ndcg: 0,
    precision: 0,
    recall: 0,
    diversity: 0,
    novelty: 0,
    popularityBias: 0,
  };
  const popularity = new Map(items.map((id, i) => [id, itemBaskets[i]!] as const));
  let total = 0;
  for (const v of itemBaskets) total += v;
  const meanPopularity = total / n;
  const similarity = (a: string, b: string): number => {
    const i = index.get(a)!;
    const j = index.get(b)!;
    const c = m.cooccurrence;
    return c[i * n + j]! / Math.sqrt(c[i * n + i]! * c[j * n + j]!);
  };
  const queries =
    protocol === 'new-products'
      ? cases.newProducts.map((c) => ({
          q: {
            userId: null,
            history: undefined,
            cart: new Int32Array(0),
            country: null,
            ts: c.ts,
            viewedTitle: titles?.get(c.productId) ?? '',
          },
          target: c.target,
        }))
      : protocol === 'product'
        ? cases.product.map((c) => ({
            q: {
              userId: c.userId,
              history: c.userId ? users.get(c.userId) : undefined,
              cart: Int32Array.of(index.get(c.seed)!),
              country: c.country,
              ts: c.ts,
            },
            target: c.target,
          }))
        : protocol === 'cart'
          ? cases.cart.map((c) => ({
              q: {
                userId: c.userId,
                history: c.userId ? users.get(c.userId) : undefined,
                cart: Int32Array.from(c.cart.filter((p) => index.has(p)).map((p) => index.get(p)!)),
                country: c.country,
                ts: c.ts,
              },
              target: new Set([c.hidden]),
            }))
          : (protocol === 'home' ? cases.home : cases.newCustomers).map((c) => ({
              q: {
                userId: c.userId,
                history: users.get(c.userId),
                cart: new Int32Array(0),
                country: c.country,
                ts: c.ts,
              },
              target: c.target,
            }));
  for (const { q, target } of queries) {
    scores.fill(0);
    method.score(q, m, scores);
    const ranked = topK(scores, k, new Set(q.cart), m.recentPopularity).map((i) => items[i]!);
    lists.push(ranked);
    sums.hr += hitRate(ranked, target, k);
    sums.mrr += reciprocalRank(ranked, target, k);
    sums.ndcg += ndcgAt(ranked, target, k);
    sums.precision += precisionAt(ranked, target, k);
    sums.recall += recallAt(ranked, target, k);
    sums.diversity += intraListDiversity(ranked, similarity);
    sums.novelty += novelty(ranked, popularity, total);
    sums.popularityBias += popularityBias(ranked, popularity, meanPopularity);
  }
  const count = queries.length || 1;
  return {
    protocol,
    method: method.name,
    kind: method.kind,
    cases: queries.length,
    hr: sums.hr / count,
    mrr: sums.mrr / count,
    ndcg: sums.ndcg / count,
    precision: sums.precision / count,
    recall: sums.recall / count,
    coverage: catalogueCoverage(lists, n),
    diversity: sums.diversity / count,
    novelty: sums.novelty / count,
    popularityBias: sums.popularityBias / count,
  };
}
