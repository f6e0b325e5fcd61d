import { join } from 'node:path';
import { ConfigError, FORGOTTEN_USERS_FILE, env, type Env } from '@recs/core';
import { parseKafkaUrl, type KafkaTarget } from '@recs/events';

export interface FeaturesConfig {
  host: string;
  port: number;
  gatewaySecret: string;
  redisUrl?: string;
  /**
   * `EVENT_LOG_URL=kafka://h1:9092[,h2:9092]/<topic>`: the event log on Kafka instead of the Redis
   * stream (the live state, dedupe keys and applied-offset markers stay on `REDIS_URL`, which it needs).
   */
  eventLog?: KafkaTarget;
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
  /** Events per second and burst per API key, and per shopper token; perSecond 0 = no limit. */
  eventsRatePerKey: { perSecond: number; burst: number };
  eventsRatePerShopper: { perSecond: number; burst: number };
  /** Data-quality checks: drop (enforce) or only count (observe) bots, duplicates, outliers; or off. */
  eventQuality: 'enforce' | 'observe' | 'off';
  botUserPerMinute: number;
  botSessionPerMinute: number;
  eventMaxQuantity: number;
  /** Where tombstones of forgotten shoppers are appended for the offline pipeline. */
  forgottenUsersFile: string;
  /** Online observations per feature in the drift window. */
  driftWindow: number;
}

/** Parses the features subgraph's environment once, at start-up. */
export function readFeaturesConfig(e: Env): FeaturesConfig {
  const registryDir = env.str(e, 'MODEL_REGISTRY_DIR', 'var/models');
  const rate = (key: string, perSecond: number, burst: number) => ({
    perSecond: env.int(e, `EVENTS_RATE_PER_${key}`, perSecond, 0, 10_000_000),
    burst: env.int(e, `EVENTS_BURST_PER_${key}`, burst, 1, 100_000_000),
  });
  const redisUrl = env.redisUrl(e, 'REDIS_URL');
  return {
    host: env.str(e, 'HOST', '127.0.0.1'),
    port: env.port(e, 'FEATURES_PORT', 4002),
    gatewaySecret: env.secret(e, 'GATEWAY_SECRET', 16),
    redisUrl,
    eventLog: kafkaEventLog(e, redisUrl),
    registryDir,
    logLevel: env.oneOf(e, 'LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error'], 'info'),
    eventConsumer: env.oneOf(e, 'EVENT_CONSUMER', ['on', 'off'], 'on') === 'on',
    eventsMaxBodyBytes: env.int(e, 'EVENTS_MAX_BODY_BYTES', 4 * 1024 * 1024, 1024, 64 * 1024 * 1024),
    eventRetentionHours: env.int(e, 'EVENT_RETENTION_HOURS', 24, 1, 24 * 365),
    eventDedupeHours: env.int(e, 'EVENT_DEDUPE_HOURS', 7 * 24, 1, 24 * 90),
    eventsRatePerKey: rate('KEY', 25_000, 50_000),
    eventsRatePerShopper: rate('SHOPPER', 20, 200),
    eventQuality: env.oneOf(e, 'EVENT_QUALITY', ['enforce', 'observe', 'off'], 'enforce'),
    botUserPerMinute: env.int(e, 'EVENT_BOT_USER_PER_MINUTE', 120, 1, 1_000_000),
    botSessionPerMinute: env.int(e, 'EVENT_BOT_SESSION_PER_MINUTE', 90, 1, 1_000_000),
    eventMaxQuantity: env.int(e, 'EVENT_MAX_QUANTITY', 1000, 1, 10_000),
    forgottenUsersFile: env.str(e, 'FORGOTTEN_USERS_FILE', join(registryDir, FORGOTTEN_USERS_FILE)),
    driftWindow: env.int(e, 'DRIFT_WINDOW', 10_000, 100, 1_000_000),
  };
}

/** `EVENT_LOG_URL`: unset = the Redis stream on `REDIS_URL` (or in memory); `kafka://…` = a Kafka topic. */
function kafkaEventLog(e: Env, redisUrl: string | undefined): KafkaTarget | undefined {
  const url = env.optStr(e, 'EVENT_LOG_URL');
  if (url === undefined) return undefined;
  let target: KafkaTarget;
  try {
    target = parseKafkaUrl(url);
  } catch (err) {
    throw new ConfigError('EVENT_LOG_URL', `a kafka:// URL (${(err as Error).message})`, url);
  }
  if (redisUrl === undefined) {
    throw new ConfigError(
      'REDIS_URL',
      'set when EVENT_LOG_URL is a Kafka topic (the live state, event-id dedupe and applied offsets live on Redis)',
      undefined,
    );
  }
  return target;
}
