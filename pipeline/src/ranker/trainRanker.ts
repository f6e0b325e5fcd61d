import { progressBar, seededRandom } from '@recs/core';
import { treeEnsemblePredict, type TreeEnsemble } from '@recs/model-runtime';
import type { Interaction } from '../ingest/Interaction';
import {
  trainCandidateModels,
  type CandidateModelOptions,
  type CandidateModels,
} from '../models/candidateModels';
import { buildCases } from '../eval/protocols';
import { candidateFeatures, FEATURES, type RankQuery, type RankSurface } from './features';
import { trainGbdt, type GbdtOptions } from './gbdt';

const DAY = 86_400_000;
/** Negative candidates kept per training request. */
const NEGATIVES_PER_REQUEST = 30;

export interface Rankers {
  /** Absent when the label window had no positive example (too little data before the cut-off). */
  cart?: TreeEnsemble;
  home?: TreeEnsemble;
  /** The label window inside the training period: [from, to). */
  window: { from: number; to: number };
  rows: { cart: number; home: number };
}

export interface RankerOptions extends CandidateModelOptions {
  /** Label windows (months of 30 days) before the cut-off. Default 2. */
  windows?: number;
  gbdt?: GbdtOptions;
  /** Ranker objective per surface (default: see {@link DEFAULT_OBJECTIVES}). */
  objectives?: Partial<Record<RankSurface, 'logistic' | 'lambdarank'>>;
}

/**
 * Objectives of the two rankers. LambdaMART (`'lambdarank'`) was tried on the validation cut-off
 * 2011-09-09 (docs/evaluation/tuning.md): CART moved within noise (HR@10 0.375 → 0.371) and HOME
 * gained 0.011 HR@10 with NDCG@10 +0.001, not confirmed on the dev cut, for 6-10 s more of `train`
 * (pairwise gradients every round), which the 60 s budget does not have; both keep the logistic loss.
 */
export const DEFAULT_OBJECTIVES: Record<RankSurface, 'logistic' | 'lambdarank'> = {
  cart: 'logistic',
  home: 'logistic',
};

/**
 * Trains the CART and HOME rankers without looking past the cut-off. For each of the last `windows`
 * 30-day periods before the cut-off, candidate models are trained on the data before that period and
 * its purchases label their candidates with the evaluation's protocols: the next 30 days of purchases
 * per customer (HOME), and (from the oldest models) every later invoice with one product hidden
 * (CART). At serving and evaluation time the rankers score candidates of models trained up to the
 * cut-off, so features have the same meaning one period later.
 */
export async function trainRankers(
  interactions: readonly Interaction[],
  cut: number,
  opts: RankerOptions = {},
): Promise<Rankers> {
  const log = opts.log ?? (() => {});
  const windows = opts.windows ?? 2;
  const from = cut - windows * 30 * DAY;
  const cartRows: TrainingQuery[] = [];
  const homeRows: TrainingQuery[] = [];
  const t0 = Date.now();
  for (let w = windows; w >= 1; w--) {
    const start = cut - w * 30 * DAY;
    // a window needs purchases before it to train the models whose candidates it labels
    if (!interactions.some((e) => e.type === 'purchase' && e.ts < start)) continue;
    // only the oldest window labels CART cases; the others need the customer models alone
    // ALS is not a ranker feature (no robust gain on validation), so label-window models skip it
    const m = await trainCandidateModels(interactions, start, {
      ...opts,
      customerModelsOnly: w !== windows,
      als: false,
      log: () => {},
    });
    const catalogue = new Set(m.matrix.items);
    const toIndex = (p: string) => m.matrix.index.get(p)!;
    for (const c of buildCases(interactions, start, start + 30 * DAY, catalogue, 7).home) {
      homeRows.push({
        m,
        q: queryOf(m, c.userId, [], c.country, c.ts),
        target: new Set([...c.target].filter((p) => catalogue.has(p)).map(toIndex)),
      });
    }
    if (w === windows) {
      for (const c of buildCases(interactions, start, cut, catalogue, 7).cart) {
        // a product first sold inside the label window has no features to learn from
        if (!catalogue.has(c.hidden)) continue;
        cartRows.push({
          m,
          q: queryOf(m, c.userId, c.cart, c.country, c.ts),
          target: new Set([toIndex(c.hidden)]),
        });
      }
    }
  }
  log(`ranker: candidate models for ${windows} label windows in ${Date.now() - t0} ms`);
  const t1 = Date.now();
  const cartSet = trainingSet(cartRows, 'cart');
  const homeSet = trainingSet(homeRows, 'home');
  const t2 = Date.now();
  log(
    `ranker: features of ${cartSet.y.length} cart and ${homeSet.y.length} home candidates in ${t2 - t1} ms`,
  );
  const fitOrSkip = (set: TrainingSet, surface: RankSurface) => {
    if (!set.y.some((v) => v > 0)) return undefined;
    const trees = opts.gbdt?.trees ?? 150;
    const bar = progressBar(`ranker ${surface} trees`, trees);
    const model = trainGbdt(set.x, FEATURES[surface].length, set.y, {
      ...opts.gbdt,
      objective: opts.objectives?.[surface] ?? DEFAULT_OBJECTIVES[surface],
      groups: set.groups,
      onTree: () => bar.tick(),
    });
    bar.done();
    return model;
  };
  const cart = fitOrSkip(cartSet, 'cart');
  const home = fitOrSkip(homeSet, 'home');
  log(`ranker: gradient-boosted trees in ${Date.now() - t2} ms`);
  return { cart, home, window: { from, to: cut }, rows: { cart: cartSet.y.length, home: homeSet.y.length } };
}

