import type { FeatureStore } from '@recs/feature-store';
import type { RecsEvent } from './Event';
import type { Effect } from './effects';
import { validateStoredEvent } from './validateEvents';

/** The outcome of appending one event. */
export interface AppendOutcome {
  eventId: string;
  /** `duplicate`: an event with this id was appended within the dedupe window; nothing was written. */
  status: 'appended' | 'duplicate';
  /** The stream entry holding the event (for a duplicate, the first append's entry). */
  entryId: string;
}

/** One stream entry as delivered to a consumer. */
export interface LogEntry {
  /** Stream entry id, `<ms>-<seq>`. */
  id: string;
  /** The entry's JSON as stored, or null when the entry was deleted (trimmed) while pending. */
  raw: string | null;
}

/** Where the consumer's effects land: the live feature store and the key namespace it uses. */
export interface LiveTarget {
  /**
   * The live store (prefix `recs-live` in production). The memory log writes through it; the Redis
   * log writes the same keys itself, inside the script that acknowledges the entry, so it must be a
   * store on the log's Redis with this `keyPrefix` and `schemaVersion`.
   */
  store: FeatureStore;
  keyPrefix: string;
  /** Default 1. */
  schemaVersion?: number;
}

/**
 * `applied`: acknowledged now and its effects written, in one atomic step. `skipped`: it was no longer
 * pending in the group (another consumer had already applied it), so nothing was written.
 * `dead`: its effects conflict with the stored records (e.g. a counter field that is not a number); it
 * was acknowledged and copied to the dead-letter stream with the reason, nothing else was written.
 */
export type ApplyOutcome = 'applied' | 'skipped' | 'dead';

/** A consumer group's position and backlog. */
export interface GroupInfo {
  name: string;
  /** Entries delivered to a consumer and not yet acknowledged. */
  pending: number;
  /** Last entry delivered to any consumer of the group. */
  lastDeliveredId: string;
  /** Entries not yet delivered to the group (Redis may report null when it cannot tell). */
  lag: number | null;
  consumers: { name: string; pending: number; idleMs: number }[];
}

/**
 * The durable, ordered event log: an append-only stream with idempotent appends, consumer groups with
 * pending entries that can be reclaimed from dead consumers, and atomic apply-and-acknowledge into the
 * live feature store. Redis Streams and in-memory implementations pass the same contract
 * (test/EventLog.contract.ts).
 */
export interface EventLog {
  /** The log's transport. */
  readonly kind: 'redis' | 'memory' | 'kafka';
  /**
   * Where `applyAndAck` writes effects: the live store must be on this backend (a Kafka log applies
   * them to Redis, with its applied-offset markers).
   */
  readonly stateBackend: 'redis' | 'memory';
  /** Name of the stream (its Redis key), e.g. `recs:v1:events`. */
  readonly stream: string;
  /**
   * Appends events in order, each exactly once per dedupe window: an `eventId` seen before (also
   * earlier in the same batch) is reported as `duplicate` and not appended again. When this resolves
   * the events are in the log (durable as far as the backend's persistence is: see the README).
   */
  append(events: readonly RecsEvent[]): Promise<AppendOutcome[]>;
  /** Creates a consumer group starting after `startId` (default `0`: the whole stream); false if it exists. */
  createGroup(group: string, startId?: string): Promise<boolean>;
  /**
   * Entries for `consumer` of `group`: new ones (`>`), or with `ownPending` the consumer's own pending
   * entries (e.g. after a restart under the same name). Waits up to `blockMs` for new entries.
   */
  read(
    group: string,
    consumer: string,
    opts: { count: number; blockMs?: number; ownPending?: boolean; signal?: AbortSignal },
  ): Promise<LogEntry[]>;
  /**
   * Takes over entries pending longer than `minIdleMs` in the group (their consumer died or hangs)
   * and returns them; entries deleted meanwhile come back with `raw: null`.
   */
  claimIdle(group: string, consumer: string, opts: { minIdleMs: number; count: number }): Promise<LogEntry[]>;
  /**
   * For each item, atomically: acknowledge the entry in `group` and, only if it was still pending there,
   * write its effects to the live store. A redelivered or concurrently claimed entry therefore changes
   * the online state exactly once. An entry deleted from the stream since it was read (a forgotten
   * shopper's, {@link eraseUser}) is acknowledged without its effects (`skipped`).
   */
  applyAndAck(
    group: string,
    items: readonly { id: string; effects: readonly Effect[] }[],
    target: LiveTarget,
  ): Promise<ApplyOutcome[]>;
  /** Acknowledges entries without applying anything; resolves to how many were pending. */
  ack(group: string, ids: readonly string[]): Promise<number>;
  /** Acknowledges an entry that cannot be processed and copies it to the dead-letter stream; false if it was not pending. */
  deadLetter(group: string, id: string, reason: string): Promise<boolean>;
  /** Dead-lettered entries, oldest first: the original entry id, the group, the reason and the entry's JSON. */
  deadLetters(
    count?: number,
  ): Promise<{ entryId: string; group: string; reason: string; raw: string | null }[]>;
  /** Entries in id order (`start`/`end` inclusive, default the whole stream). */
  range(start?: string, end?: string, count?: number): Promise<LogEntry[]>;
  length(): Promise<number>;
  groupInfo(group: string): Promise<GroupInfo | undefined>;
  /**
   * Removes entries that every consumer group has acknowledged AND that are older than `retainMs`;
   * never an entry that is pending or not yet delivered to some group, and nothing when there is no
   * group. Approximate: it may keep more than it could remove. Resolves to the entries removed.
   */
  trim(opts: { retainMs: number }): Promise<number>;
  /** Deletes consumers of `group` with no pending entries, idle for more than `idleMs`; resolves to their names. */
  pruneConsumers(group: string, idleMs: number): Promise<string[]>;
  /**
   * Deletes every entry of `userId`'s events from the stream and from the dead letters, and the
   * idempotency keys of those events (a retry after this is recorded again). Reads the whole stream in
   * slices without blocking the backend; entries appended meanwhile are covered up to the end of the
   * scan. Resolves to the entries and keys removed.
   */
  eraseUser(userId: string): Promise<number>;
  /** True when the backend answers; never throws. */
  ping(): Promise<boolean>;
  /** Releases what the log opened (not an injected client). Idempotent. */
  close(): Promise<void>;
}

/** The JSON stored in a stream entry (field `event`). */
export function encodeEvent(event: RecsEvent): string {
  return JSON.stringify(event);
}

/**
 * Parses a stored entry and validates it again (without the age limits: a replayed log is old), so a
 * consumer never applies an entry another writer or a newer version put there; undefined when it is
 * not an event this version can read.
 */
export function decodeEvent(raw: string | null): RecsEvent | undefined {
  if (raw === null) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  return validateStoredEvent(parsed);
}

/** Whether a stored entry (stream or dead letter) is an event of `userId`; cheap for the others. */
export function isEntryOf(raw: string | null, userId: string): boolean {
  if (raw === null || !raw.includes(`"userId":${JSON.stringify(userId)}`)) return false;
  try {
    return (JSON.parse(raw) as { userId?: unknown }).userId === userId;
  } catch {
    return false;
  }
}

/** Compares stream ids (`<ms>-<seq>`) numerically. */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-');
  const [bm, bs] = b.split('-');
  return Number(am) - Number(bm) || Number(as ?? 0) - Number(bs ?? 0);
}
