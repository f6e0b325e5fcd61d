/** Prefix of the event keys unless a log is given another one. */
export const DEFAULT_EVENTS_PREFIX = 'recs';
export const DEFAULT_EVENTS_SCHEMA_VERSION = 1;
/** The live store's key prefix: the same namespace the recommendations subgraph reads stock and price from. */
export const LIVE_KEY_PREFIX = 'recs-live';
/** Idempotency window of event ids: a retry within it is a duplicate. */
export const DEFAULT_DEDUPE_TTL_SECONDS = 7 * 24 * 3600;
/**
 * The live store's key prefix on a Redis Cluster. The apply script changes live records and
 * acknowledges their stream entries atomically, so on a cluster the records share the event log's hash
 * slot: the log tags its default prefix `recs` as `{recs}` (stream `{recs}:v1:events`), and the live
 * records are `{recs}-live:v1:feat:<kind>:<id>`.
 */
export const CLUSTER_LIVE_KEY_PREFIX = '{recs}-live';

/** The live store's prefix for a Redis URL: {@link CLUSTER_LIVE_KEY_PREFIX} on a cluster, else {@link LIVE_KEY_PREFIX}. */
export function liveKeyPrefixFor(redisUrl: string | undefined): string {
  return redisUrl !== undefined && /^rediss?-cluster:\/\//i.test(redisUrl.trim())
    ? CLUSTER_LIVE_KEY_PREFIX
    : LIVE_KEY_PREFIX;
}

/** The prefix an event log uses on a Redis Cluster: a prefix without a hash tag becomes one (`recs` → `{recs}`). */
export function clusterEventsPrefix(prefix: string): string {
  return /\{[^{}]+\}/.test(prefix) ? prefix : `{${prefix}}`;
}

/** The consumer group that maintains the online state. */
export const ONLINE_STATE_GROUP = 'online-state';

/** The event stream: `<prefix>:v<version>:events`, e.g. `recs:v1:events`. */
export function streamKey(prefix: string, version: number): string {
  return `${prefix}:v${version}:events`;
}

/** Entries no consumer could apply, with the reason: `<prefix>:v<version>:events:dead`. */
export function deadLetterKey(prefix: string, version: number): string {
  return `${streamKey(prefix, version)}:dead`;
}

/** Idempotency key of an event id, holding its stream entry id: `recs:v1:event-id:<eventId>`. */
export function eventIdKey(prefix: string, version: number, eventId: string): string {
  return `${prefix}:v${version}:event-id:${eventId}`;
}

/**
 * Checks options that become part of every key (same rules as the feature store's; braces only as one
 * non-empty Redis Cluster hash tag, e.g. `{recs}`).
 */
export function checkEventsNamespace(prefix: string, version: number): void {
  if (
    typeof prefix !== 'string' ||
    !/^[\x21-\x7e]{1,64}$/.test(prefix) ||
    /[*?[\]]/.test(prefix) ||
    !/^[^{}]*(\{[^{}]+\}[^{}]*)?$/.test(prefix)
  ) {
    throw new TypeError(
      `keyPrefix must be 1..64 printable characters without spaces or glob characters, with braces only around one hash tag; received ${JSON.stringify(prefix)}`,
    );
  }
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new TypeError(`schemaVersion must be a positive integer; received ${JSON.stringify(version)}`);
  }
}

export function checkDedupeTtl(seconds: number): void {
  if (!Number.isSafeInteger(seconds) || seconds < 1) {
    throw new TypeError(`dedupeTtlSeconds must be a positive integer; received ${JSON.stringify(seconds)}`);
  }
}