interface TrainingQuery {
  m: CandidateModels;
  q: RankQuery;
  target: Set<number>;
}

/** The request as the ranker sees it: catalogue indices and the customer's history. */
export function queryOf(
  m: CandidateModels,
  userId: string | null,
  cart: readonly string[],
  country: string | null,
  ts: number,
): RankQuery {
  return {
    history: userId ? m.matrix.users.get(userId) : undefined,
    cart: Int32Array.from(cart.filter((p) => m.matrix.index.has(p)).map((p) => m.matrix.index.get(p)!)),
    country,
    ts,
  };
}

interface TrainingSet {
  x: Float32Array;
  y: Float32Array;
  /** Row offsets of each request's rows (for the pairwise objective). */
  groups: Int32Array;
}

/** Feature rows and labels: every positive and a seeded sample of negatives per request. */
function trainingSet(queries: TrainingQuery[], surface: RankSurface): TrainingSet {
  const dim = FEATURES[surface].length;
  const xs: Float32Array[] = [];
  const ys: number[] = [];
  const groups: number[] = [0];
  // Every positive and a seeded sample of the negatives per request: the ranking signal is in the
  // comparison inside a request, and fewer rows make boosting several times faster.
  const random = seededRandom(11);
  const bar = progressBar(`ranker ${surface} features`, queries.length);
  for (const { m, q, target } of queries) {
    bar.tick();
    const f = candidateFeatures(m, q, surface);
    const keepNegative = Math.min(1, NEGATIVES_PER_REQUEST / Math.max(1, f.items.length));
    f.items.forEach((item, r) => {
      const y = target.has(item) ? 1 : 0;
      if (y === 0 && random() >= keepNegative) return;
      xs.push(f.x.subarray(r * dim, (r + 1) * dim));
      ys.push(y);
    });
    if (ys.length > groups[groups.length - 1]!) groups.push(ys.length);
  }
  bar.done();
  const x = new Float32Array(ys.length * dim);
  let o = 0;
  for (const part of xs) {
    x.set(part, o);
    o += part.length;
  }
  return { x, y: Float32Array.from(ys), groups: Int32Array.from(groups) };
}

/** Ranker scores (probabilities) for the candidates of a request. */
export function rankCandidates(
  ranker: TreeEnsemble,
  m: CandidateModels,
  q: RankQuery,
  surface: RankSurface,
): { items: Int32Array; scores: Float32Array; sources: Map<number, string[]> } {
  const f = candidateFeatures(m, q, surface);
  return { items: f.items, scores: treeEnsemblePredict(ranker, f.x, f.items.length), sources: f.sources };
}
