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
 * A configuration replay cannot serve: `of` says whose (the candidate's, or a variant's of the
 * experiment), so a command can tell a bad candidate from an experiment it cannot replay.
 */
export class ReplayConfigError extends Error {
  constructor(
    message: string,
    readonly of: 'candidate' | 'variant',
  ) {
    super(message);
    this.name = 'ReplayConfigError';
  }
}

/**
 * Replays a candidate variant configuration on an experiment's served lists: every logged request is
 * served again by `recommender` under each variant's configuration and the candidate's (the products
 * each would show now), and {@link replayEstimate} weighs the logged clicks. Variants and candidates
 * must run on `recommender`'s model version: a configuration naming another throws a
 * {@link ReplayConfigError} naming both.
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
  const served = recommender.modelVersion;
  const configs = [
    { of: 'candidate' as const, name: 'the candidate', config: opts.candidate },
    ...experiment.variants.map((v) => ({
      of: 'variant' as const,
      name: `variant ${v.name}`,
      config: v.config ?? {},
    })),
  ];
  for (const { of, name, config } of configs) {
    if (config === null || typeof config !== 'object' || Array.isArray(config)) {
      throw new ReplayConfigError(
        `${name}: a configuration must be a JSON object; received ${JSON.stringify(config)}`,
        of,
      );
    }
    const version = config.modelVersion;
    if (version !== undefined && version !== served) {
      throw new ReplayConfigError(
        `${name} names model version ${JSON.stringify(version)}, which is not served: replay serves the promoted version ${served} only`,
        of,
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
