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
/**
 * Negative candidates kept per training request. CART keeps 20: with every label window labelling
 * CART it has about 1.5 times the requests, and 20 gives about as many rows (and as much boosting
 * time) as 30 did with the oldest window alone; 20 and 30 score the same on the validation cut.
 */
const NEGATIVES_PER_REQUEST: Record<RankSurface, number> = { cart: 20, home: 30 };

/**
 * Tree settings per surface, under `opts.gbdt`. CART trees are one level shallower than the default 5:
 * with the labels of both windows, depth 4 scored HR@10 0.361 / NDCG@10 0.216 against 0.355 / 0.213
 * at depth 5 on the validation cut (means of three negative samples), and costs less.
 */
const SURFACE_GBDT: Record<RankSurface, GbdtOptions> = { cart: { depth: 4 }, home: {} };

export interface Rankers {
  /** Absent when the label window had no positive example (too little data before the cut-off). */
  cart?: TreeEnsemble;
  home?: TreeEnsemble;
  /** The label window inside the training period: [from, to). */
  window: { from: number; to: number };
  rows: { cart: number; home: number };
  /** The negative-sample seed of `cart` and `home` (the first of `sampleSeeds`). */
  seed: number;
  /**
   * The rankers of the other `sampleSeeds`: the same label windows and feature rows, another sample
   * of the negatives (`evaluate --ranker-seeds` reports their spread).
   */
  otherSeeds: { seed: number; cart?: TreeEnsemble; home?: TreeEnsemble }[];
}

export interface RankerOptions extends CandidateModelOptions {
  /** Label windows (months of 30 days) before the cut-off. Default 2. */
  windows?: number;
  gbdt?: GbdtOptions;
  /** Ranker objective per surface (default: see {@link DEFAULT_OBJECTIVES}). */
  objectives?: Partial<Record<RankSurface, 'logistic' | 'lambdarank'>>;
  /**
   * Seeds of the negative samples, one pair of rankers each (default [{@link DEFAULT_SAMPLE_SEED}]):
   * the first pair is the result, the others measure how much the sample alone moves the rankers.
   */
  sampleSeeds?: readonly number[];
}

/** The seed of the negative sample `train` uses. */
export const DEFAULT_SAMPLE_SEED = 11;

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
 * per customer (HOME), and every later invoice before the cut-off with one product hidden (CART; an
 * invoice of the last period is labelled once per window, each time with other models and another
 * hidden product). At serving and evaluation time the rankers score candidates of models trained up
 * to the cut-off, so features have the same meaning one period later.
 *
 * The windows' models are trained one ahead: the next window's EASE inverses run off the main thread
 * while the features of the current window are computed.
 */
