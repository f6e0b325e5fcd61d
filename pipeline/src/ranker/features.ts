import type { CandidateModels } from '../models/candidateModels';
import { USER_EASE_CANDIDATES } from '../models/candidateModels';
import { easeColumnScore, easeScores } from '../models/ease';
import { textPairScore } from '../models/textSimilarity';
import { cartCandidates, inverseSupportRoots } from './cartNeighbours';
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

/**
 * What the features need of a customer's history, per item they bought, computed once per history
 * object (a known customer's history is the model's own, so once per model): a request then touches
 * only the customer's items and its candidates, never a dense array over the catalogue.
 */
interface HistoryStats {
  /** Slot of each item the customer bought (in `history.items` or in a purchase line). */
  slot: Map<number, number>;
  /** Invoices and last purchase time per slot (from `history.items`; 0 for an item only in lines). */
  invoices: Float32Array;
  lastBought: Float64Array;
  /** Distinct purchase times per slot, and the first of them. */
  purchaseDays: Float32Array;
  firstBought: Float64Array;
  /** Distinct purchase times in the 90 days before `recentTs`, per slot. */
  recentBuys: Float32Array;
  recentTs: number;
  /** `history.items` positions by invoices (more first), then by item index: the buy-again order. */
  byInvoices: Int32Array;
  /** Each distinct (item, time) purchase as its slot and time, parallel arrays. */
  purchaseSlots: Int32Array;
  purchaseTs: Float64Array;
  /** Distinct purchase times (invoices) and the last of them. */
  distinctInvoices: number;
  lastTs: number;
}
const statsCache = new WeakMap<UserHistory, HistoryStats>();

