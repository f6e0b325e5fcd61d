import type { FastifyError, FastifyInstance } from 'fastify';
import { Counter, Gauge, Registry } from 'prom-client';
import { ErrorCode, HEADERS, RecsError, httpStatusOf, type Logger } from '@recs/core';
import {
  EventConsumer,
  LIVE_KEY_PREFIX,
  createMemoryEventLog,
  type EventConsumerOptions,
  QUALITY_CHECKS,
  QualityGate,
  type EventLog,
  type LiveTarget,
  type QualityOptions,
  type RecsEvent,
  type ValidationOptions,
} from '@recs/events';
import {
  DriftMonitor,
  createMemoryFeatureStore,
  type DriftReference,
  type FeatureStore,
} from '@recs/feature-store';
import { subgraphSdl } from '@recs/schema';
import { buildSubgraphApp, principalFromHeaders, secretMatches } from '@recs/subgraph-kit';
import { createPurchaseObserver } from './drift';
import { createFeatureLoaders, type FeatureLoaders } from './loaders';
import { createPrivacy, type PrivacyOptions } from './privacy';
import { parseJsonLines, recordEvents, type IngestionRateLimits, type RecordDeps } from './recordEvents';
export { MAX_EVENTS_PER_MUTATION } from './recordEvents';
import { createResolvers } from './resolvers';

/** Event ingestion of the features subgraph. */
export interface EventsOptions {
  /** The event log (Redis Streams, or in memory when embedded); closed with the app. */
  log: EventLog;
  /** The live store the consumer writes and `activity` reads (prefix `recs-live` in production). */
  live: LiveTarget;
  /**
   * Run the consumer in this process (`EVENT_CONSUMER=on`, the default), optionally with consumer
   * options; false when another process consumes. Started when the app is ready, stopped on close.
   */
  consumer?: boolean | Partial<Omit<EventConsumerOptions, 'log' | 'live'>>;
  /** Called once per event the in-process consumer applied (e.g. to invalidate caches). */
  onApplied?: (event: RecsEvent, entryId: string) => void | Promise<void>;
  validation?: ValidationOptions;
  /** Largest `POST /events` body; default 4 MiB. */
  maxBodyBytes?: number;
  /** Most lines in one `POST /events`; default 10 000. */
  maxLines?: number;
}

/** The drift monitor's reference: the training snapshot of the served model version. */
export interface DriftOptions {
  modelVersion: string;
  references: DriftReference[];
  /** Online observations per feature compared with the reference; default 10 000. */
  window?: number;
  /** Observations needed before a PSI is reported; default 200. */
  minSamples?: number;
}

export interface FeaturesAppOptions {
  store: FeatureStore;
  gatewaySecret: string;
  logger: Logger;
  /** Event ingestion; default: an in-memory log and live store with the consumer in process. */
  events?: EventsOptions;
  /** `forgetUser` and `setPersonalization`: more erasers, the tombstone file. */
  privacy?: PrivacyOptions;
  /** Per-key rate limits of `recordEvents` and `POST /events`; default none. */
  rateLimits?: IngestionRateLimits;
  /** Data-quality checks of incoming events; default `observe` (counted, nothing dropped); false: none. */
  quality?: QualityOptions | false;
  /** Drift of online feature distributions against the training snapshot; default none. */
  drift?: DriftOptions;
}

const JSON_LINES = ['application/x-ndjson', 'application/jsonl', 'application/json-lines', 'text/plain'];

function errorBody(err: RecsError) {
  return { errors: [{ message: err.message, extensions: { ...err.extensions, code: err.code } }] };
}

/**
 * Builds the features subgraph from injected dependencies, without listening: `User.features`,
 * `Product.features`, `User.activity`, `Product.activity`, `User.personalizationOptOut`,
 * `Mutation.recordEvents`, `Mutation.forgetUser`, `Mutation.setPersonalization`, `Query.featureDrift`,
 * and `POST /events` (JSON lines; same secret and caller headers as `/graphql`, so the gateway
 * forwards it). Every recorded batch passes the rate limits, the data-quality checks and the opt-out
 * anonymisation on its way to the log.
 */