export async function trainRankers(
  interactions: readonly Interaction[],
  cut: number,
  opts: RankerOptions = {},
): Promise<Rankers> {
  const log = opts.log ?? (() => {});
  const windows = opts.windows ?? 2;
  const from = cut - windows * 30 * DAY;
  const starts: number[] = [];
  for (let w = windows; w >= 1; w--) {
    const start = cut - w * 30 * DAY;
    // a window needs purchases before it to train the models whose candidates it labels
    if (interactions.some((e) => e.type === 'purchase' && e.ts < start)) starts.push(start);
  }
  // ALS is not a ranker feature (no robust gain on validation), so label-window models skip it
  const modelsBefore = (start: number) =>
    trainCandidateModels(interactions, start, {
      ...opts,
      customerModelsOnly: false,
      als: false,
      log: () => {},
    });
  const seeds = opts.sampleSeeds?.length ? opts.sampleSeeds : [DEFAULT_SAMPLE_SEED];
  const cartSet = trainingSet('cart', seeds);
  const homeSet = trainingSet('home', seeds);
  const t0 = Date.now();
  let featureMs = 0;
  let next = starts.length > 0 ? modelsBefore(starts[0]!) : undefined;
  for (let k = 0; k < starts.length; k++) {
    const start = starts[k]!;
    const m = await next!;
    next = k + 1 < starts.length ? modelsBefore(starts[k + 1]!) : undefined;
    // a failure of the next window surfaces when it is awaited, not as an unhandled rejection
    next?.catch(() => {});
    const tf = Date.now();
    const catalogue = new Set(m.matrix.items);
    const toIndex = (p: string) => m.matrix.index.get(p)!;
    const homeRows: TrainingQuery[] = [];
    for (const c of buildCases(interactions, start, start + 30 * DAY, catalogue, 7).home) {
      homeRows.push({
        m,
        q: queryOf(m, c.userId, [], c.country, c.ts),
        target: new Set([...c.target].filter((p) => catalogue.has(p)).map(toIndex)),
      });
    }
    const cartRows: TrainingQuery[] = [];
    for (const c of buildCases(interactions, start, cut, catalogue, 7).cart) {
      // a product first sold inside the label window has no features to learn from
      if (!catalogue.has(c.hidden)) continue;
      cartRows.push({
        m,
        q: queryOf(m, c.userId, c.cart, c.country, c.ts),
        target: new Set([toIndex(c.hidden)]),
      });
    }
    cartSet.add(cartRows);
    homeSet.add(homeRows);
    featureMs += Date.now() - tf;
  }
  log(`ranker: candidate models for ${windows} label windows in ${Date.now() - t0 - featureMs} ms`);
  const t1 = Date.now();
  const cart = cartSet.done();
  const home = homeSet.done();
  const t2 = Date.now();
  log(
    `ranker: features of ${cart[0]!.y.length} cart and ${home[0]!.y.length} home candidates in ${featureMs + t2 - t1} ms`,
  );
  const fitOrSkip = (set: TrainingSet, surface: RankSurface) => {
    if (!set.y.some((v) => v > 0)) return undefined;
    const trees = opts.gbdt?.trees ?? 150;
    const bar = progressBar(`ranker ${surface} trees`, trees);
    const model = trainGbdt(set.x, FEATURES[surface].length, set.y, {
      ...SURFACE_GBDT[surface],
      ...opts.gbdt,
      objective: opts.objectives?.[surface] ?? DEFAULT_OBJECTIVES[surface],
      groups: set.groups,
      onTree: () => bar.tick(),
    });
    bar.done();
    return model;
  };
  const t3 = Date.now();
  const bySeed = seeds.map((seed, i) => ({
    seed,
    cart: fitOrSkip(cart[i]!, 'cart'),
    home: fitOrSkip(home[i]!, 'home'),
  }));
  log(`ranker: gradient-boosted trees in ${Date.now() - t3} ms`);
  const [first, ...others] = bySeed;
  return {
    cart: first!.cart,
    home: first!.home,
    window: { from, to: cut },
    rows: { cart: cart[0]!.y.length, home: home[0]!.y.length },
    seed: first!.seed,
    otherSeeds: others,
  };
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

/**
 * Feature rows and labels, added window by window, per seed: every positive and a seeded sample of
 * negatives per request (one stream per surface and seed, so the rows do not depend on how the
 * windows interleave).
 */
function trainingSet(
  surface: RankSurface,
  seeds: readonly number[],
): {
  add: (queries: readonly TrainingQuery[]) => void;
  done: () => TrainingSet[];
} {
  const dim = FEATURES[surface].length;
  // Every positive and a seeded sample of the negatives per request: the ranking signal is in the
  // comparison inside a request, and fewer rows make boosting several times faster.
  const samples = seeds.map((seed) => ({
    random: seededRandom(seed),
    xs: [] as Float32Array[],
    ys: [] as number[],
    groups: [0],
  }));
  return {
    add(queries) {
      const bar = progressBar(`ranker ${surface} features`, queries.length);
      for (const { m, q, target } of queries) {
        bar.tick();
        const f = candidateFeatures(m, q, surface);
        const keepNegative = Math.min(1, NEGATIVES_PER_REQUEST[surface] / Math.max(1, f.items.length));
        for (const { random, xs, ys, groups } of samples) {
          f.items.forEach((item, r) => {
            const y = target.has(item) ? 1 : 0;
            if (y === 0 && random() >= keepNegative) return;
            xs.push(f.x.subarray(r * dim, (r + 1) * dim));
            ys.push(y);
          });
          if (ys.length > groups[groups.length - 1]!) groups.push(ys.length);
        }
      }
      bar.done();
    },
    done() {
      return samples.map(({ xs, ys, groups }) => {
        const x = new Float32Array(ys.length * dim);
        let o = 0;
        for (const part of xs) {
          x.set(part, o);
          o += part.length;
        }
        return { x, y: Float32Array.from(ys), groups: Int32Array.from(groups) };
      });
    },
  };
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