function historyStats(h: UserHistory, ts: number): HistoryStats {
  let st = statsCache.get(h);
  if (!st) {
    const slot = new Map<number, number>();
    for (let k = 0; k < h.items.length; k++) slot.set(h.items[k]!, k);
    for (const line of h.lines) if (!slot.has(line.item)) slot.set(line.item, slot.size);
    const size = slot.size;
    const invoices = new Float32Array(size);
    const lastBought = new Float64Array(size);
    for (let k = 0; k < h.items.length; k++) {
      invoices[k] = h.invoices[k]!;
      lastBought[k] = h.lastTs[k]!;
    }
    const purchaseDays = new Float32Array(size);
    const firstBought = new Float64Array(size);
    const seen = new Set<string>();
    const times = new Set<number>();
    const purchaseSlots: number[] = [];
    const purchaseTs: number[] = [];
    let lastTs = 0;
    for (const line of h.lines) {
      times.add(line.ts);
      if (line.ts > lastTs) lastTs = line.ts;
      const key = `${line.item}:${line.ts}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const s = slot.get(line.item)!;
      purchaseSlots.push(s);
      purchaseTs.push(line.ts);
      purchaseDays[s]! += 1;
      if (firstBought[s] === 0 || line.ts < firstBought[s]!) firstBought[s] = line.ts;
    }
    const byInvoices = Int32Array.from(h.items.keys()).sort(
      (a, b) => h.invoices[b]! - h.invoices[a]! || h.items[a]! - h.items[b]!,
    );
    st = {
      slot,
      invoices,
      lastBought,
      purchaseDays,
      firstBought,
      recentBuys: new Float32Array(size),
      recentTs: Number.NaN,
      byInvoices,
      purchaseSlots: Int32Array.from(purchaseSlots),
      purchaseTs: Float64Array.from(purchaseTs),
      distinctInvoices: times.size,
      lastTs,
    };
    statsCache.set(h, st);
  }
  if (st.recentTs !== ts) {
    // distinct (item, time) purchases in the 90 days before ts
    const recent = new Float32Array(st.slot.size);
    for (let k = 0; k < st.purchaseTs.length; k++) {
      if (st.purchaseTs[k]! >= ts - 90 * DAY) recent[st.purchaseSlots[k]!]! += 1;
    }
    st.recentBuys = recent;
    st.recentTs = ts;
  }
  return st;
}

/** The customer's items by invoices (more first, then lower index), skipping `exclude`: buy-again. */
function buyAgain(h: UserHistory, st: HistoryStats, limit: number, exclude: ReadonlySet<number>): number[] {
  const out: number[] = [];
  for (let r = 0; r < st.byInvoices.length && out.length < limit; r++) {
    const k = st.byInvoices[r]!;
    const item = h.items[k]!;
    if (h.invoices[k]! > 0 && !exclude.has(item)) out.push(item);
  }
  return out;
}

const trendingCache = new WeakMap<Float32Array, number[]>();

/** The top of a (country's) popularity, ties by overall popularity: the same for every request. */
function trending(m: CandidateModels, popularity: Float32Array, k: number, exclude: ReadonlySet<number>) {
  if (exclude.size > 0) return topK(popularity, k, exclude, m.recentPopularity);
  let top = trendingCache.get(popularity);
  if (!top || top.length < k) {
    top = topK(popularity, k, undefined, m.recentPopularity);
    trendingCache.set(popularity, top);
  }
  return top.slice(0, k);
}

/** Candidates per source. */
const PER_SOURCE = {
  ease: 60,
  cosine: 20,
  content: 20,
  buyAgain: 40,
  userEase: USER_EASE_CANDIDATES,
  popular: 20,
};

/**
 * Generates candidates from every source and computes one feature row per candidate, using only the
 * models (trained before the cut-off) and the request. CART candidates: EASE on the cart, cosine and
 * title neighbours, the shopper's own purchases; HOME: buy-again, EASE on the shopper's history,
 * trending in their country. Cart items are never candidates. (ALS scores as features and candidates
 * were tried on both surfaces and left out: no robust gain on the validation cut, see
 * docs/evaluation/tuning.md.)
 *
 * Cost per request: CART sums the cart items' neighbour lists (a few hundred entries each,
 * `cartNeighbours.ts`) and reads the dense models only at the chosen candidates; HOME reads the customer's own items and, per candidate, one row of EASE. A known customer's EASE
 * candidates were computed offline (`userEaseTop`); only a history changed since the cut-off (live
 * purchases) or a ranker-training history pays a dense pass over the catalogue for them.
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
  const add = (list: ArrayLike<number>, source: string) => {
    for (let k = 0; k < list.length; k++) {
      const i = list[k]!;
      const s = sources.get(i);
      if (s) s.push(source);
      else sources.set(i, [source]);
    }
  };
  const countryPop = (q.country && m.recentPopularityByCountry.get(q.country)) || m.recentPopularity;
  const h = q.history;
  const st = h ? historyStats(h, q.ts) : undefined;
  const daysSince = (ts: number) => (ts > 0 ? (q.ts - ts) / DAY : 999);
  const log1p = Math.log1p;
  /** The customer's own features of item j: invoices, last, first, recent purchases, purchase days. */
  const own = (j: number) => {
    const s = st?.slot.get(j);
    return s === undefined
      ? { invoices: 0, last: 0, first: 0, recent: 0, days: 0 }
      : {
          invoices: st!.invoices[s]!,
          last: st!.lastBought[s]!,
          first: st!.firstBought[s]!,
          recent: st!.recentBuys[s]!,
          days: st!.purchaseDays[s]!,
        };
  };

  if (surface === 'cart') {
    // candidates from the cart items' neighbour lists (never a catalogue-length pass), then the exact
    // sums over the cart at each candidate only
    const near = cartCandidates(m, q.cart, exclude, PER_SOURCE);
    add(near.ease, 'ease');
    add(near.cosine, 'cosine');
    add(near.content, 'content');
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
    if (h && st) add(buyAgain(h, st, PER_SOURCE.buyAgain, exclude), 'buy_again');
    const items = Int32Array.from(sources.keys());
    const c = m.cooccurrence;
    const b = m.basketEase.weights;
    const inverse = inverseSupportRoots(m);
    const ease = new Float32Array(items.length);
    const cosSum = new Float32Array(items.length);
    const cosMax = new Float32Array(items.length);
    const cooc = new Float32Array(items.length);
    const textSum = new Float32Array(items.length);
    const textMax = new Float32Array(items.length);
    let easeMax = 0;
    for (let r = 0; r < items.length; r++) {
      const j = items[r]!;
      const dj = inverse[j]!;
      let e = 0;
      let co = 0;
      let cs = 0;
      let cm = 0;
      let ts = 0;
      let tm = 0;
      for (let k = 0; k < q.cart.length; k++) {
        const i = q.cart[k]!;
        e += b[i * n + j]!;
        const v = c[i * n + j]!;
        co += v;
        const cos = v * inverse[i]! * dj;
        cs += cos;
        if (cos > cm) cm = cos;
        const t = textPairScore(m.text, i, j);
        ts += t;
        if (t > tm) tm = t;
      }
      ease[r] = e;
      cosSum[r] = cs;
      cosMax[r] = cm;
      cooc[r] = co;
      textSum[r] = ts;
      textMax[r] = tm;
      easeMax = Math.max(easeMax, e);
    }
    const dim = FEATURES.cart.length;
    const x = new Float32Array(items.length * dim);
    for (let r = 0; r < items.length; r++) {
      const j = items[r]!;
      const o = r * dim;
      const mine = own(j);
      x[o] = ease[r]!;
      x[o + 1] = easeMax > 0 ? ease[r]! / easeMax : 0;
      x[o + 2] = cosSum[r]!;
      x[o + 3] = cosMax[r]!;
      x[o + 4] = log1p(cooc[r]!);
      x[o + 5] = log1p(m.recentPopularity[j]!);
      x[o + 6] = (m.weekPopularity[j]! + 1) / (m.recentPopularity[j]! / 4 + 1);
      x[o + 7] = log1p(countryPop[j]!);
      x[o + 8] = log1p(m.matrix.itemBaskets[j]!);
      x[o + 9] = mine.invoices;
      x[o + 10] = daysSince(mine.last);
      x[o + 11] = h ? easeColumnScore(m.userEase, h.items, j) : 0;
      x[o + 12] = q.cart.length;
      x[o + 13] = h ? 1 : 0;
      x[o + 14] = textSum[r]!;
      x[o + 15] = textMax[r]!;
      x[o + 16] = log1p(codeGap(j));
      x[o + 17] = easeColumnScore(m.userEase, q.cart, j);
    }
    return { surface, items, x, sources };
  }

  if (forced) {
    add(forced, 'search');
  } else {
    if (h && st) {
      add(buyAgain(h, st, PER_SOURCE.buyAgain, exclude), 'buy_again');
      const offline =
        exclude.size === 0 && m.matrix.users.get(h.userId) === h ? m.userEaseTop.get(h.userId) : undefined;
      if (offline) {
        add(offline, 'ease_user');
      } else {
        const easeUser = new Float32Array(n);
        easeScores(m.userEase, h.items, easeUser);
        add(topK(easeUser, PER_SOURCE.userEase, exclude), 'ease_user');
      }
    }
    add(trending(m, countryPop, PER_SOURCE.popular, exclude), 'trending');
  }
  const items = Int32Array.from(sources.keys());
  const easeUser = Float32Array.from(items, (j) => (h ? easeColumnScore(m.userEase, h.items, j) : 0));
  let userMax = 0;
  let easeMax = 0;
  for (let r = 0; r < items.length; r++) {
    userMax = Math.max(userMax, own(items[r]!).invoices);
    easeMax = Math.max(easeMax, easeUser[r]!);
  }
  const dim = FEATURES.home.length;
  const x = new Float32Array(items.length * dim);
  const distinct = h?.items.length ?? 0;
  const userInvoices = st?.distinctInvoices ?? 0;
  const lastInvoice = st?.lastTs ?? 0;
  for (let r = 0; r < items.length; r++) {
    const j = items[r]!;
    const o = r * dim;
    const mine = own(j);
    x[o] = mine.invoices;
    x[o + 1] = userMax > 0 ? mine.invoices / userMax : 0;
    x[o + 2] = daysSince(mine.last);
    x[o + 3] = easeUser[r]!;
    x[o + 4] = easeMax > 0 ? easeUser[r]! / easeMax : 0;
    x[o + 5] = log1p(m.recentPopularity[j]!);
    x[o + 6] = (m.weekPopularity[j]! + 1) / (m.recentPopularity[j]! / 4 + 1);
    x[o + 7] = log1p(countryPop[j]!);
    x[o + 8] = log1p(m.matrix.itemBaskets[j]!);
    x[o + 9] = userInvoices;
    x[o + 10] = daysSince(lastInvoice);
    x[o + 11] = distinct;
    x[o + 12] = mine.recent;
    x[o + 13] = userInvoices > 0 ? mine.invoices / userInvoices : 0;
    x[o + 14] = m.repeatRate[j]!;
    x[o + 15] = daysSince(mine.first);
    // time since the last purchase over the shopper's usual interval for this product
    const k = mine.days;
    const interval = k >= 2 ? (mine.last - mine.first) / DAY / (k - 1) : 0;
    x[o + 16] = interval > 0 ? Math.min(50, daysSince(mine.last) / interval) : 50;
  }
  return { surface, items, x, sources };
}
