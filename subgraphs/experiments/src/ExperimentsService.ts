import {
  applyDecision,
  analyse,
  decide,
  validateExperiments,
  type AuditEntry,
  type Decision,
  type Experiment,
  type ExperimentAnalysis,
  type ExperimentStore,
  type OutcomeStore,
} from '@recs/experiments';
import { ErrorCode, RecsError, type Logger } from '@recs/core';

export interface AutomationOutcome {
  experimentId: string;
  decision: Decision;
  auditId?: string;
}

export interface ExperimentResults {
  analysis: ExperimentAnalysis;
  segments: string[];
  decision: Decision;
}

/**
 * The experiments' business logic over the shared store: audited changes validated against the whole
 * set and the registry's model versions, results from the outcome counters, the automation round and
 * the undo of an audited change.
 */
export class ExperimentsService {
  constructor(
    readonly store: ExperimentStore,
    private readonly opts: {
      outcomes?: OutcomeStore;
      /**
       * Set when changes would not reach serving (no shared store: the embedded first run), with why;
       * every change then fails with BACKEND_UNAVAILABLE and this reason.
       */
      readOnly?: string;
      /** Model versions a variant may name (the registry's); unchecked when absent. */
      modelVersions?: () => Promise<ReadonlySet<string>>;
      log: Logger;
    },
  ) {}

  async list(): Promise<Experiment[]> {
    return (await this.store.list()).experiments;
  }

  async get(id: string): Promise<Experiment | undefined> {
    return (await this.list()).find((e) => e.id === id);
  }

  /** Validates the set with the change applied, then commits it with its audit entry. */
  async change(
    id: string,
    next: (current: Experiment | null) => Experiment | null,
    meta: Omit<AuditEntry, 'id' | 'at' | 'experimentId' | 'before' | 'after'>,
  ): Promise<AuditEntry> {
    if (this.opts.readOnly && meta.actor !== 'file') {
      throw new RecsError(ErrorCode.BACKEND_UNAVAILABLE, this.opts.readOnly);
    }
    const modelVersions = await this.opts.modelVersions?.();
    const entry = await this.store.change(id, next, meta, (set) =>
      validateExperiments(set, { modelVersions, only: id }),
    );
    this.opts.log.info(
      {
        experimentId: id,
        action: meta.action,
        actor: meta.actor,
        automatic: meta.automatic,
        auditId: entry.id,
      },
      'experiment changed',
    );
    return entry;
  }

  /** Imports the experiments of a file that the store does not hold yet (an admin's later change wins). */
  async importMissing(experiments: readonly Experiment[]): Promise<number> {
    const held = new Set((await this.list()).map((e) => e.id));
    let imported = 0;
    for (const e of experiments) {
      if (held.has(e.id)) continue;
      await this.change(e.id, (current) => current ?? e, {
        actor: 'file',
        action: 'import',
        reason: 'EXPERIMENTS_FILE',
        automatic: true,
      });
      imported++;
    }
    return imported;
  }

  private outcomes(): OutcomeStore {
    if (!this.opts.outcomes) {
      throw new RecsError(
        ErrorCode.BACKEND_UNAVAILABLE,
        'experiment outcomes need REDIS_URL: exposures and events are counted on Redis',
      );
    }
    return this.opts.outcomes;
  }

  async results(id: string, segment = 'all'): Promise<ExperimentResults> {
    const experiment = await this.get(id);
    if (!experiment) throw new RecsError(ErrorCode.NOT_FOUND, `no experiment ${JSON.stringify(id)}`);
    return this.resultsOf(experiment, segment);
  }

  /** The results of an experiment already read from the store. */
  private async resultsOf(experiment: Experiment, segment: string): Promise<ExperimentResults> {
    const counts = await this.outcomes().counts(
      experiment.id,
      experiment.variants.map((v) => v.name),
    );
    const analysis = analyse(experiment, counts.get(segment) ?? new Map(), segment);
    return { analysis, segments: [...counts.keys()], decision: decide(experiment, analysis) };
  }

  /** One automation round over every RUNNING experiment: decide on the `all` segment, apply, audit. */
  async runAutomation(): Promise<AutomationOutcome[]> {
    const out: AutomationOutcome[] = [];
    for (const e of await this.list()) {
      if (e.status !== 'RUNNING') continue;
      const { decision } = await this.resultsOf(e, 'all');
      if (decision.action === 'hold') {
        out.push({ experimentId: e.id, decision });
        continue;
      }
      const entry = await this.change(
        e.id,
        // the decision stands only if nobody changed the experiment meanwhile
        (current) =>
          current && JSON.stringify(current) === JSON.stringify(e)
            ? applyDecision(current, decision)
            : current,
        { actor: 'automation', action: decision.action, reason: decision.reason, automatic: true },
      );
      out.push({ experimentId: e.id, decision, auditId: entry.id });
    }
    return out;
  }

  /** Restores the experiment to its state before an audited change, if it is still as the change left it. */
  async revert(auditId: string, actor: string): Promise<Experiment | null> {
    const entry = await this.store.auditEntry(auditId);
    if (!entry) throw new RecsError(ErrorCode.NOT_FOUND, `no audit entry ${JSON.stringify(auditId)}`);
    const result = await this.change(
      entry.experimentId,
      (current) => {
        if (JSON.stringify(current) !== JSON.stringify(entry.after)) {
          throw new RecsError(
            ErrorCode.CONFLICT,
            `experiment ${entry.experimentId} changed after audit entry ${auditId}; revert the later changes first`,
          );
        }
        return entry.before;
      },
      { actor, action: 'revert', reason: `revert of ${auditId} (${entry.action})`, automatic: false },
    );
    return result.after;
  }
}
