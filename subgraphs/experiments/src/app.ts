import type { FastifyInstance } from 'fastify';
import { Counter, Registry } from 'prom-client';
import type { Logger } from '@recs/core';
import { EventConsumer, type EventLog, type LiveTarget } from '@recs/events';
import type { OutcomeStore } from '@recs/experiments';
import { subgraphSdl } from '@recs/schema';
import { buildSubgraphApp } from '@recs/subgraph-kit';
import { buildResolvers } from './resolvers';
import type { ExperimentsService } from './ExperimentsService';

export interface ExperimentsAppOptions {
  service: ExperimentsService;
  gatewaySecret: string;
  logger: Logger;
  /**
   * The event stream and the outcome counters: a consumer group of its own (`experiments-outcomes`, new
   * events only, no state writes) attributes events carrying a list's `requestId`. Absent without Redis.
   */
  outcomes?: { log: EventLog; live: LiveTarget; store: OutcomeStore };
  /** Seconds between automation rounds (0: off; `runExperimentAutomation` still runs one). */
  automationIntervalSeconds: number;
  metrics?: Registry;
}

/** Builds the experiments subgraph from injected dependencies, without listening. */
export async function buildExperimentsApp(opts: ExperimentsAppOptions): Promise<FastifyInstance> {
  const registry = opts.metrics ?? new Registry();
  const attributed = new Counter({
    name: 'recs_experiment_events_total',
    help: 'Shopper events seen by the outcome attribution, by result (attributed, duplicate, unattributed, foreign, ignored)',
    labelNames: ['result'],
    registers: [registry],
  });
  const decisions = new Counter({
    name: 'recs_experiment_automation_decisions_total',
    help: 'Automatic experiment decisions applied, by action',
    labelNames: ['action'],
    registers: [registry],
  });
  const app = await buildSubgraphApp<Record<string, never>>({
    name: 'experiments',
    typeDefs: subgraphSdl('experiments'),
    resolvers: buildResolvers(opts.service),
    gatewaySecret: opts.gatewaySecret,
    logger: opts.logger,
    metrics: registry,
    loaders: () => ({}),
  });
  const outcomes = opts.outcomes;
  const consumer = outcomes
    ? new EventConsumer({
        log: outcomes.log,
        // never written by this group (applyState false); the consumer checks it shares the log's backend
        live: outcomes.live,
        group: 'experiments-outcomes',
        startId: '$',
        applyState: false,
        logger: opts.logger.child({ component: 'outcome-attribution' }),
        onApplied: async (event) => {
          if (!event.requestId) return;
          attributed.inc({ result: await outcomes.store.recordOutcome(event) });
        },
      })
    : undefined;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> | undefined;
  const automate = async (): Promise<void> => {
    try {
      for (const o of await opts.service.runAutomation()) {
        if (o.decision.action !== 'hold') decisions.inc({ action: o.decision.action });
      }
    } catch (err) {
      opts.logger.warn({ err: (err as Error).message }, 'experiment automation round failed');
    }
  };
  app.addHook('onReady', async () => {
    await consumer?.start();
    if (opts.automationIntervalSeconds > 0 && outcomes) {
      timer = setInterval(() => {
        round ??= automate().finally(() => (round = undefined));
      }, opts.automationIntervalSeconds * 1000);
      timer.unref();
    }
  });
  app.addHook('onClose', async () => {
    if (timer) clearInterval(timer);
    await round;
    await consumer?.stop(3000);
    await outcomes?.log.close();
  });
  return app;
}
