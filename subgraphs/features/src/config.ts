import { env, type Env } from '@recs/core';

export interface FeaturesConfig {
  host: string;
  port: number;
  gatewaySecret: string;
  redisUrl?: string;
  registryDir: string;
  logLevel: string;
  /** Run the event consumer in this process. */
  eventConsumer: boolean;
  /** Largest `POST /events` body in bytes. */
  eventsMaxBodyBytes: number;
  /** Acknowledged events younger than this stay in the stream. */
  eventRetentionHours: number;
  /** How long an eventId is remembered (a retry within it is a duplicate). */
  eventDedupeHours: number;
}

/** Parses the features subgraph's environment once, at start-up. */
export function readFeaturesConfig(e: Env): FeaturesConfig {
  return {
    host: env.str(e, 'HOST', '127.0.0.1'),
    port: env.port(e, 'FEATURES_PORT', 4002),
    gatewaySecret: env.secret(e, 'GATEWAY_SECRET', 16),
    redisUrl: env.url(e, 'REDIS_URL', ['redis', 'rediss']),
    registryDir: env.str(e, 'MODEL_REGISTRY_DIR', 'var/models'),
    logLevel: env.oneOf(e, 'LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error'], 'info'),
    eventConsumer: env.oneOf(e, 'EVENT_CONSUMER', ['on', 'off'], 'on') === 'on',
    eventsMaxBodyBytes: env.int(e, 'EVENTS_MAX_BODY_BYTES', 4 * 1024 * 1024, 1024, 64 * 1024 * 1024),
    eventRetentionHours: env.int(e, 'EVENT_RETENTION_HOURS', 24, 1, 24 * 365),
    eventDedupeHours: env.int(e, 'EVENT_DEDUPE_HOURS', 7 * 24, 1, 24 * 90),
  };
}
