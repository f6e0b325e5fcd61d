import type { CandidateModels } from '../models/candidateModels';
import { easeScores } from '../models/ease';
import { textScores } from '../models/textSimilarity';
import type { UserHistory } from '../models/InteractionMatrix';
import { topK } from '../eval/topK';

const DAY = 86_400_000;

/** What the ranker sees of a request: the same for offline evaluation and for serving. */
export interface RankQuery {
  history: UserHistory | undefined;
  /** Cart items as catalogue indices (empty on HOME). */
  cart: Int32Array;
  country: string | null;
  ts: number;
}

export type RankSurface = 'cart' | 'home';

/** Feature names per surface, in column order (the ranker's explain output uses them). */
export const FEATURES: Record<RankSurface, readonly string[]> = {
  cart: [
    'ease_cart',
    'ease_cart_share',
    'cosine_sum',
    'cosine_max',
    'cooccurrence_log',
    'popularity_30d_log',
    'trend_7d',
    'popularity_country_log',
    'support_log',
    'user_buy_count',
    'user_days_since_bought',
    'ease_user',
    'cart_size',
    'known_user',
    'text_sum',
    'text_max',
    'code_gap_log',
    'ease_user_on_cart',
  ],
  home: [
    'user_buy_count',
    'user_buy_share',
    'user_days_since_bought',
    'ease_user',
    'ease_user_share',
    'popularity_30d_log',
    'trend_7d',
    'popularity_country_log',
    'support_log',
    'user_invoices',
    'user_days_since_last_invoice',
    'user_distinct_items',
    'user_recent_buy_count',
    'user_buy_rate',
    'item_repeat_rate',
    'user_days_since_first_bought',
    'user_due_ratio',
  ],
};

export interface CandidateFeatures {
  surface: RankSurface;
  /** Candidate catalogue indices. */
  items: Int32Array;
  /** Row-major `items.length × FEATURES[surface].length`. */
  x: Float32Array;
  /** Candidates each source proposed, for reasons and the per-source evaluation. */
  sources: Map<number, string[]>;
}

const rootsCache = new WeakMap<CandidateModels, Float32Array>();

/** √(item support), the cosine normaliser, computed once per model. */
function supportRoots(m: CandidateModels): Float32Array {
  let r = rootsCache.get(m);
  if (!r) {
    const n = m.matrix.items.length;
    r = Float32Array.from({ length: n }, (_, i) => Math.sqrt(m.cooccurrence[i * n + i]!));
    rootsCache.set(m, r);
  }
  return r;
}

interface DistinctPurchases {
  /** (item, time) of each distinct purchase, parallel arrays. */
  items: Int32Array;
  ts: Float64Array;
  /** Distinct purchase times (invoices). */
  invoices: number;
  lastTs: number;
}
const distinctCache = new WeakMap<UserHistory, DistinctPurchases>();

/** A customer's purchase lines without repeats, computed once per history object. */
function distinctPurchases(h: UserHistory): DistinctPurchases {
  let d = distinctCache.get(h);
  if (d) return d;
  const seen = new Set<string>();
  const times = new Set<number>();
  const items: number[] = [];
  const ts: number[] = [];
  let lastTs = 0;
  for (const line of h.lines) {
    times.add(line.ts);
    if (line.ts > lastTs) lastTs = line.ts;
    const key = `${line.item}:${line.ts}`;
    if (seen.has(key)) continue;
    seen.add(key);
    items.push(line.item);
    ts.push(line.ts);
  }
  d = { items: Int32Array.from(items), ts: Float64Array.from(ts), invoices: times.size, lastTs };
  distinctCache.set(h, d);
  return d;
}

/** Candidates per source. */
const PER_SOURCE = { ease: 60, cosine: 20, content: 20, buyAgain: 40, userEase: 40, popular: 20 };

