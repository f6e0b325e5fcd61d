import {
  replayEstimate,
  type Experiment,
  type OutcomeStore,
  type ReplayEstimate,
  type VariantConfig,
} from '@recs/experiments';
import type { RecommendationRequest } from '../RecommendationRequest';
import type { Recommender } from '../Recommender';

export interface ReplayReport extends ReplayEstimate {
  experimentId: string;
  /** Observed clicks per shown product of each variant in the same logs (on-policy). */
  observed: Record<string, { lists: number; shown: number; clicks: number; ctr: number }>;
}

/**
 * Replays a candidate variant configuration on an experiment's served lists: every logged request is
 * served again by `recommender` under each variant's configuration and the candidate's (the products
 * each would show now), and {@link replayEstimate} weighs the logged clicks. Variants and candidates
 * must run on `recommender`'s model version.
 */
export async function replayExperiment(opts: {
  experiment: Experiment;
  outcomes: OutcomeStore;
  recommender: Recommender;
  candidate: VariantConfig;
  maxLists?: number;
  onProgress?: (done: number, total: number) => void;
}): Promise<ReplayReport> {
  const { experiment, recommender } = opts;
  for (const c of [opts.candidate, ...experiment.variants.map((v) => v.config ?? {})]) {
    if (c.modelVersion && c.modelVersion !== recommender.modelVersion) {
      throw new Error(
        `replay serves model version ${recommender.modelVersion} only; a configuration names ${c.modelVersion}`,
      );
    }
  }
  const logs = await opts.outcomes.loggedLists(experiment.id, opts.maxLists ?? 5000);
  const observed: ReplayReport['observed'] = {};
  const requests = [];
  for (const [i, log] of logs.entries()) {
    const parsed = JSON.parse(log.request) as Omit<RecommendationRequest, 'userId'>;
    const req: RecommendationRequest = { ...parsed, userId: log.userId };
    const show = async (config: VariantConfig) =>
      (await recommender.recommend(req, config)).items.map((item) => item.productId);
    const variantLists = new Map<string, string[]>();
    for (const v of experiment.variants) variantLists.set(v.name, await show(v.config ?? {}));
    requests.push({
      shown: log.items,
      clicked: log.clicked,
      variantLists,
      candidate: await show(opts.candidate),
    });
    const o = (observed[log.variant] ??= { lists: 0, shown: 0, clicks: 0, ctr: 0 });
    o.lists++;
    o.shown += log.items.length;
    o.clicks += log.clicked.size;
    opts.onProgress?.(i + 1, logs.length);
  }
  for (const o of Object.values(observed)) o.ctr = o.shown > 0 ? o.clicks / o.shown : 0;
  const allocations = new Map(experiment.variants.map((v) => [v.name, v.allocation]));
  return { experimentId: experiment.id, ...replayEstimate(requests, allocations), observed };
}
