import { createHash } from 'node:crypto';
import type { Logger } from '@recs/core';
import {
  assign,
  segmentKeys,
  type Assignment,
  type Experiment,
  type OutcomeStore,
  type VariantConfig,
} from '@recs/experiments';
import type { RecommendationRequest } from '../RecommendationRequest';

/** Where the current experiment set comes from: the shared store (polled) or a fixed list. */
export interface ExperimentSource {
  version(): Promise<number>;
  list(): Promise<{ version: number; experiments: Experiment[] }>;
}

/** What one request is served with: the merged variant configuration and the assignments behind it. */
export interface ServingPlan {
  config: VariantConfig;
  assignments: Assignment[];
  /** Part of the cache key: the served configuration and the logged assignments. */
  key: string;
  segments: string[];
}

/** The plan of a request outside every experiment. */
export const NO_PLAN: ServingPlan = { config: {}, assignments: [], key: 'control', segments: [] };

/** What the serving path logs about one served list (an exposure, or an impression-log entry). */
export interface ServedListLog {
  /** The list's own request id. */
  requestId: string;
  userId: string;
  itemCount: number;
  /** Serving time in the subgraph, ms. */
  latencyMs: number;
  /** The products served, in order. */
  items: string[];
  /** The validated request, JSON, for offline replay (lists of running experiments only). */
  request?: string;
  surface: string;
  modelVersion: string;
  /** The shopper's pre-experiment covariate (CUPED). */
  covariate?: number;
}

/**
 * Experiments on the hot path without a network hop: the experiment set is held in process and
 * refreshed in the background (one version read per `refreshMs`, the whole set only when it moved),
 * assignment is a pure hash, and the exposure of a served list is one fire-and-forget script on Redis.
 */
export class ServingExperiments {
  private experiments: readonly Experiment[];
  private version = -1;
  private timer?: NodeJS.Timeout;
  private failing = false;

  constructor(
    private readonly opts: {
      source: ExperimentSource | readonly Experiment[];
      outcomes?: OutcomeStore;
      log: Logger;
      refreshMs?: number;
      onExposureError?: () => void;
    },
  ) {
    this.experiments = Array.isArray(opts.source) ? opts.source : [];
  }

  /** The first load; then a refresh every `refreshMs` (default 1000). */
  async start(): Promise<void> {
    if (Array.isArray(this.opts.source)) return;
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.opts.refreshMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Rereads the set when its version moved; on failure keeps serving the last one (and says so once). */
  async refresh(): Promise<void> {
    const source = this.opts.source as ExperimentSource;
    try {
      if ((await source.version()) === this.version) return;
      const { version, experiments } = await source.list();
      this.experiments = experiments;
      this.version = version;
      if (this.failing) this.opts.log.info({ version }, 'experiment store reachable again');
      this.failing = false;
      this.opts.log.info(
        {
          version,
          live: experiments.filter((e) => e.status === 'RUNNING' || e.status === 'PROMOTED').length,
        },
        'experiments refreshed',
      );
    } catch (err) {
      if (!this.failing) {
        this.opts.log.warn(
          { err: (err as Error).message },
          'experiment store unreachable: serving the last experiment set',
        );
      }
      this.failing = true;
    }
  }

  current(): readonly Experiment[] {
    return this.experiments;
  }

  /** The assignments of one request and the configuration they serve (later layers win per field). */
  plan(req: RecommendationRequest, newUser: boolean): ServingPlan {
    if (this.experiments.length === 0) return NO_PLAN;
    const attrs = {
      country: req.context.country,
      device: req.context.device,
      newUser,
      attributes: req.context.attributes,
    };
    const assignments = assign(req.userId, this.experiments, attrs, req.surface);
    if (assignments.length === 0) return NO_PLAN;
    const config: VariantConfig = {};
    for (const a of assignments) {
      const c = a.config;
      if (c.modelVersion !== undefined) config.modelVersion = c.modelVersion;
      if (c.ranker !== undefined) config.ranker = c.ranker;
      if (c.sourceWeights) config.sourceWeights = { ...config.sourceWeights, ...c.sourceWeights };
      if (c.rules) config.rules = { ...config.rules, ...c.rules };
    }
    const logged = assignments.filter((a) => a.logged).map((a) => `${a.experimentId}=${a.variant}`);
    const key = `${logged.join(',') || '-'}:${createHash('sha256').update(JSON.stringify(config)).digest('base64url').slice(0, 12)}`;
    return { config, assignments, key, segments: segmentKeys(attrs) };
  }

  /**
   * Logs a served list: an exposure under the plan's logged assignments, else an entry of the
   * impression log (no user id). Never throws, never waits.
   */
  logExposure(plan: ServingPlan, e: ServedListLog): void {
    const outcomes = this.opts.outcomes;
    if (!outcomes) return;
    const logged = plan.assignments.filter((a) => a.logged);
    const failed = (err: unknown) => {
      this.opts.onExposureError?.();
      this.opts.log.warn({ err: (err as Error).message }, 'served list not logged');
    };
    if (logged.length === 0) {
      const { requestId, surface, modelVersion, items } = e;
      outcomes.recordImpression({ requestId, surface, modelVersion, items }).catch(failed);
      return;
    }
    outcomes
      .recordExposure({
        ...e,
        assignments: logged.map((a) => ({ experimentId: a.experimentId, variant: a.variant })),
        segments: plan.segments,
      })
      .catch(failed);
  }
}