/**
 * Generates candidates from every source and computes one feature row per candidate, using only the
 * models (trained before the cut-off) and the request. CART candidates: EASE on the cart, cosine and
 * title neighbours, the shopper's own purchases; HOME: buy-again, EASE on the shopper's history,
 * trending in their country. Cart items are never candidates. (ALS scores as features and candidates
 * were tried on both surfaces and left out: no robust gain on the validation cut, see
 * docs/evaluation/tuning.md.)
 */
export function candidateFeatures(
  m: CandidateModels,
  q: RankQuery,
  surface: RankSurface,
  /** HOME only: score exactly these items instead of generating candidates (SEARCH re-ranking). */
  forced?: ArrayLike<number>,
): CandidateFeatures {
  const n = m.matrix.items.length;
  const exclude = new Set(q.cart);
  const sources = new Map<number, string[]>();
  const add = (list: number[], source: string) => {
    for (const i of list) {
      const s = sources.get(i);
      if (s) s.push(source);
      else sources.set(i, [source]);
    }
  };
  const countryPop = (q.country && m.recentPopularityByCountry.get(q.country)) || m.recentPopularity;
  const user = new Float32Array(n);
  const lastBought = new Float64Array(n);
  const recentBuys = new Float32Array(n);
  const firstBought = new Float64Array(n);
  const purchaseDays = new Float32Array(n);
  if (q.history) {
    const h = q.history;
    for (let k = 0; k < h.items.length; k++) {
      user[h.items[k]!] = h.invoices[k]!;
      lastBought[h.items[k]!] = h.lastTs[k]!;
    }
    const d = distinctPurchases(h);
    for (let k = 0; k < d.items.length; k++) {
      const item = d.items[k]!;
      const ts = d.ts[k]!;
      purchaseDays[item]! += 1;
      if (firstBought[item] === 0 || ts < firstBought[item]!) firstBought[item] = ts;
      if (ts >= q.ts - 90 * DAY) recentBuys[item]! += 1;
    }
  }
  // Σ_{i ∈ seeds} B_ij for one candidate j: the CART path needs EASE only at its candidates.
  const easeAt = (seeds: ArrayLike<number>, j: number): number => {
    let sum = 0;
    for (let k = 0; k < seeds.length; k++) sum += m.userEase.weights[seeds[k]! * n + j]!;
    return sum;
  };
  const userInvoices = q.history ? distinctPurchases(q.history).invoices : 0;
  const lastInvoice = q.history ? distinctPurchases(q.history).lastTs : 0;
  const daysSince = (ts: number) => (ts > 0 ? (q.ts - ts) / DAY : 999);
  const log1p = Math.log1p;

  if (surface === 'cart') {
    const ease = new Float32Array(n);
    easeScores(m.basketEase, q.cart, ease);
    const cosSum = new Float32Array(n);
    const cosMax = new Float32Array(n);
    const cooc = new Float32Array(n);
    const c = m.cooccurrence;
    const norms = supportRoots(m);
    for (const i of q.cart) {
      const base = i * n;
      const di = norms[i]!;
      for (let j = 0; j < n; j++) {
        const v = c[base + j]!;
        if (v <= 0) continue;
        cooc[j]! += v;
        const cos = v / (di * norms[j]!);
        cosSum[j]! += cos;
        if (cos > cosMax[j]!) cosMax[j] = cos;
      }
    }
    const textSum = new Float32Array(n);
    const textMax = new Float32Array(n);
    textScores(m.text, q.cart, textSum, textMax);
    add(topK(ease, PER_SOURCE.ease, exclude), 'ease');
    add(topK(cosSum, PER_SOURCE.cosine, exclude), 'cosine');
    add(
      topK(textSum, PER_SOURCE.content, exclude).filter((i) => textSum[i]! > 0),
      'content',
    );
    const codeGap = (j: number): number => {
      let best = 100_000;
      const cj = m.codeNumber[j]!;
      if (cj < 0) return best;
      for (const i of q.cart) {
        const ci = m.codeNumber[i]!;
        if (ci >= 0) best = Math.min(best, Math.abs(ci - cj));
      }
      return best;
    };
    if (q.history)
      add(
        topK(user, PER_SOURCE.buyAgain, exclude).filter((i) => user[i]! > 0),
        'buy_again',
      );
    let easeMax = 0;
    for (const i of sources.keys()) easeMax = Math.max(easeMax, ease[i]!);
    const items = Int32Array.from(sources.keys());
    const dim = FEATURES.cart.length;
    const x = new Float32Array(items.length * dim);
    items.forEach((j, r) => {
      const o = r * dim;
      x[o] = ease[j]!;
      x[o + 1] = easeMax > 0 ? ease[j]! / easeMax : 0;
      x[o + 2] = cosSum[j]!;
      x[o + 3] = cosMax[j]!;
      x[o + 4] = log1p(cooc[j]!);
      x[o + 5] = log1p(m.recentPopularity[j]!);
      x[o + 6] = (m.weekPopularity[j]! + 1) / (m.recentPopularity[j]! / 4 + 1);
      x[o + 7] = log1p(countryPop[j]!);
      x[o + 8] = log1p(m.matrix.itemBaskets[j]!);
      x[o + 9] = user[j]!;
      x[o + 10] = daysSince(lastBought[j]!);
      x[o + 11] = q.history ? easeAt(q.history.items, j) : 0;
      x[o + 12] = q.cart.length;
      x[o + 13] = q.history ? 1 : 0;
      x[o + 14] = textSum[j]!;
      x[o + 15] = textMax[j]!;
      x[o + 16] = log1p(codeGap(j));
      x[o + 17] = easeAt(q.cart, j);
    });
    return { surface, items, x, sources };
  }

  const easeUser = new Float32Array(n);
  if (q.history) easeScores(m.userEase, q.history.items, easeUser);
  if (forced) {
    add(Array.from(forced), 'search');
  } else {
    if (q.history)
      add(
        topK(user, PER_SOURCE.buyAgain, exclude).filter((i) => user[i]! > 0),
        'buy_again',
      );
    if (q.history) add(topK(easeUser, PER_SOURCE.userEase, exclude), 'ease_user');
    add(topK(countryPop, PER_SOURCE.popular, exclude, m.recentPopularity), 'trending');
  }
  let userMax = 0;
  let easeMax = 0;
  for (const i of sources.keys()) {
    userMax = Math.max(userMax, user[i]!);
    easeMax = Math.max(easeMax, easeUser[i]!);
  }
  const items = Int32Array.from(sources.keys());
  const dim = FEATURES.home.length;
  const x = new Float32Array(items.length * dim);
  const distinct = q.history?.items.length ?? 0;
  items.forEach((j, r) => {
    const o = r * dim;
    x[o] = user[j]!;
    x[o + 1] = userMax > 0 ? user[j]! / userMax : 0;
    x[o + 2] = daysSince(lastBought[j]!);
    x[o + 3] = easeUser[j]!;
    x[o + 4] = easeMax > 0 ? easeUser[j]! / easeMax : 0;
    x[o + 5] = log1p(m.recentPopularity[j]!);
    x[o + 6] = (m.weekPopularity[j]! + 1) / (m.recentPopularity[j]! / 4 + 1);
    x[o + 7] = log1p(countryPop[j]!);
    x[o + 8] = log1p(m.matrix.itemBaskets[j]!);
    x[o + 9] = userInvoices;
    x[o + 10] = daysSince(lastInvoice);
    x[o + 11] = distinct;
    x[o + 12] = recentBuys[j]!;
    x[o + 13] = userInvoices > 0 ? user[j]! / userInvoices : 0;
    x[o + 14] = m.repeatRate[j]!;
    x[o + 15] = daysSince(firstBought[j]!);
    // time since the last purchase over the shopper's usual interval for this product
    const k = purchaseDays[j]!;
    const interval = k >= 2 ? (lastBought[j]! - firstBought[j]!) / DAY / (k - 1) : 0;
    x[o + 16] = interval > 0 ? Math.min(50, daysSince(lastBought[j]!) / interval) : 50;
  });
  return { surface, items, x, sources };
}