export async function buildFeaturesApp(opts: FeaturesAppOptions): Promise<FastifyInstance> {
  const events: EventsOptions = opts.events ?? {
    log: createMemoryEventLog(),
    live: { store: createMemoryFeatureStore({ keyPrefix: LIVE_KEY_PREFIX }), keyPrefix: LIVE_KEY_PREFIX },
  };
  const metrics = new Registry();
  const outcomes = new Counter({
    name: 'recs_events_recorded_total',
    help: 'Events received, by outcome (accepted, duplicate, rejected)',
    labelNames: ['outcome'],
    registers: [metrics],
  });
  const qualityEvents = new Counter({
    name: 'recs_event_quality_total',
    help: 'Incoming events that failed a data-quality check, by check and action (dropped, flagged)',
    labelNames: ['check', 'action'],
    registers: [metrics],
  });
  for (const check of QUALITY_CHECKS) qualityEvents.inc({ check, action: 'flagged' }, 0);
  const onQuality = (check: string, dropped: boolean) =>
    qualityEvents.inc({ check, action: dropped ? 'dropped' : 'flagged' });
  const quality = opts.quality === false ? undefined : new QualityGate(opts.quality ?? { mode: 'observe' });
  const drift = opts.drift
    ? new DriftMonitor(opts.drift.references, {
        window: opts.drift.window,
        minSamples: opts.drift.minSamples,
      })
    : undefined;
  if (drift) {
    new Gauge({
      name: 'recs_feature_drift_psi',
      help: 'Population stability index of online feature values against the training snapshot (absent until enough samples)',
      labelNames: ['feature'],
      registers: [metrics],
      collect() {
        this.reset();
        for (const r of drift.report()) if (r.psi !== null) this.set({ feature: r.feature }, r.psi);
      },
    });
    new Gauge({
      name: 'recs_feature_drift_samples',
      help: 'Online observations in the drift window, by feature',
      labelNames: ['feature'],
      registers: [metrics],
      collect() {
        for (const r of drift.report()) this.set({ feature: r.feature }, r.samples);
      },
    });
  }
  const privacy = createPrivacy({
    store: opts.store,
    live: events.live.store,
    log: events.log,
    logger: opts.logger.child({ component: 'privacy' }),
    options: opts.privacy,
  });
  const erased = new Counter({
    name: 'recs_privacy_erased_total',
    help: 'Items removed by forgetUser, by eraser (failed: erasures that failed)',
    labelNames: ['eraser', 'outcome'],
    registers: [metrics],
  });
  const deps: RecordDeps = {
    log: events.log,
    logger: opts.logger.child({ component: 'event-ingestion' }),
    validation: events.validation,
    onOutcome: (outcome, n) => outcomes.inc({ outcome }, n),
    rateLimits: opts.rateLimits,
    quality,
    onQuality,
    optedOut: privacy.optedOut,
    onAppended: createPurchaseObserver({
      store: opts.store,
      drift,
      quality,
      onQuality,
      logger: opts.logger.child({ component: 'purchase-observer' }),
      recentShoppers: opts.drift?.window,
    }),
  };

  const consumerOptions =
    events.consumer === false ? undefined : events.consumer === true ? {} : (events.consumer ?? {});
  const consumer =
    consumerOptions === undefined
      ? undefined
      : new EventConsumer({
          logger: opts.logger.child({ component: 'event-consumer' }),
          onApplied: events.onApplied,
          ...consumerOptions,
          log: events.log,
          live: events.live,
        });
  if (consumer) {
    const stats = consumer.stats;
    new Gauge({
      name: 'recs_event_consumer_entries',
      help: 'Entries handled by the in-process event consumer since start, by outcome',
      labelNames: ['outcome'],
      registers: [metrics],
      collect() {
        for (const outcome of ['applied', 'skipped', 'dead', 'claimed', 'errors'] as const) {
          this.set({ outcome }, stats[outcome]);
        }
      },
    });
  }

  const app = await buildSubgraphApp<FeatureLoaders>({
    name: 'features',
    typeDefs: subgraphSdl('features'),
    resolvers: createResolvers({
      record: deps,
      privacy,
      onErased: (results) => {
        for (const r of results) {
          erased.inc({ eraser: r.name, outcome: r.error ? 'failed' : 'removed' }, r.error ? 1 : r.removed);
        }
      },
      drift: drift && { modelVersion: opts.drift!.modelVersion, monitor: drift },
    }),
    gatewaySecret: opts.gatewaySecret,
    logger: opts.logger,
    metrics,
    loaders: () => createFeatureLoaders(opts.store, events.live.store),
    readiness: async () => {
      const [featureStore, liveStore, eventLog] = await Promise.all([
        opts.store.ping(),
        events.live.store.ping(),
        events.log.ping(),
      ]);
      return { featureStore, liveStore, eventLog };
    },
  });

  const maxBodyBytes = events.maxBodyBytes ?? 4 * 1024 * 1024;
  const maxLines = events.maxLines ?? 10_000;
  await app.register(async (scope) => {
    scope.addContentTypeParser(
      JSON_LINES,
      { parseAs: 'string', bodyLimit: maxBodyBytes },
      (_req, body, done) => done(null, body),
    );
    scope.setErrorHandler((err: FastifyError, request, reply) => {
      const recs =
        err instanceof RecsError
          ? err
          : err.statusCode === 413
            ? new RecsError(ErrorCode.DOCUMENT_TOO_LARGE, `the request body exceeds ${maxBodyBytes} bytes`)
            : err.statusCode === 415
              ? new RecsError(
                  ErrorCode.BAD_USER_INPUT,
                  `send JSON lines (content-type ${JSON_LINES.slice(0, 2).join(' or ')})`,
                )
              : err.statusCode !== undefined && err.statusCode < 500
                ? new RecsError(ErrorCode.BAD_USER_INPUT, err.message)
                : undefined;
      if (!recs) request.log.error({ err }, 'POST /events failed');
      const sent = recs ?? new RecsError(ErrorCode.INTERNAL_SERVER_ERROR, 'internal error');
      const retryAfter = sent.extensions.retryAfterSeconds;
      if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
      return reply.code(httpStatusOf(sent.code)).send(errorBody(sent));
    });
    scope.post('/events', { bodyLimit: maxBodyBytes }, async (request, reply) => {
      const secret = request.headers[HEADERS.gatewaySecret];
      const principal = secretMatches(typeof secret === 'string' ? secret : undefined, opts.gatewaySecret)
        ? principalFromHeaders(request.headers)
        : undefined;
      if (!principal) {
        throw new RecsError(
          ErrorCode.UNAUTHENTICATED,
          'events are accepted through the gateway, with a verified caller',
        );
      }
      if (typeof request.body !== 'string') {
        throw new RecsError(
          ErrorCode.BAD_USER_INPUT,
          'send one JSON event per line (content-type application/x-ndjson)',
        );
      }
      const { raw, rejected } = parseJsonLines(request.body);
      if (raw.length > maxLines) {
        throw new RecsError(
          ErrorCode.BAD_USER_INPUT,
          `at most ${maxLines} events per request; received ${raw.length}`,
        );
      }
      return reply.send(await recordEvents(principal, raw, deps, rejected));
    });
  });

  if (consumer) {
    app.addHook('onReady', async () => {
      await consumer.start();
    });
  }
  app.addHook('onClose', async () => {
    // A batch stuck on an unreachable Redis stays pending (a later consumer claims it): wait a little,
    // then closing the log fails whatever is still queued and the consumer's loop ends.
    await consumer?.stop(3000);
    await events.log.close();
    await consumer?.stop(2000);
  });
  return app;
}
