import { ErrorCode, RecsError, isAdmin, userDigest, type Logger, type Principal } from '@recs/core';
import {
  anonymise,
  isCatalogueEvent,
  validateEvents,
  type EventLog,
  type EventRejection,
  type QualityCheck,
  type QualityGate,
  type RateLimit,
  type RateLimiter,
  type RecsEvent,
  type ValidationOptions,
} from '@recs/events';

/** Most events in one `recordEvents` mutation (the gateway also bounds the request size). */
export const MAX_EVENTS_PER_MUTATION = 1000;

/** The answer of `recordEvents` and of `POST /events`. */
export interface RecordEventsResult {
  accepted: number;
  duplicates: number;
  rejected: EventRejection[];
}

/** Who may record what: shoppers their own shopper events, service keys any shopper's, admins anything. */
export function permissionProblem(principal: Principal, event: RecsEvent): EventRejection | undefined {
  if (isCatalogueEvent(event.type)) {
    if (isAdmin(principal)) return undefined;
    return {
      index: -1,
      eventId: event.eventId,
      field: 'type',
      message: `FORBIDDEN: ${event.type} events change the catalogue and need an admin key`,
    };
  }
  if (principal.kind === 'service' || principal.userId === event.userId) return undefined;
  return {
    index: -1,
    eventId: event.eventId,
    field: 'userId',
    message: 'FORBIDDEN: a shopper may only record their own events',
  };
}

/** Token buckets of event ingestion, per API key and per shopper; a null limit is no limit. */
export interface IngestionRateLimits {
  limiter: RateLimiter;
  /** Per API key (service and admin keys). */
  service: RateLimit | null;
  /** Per shopper token. */
  shopper: RateLimit | null;
}

export interface RecordDeps {
  log: EventLog;
  validation?: ValidationOptions;
  /** Counts outcomes (metrics). */
  onOutcome?: (outcome: 'accepted' | 'duplicate' | 'rejected', n: number) => void;
  /** Per-key rate limits, charged one token per event line before anything else; none when absent. */
  rateLimits?: IngestionRateLimits;
  /** Data-quality checks; events they drop come back in `rejected` (message `QUALITY: ...`). */
  quality?: QualityGate;
  /** Counts each check an event failed, and whether that dropped it (metrics). */
  onQuality?: (check: QualityCheck, dropped: boolean) => void;
  /** Which of these shoppers opted out of personalisation (their events are stored anonymous). */
  optedOut?: (userIds: string[]) => Promise<boolean[]>;
  /** Called with the events appended now, as stored (e.g. for the drift monitor); must not throw. */
  onAppended?: (events: RecsEvent[]) => void;
  /** Where a backend's error detail goes (the caller only learns which backend failed). */
  logger?: Pick<Logger, 'warn'>;
}

/** The bucket of a caller: the API key's id, or a digest of the shopper's id (no user id in Redis keys). */
function bucketOf(principal: Principal): { key: string; kind: 'service' | 'shopper' } {
  return principal.kind === 'service'
    ? { key: `events:key:${principal.keyId}`, kind: 'service' }
    : { key: `events:user:${userDigest(principal.userId).slice(0, 32)}`, kind: 'shopper' };
}

/** Charges `lines` tokens to the caller's bucket; throws RATE_LIMITED with the wait when it is empty. */
async function chargeRate(
  principal: Principal,
  lines: number,
  limits: IngestionRateLimits,
  logger?: Pick<Logger, 'warn'>,
): Promise<void> {
  const { key, kind } = bucketOf(principal);
  const limit = limits[kind];
  if (!limit || lines === 0) return;
  let decision;
  try {
    decision = await limits.limiter.take(key, lines, limit);
  } catch (err) {
    logger?.warn({ err }, 'event ingestion: the rate limiter failed');
    throw new RecsError(ErrorCode.BACKEND_UNAVAILABLE, 'the rate limiter is unavailable; retry the batch');
  }
  if (decision.allowed) return;
  const retryAfterSeconds = Math.ceil(decision.retryAfterMs / 1000);
  throw new RecsError(
    ErrorCode.RATE_LIMITED,
    `too many events for this ${kind === 'service' ? 'API key' : 'shopper'} (${limit.perSecond}/s, bursts of ${limit.burst}); retry the whole batch in ${retryAfterSeconds} s`,
    { retryAfterSeconds },
  );
}

/** The events as they go to the log: those of shoppers who opted out of personalisation anonymised. */
async function storedForm(events: RecsEvent[], deps: RecordDeps): Promise<RecsEvent[]> {
  if (!deps.optedOut) return events;
  const users = [...new Set(events.flatMap((e) => (e.userId === undefined ? [] : [e.userId])))];
  if (users.length === 0) return events;
  const flags = await deps.optedOut(users);
  const out = new Set(users.filter((_, i) => flags[i]));
  return out.size === 0
    ? events
    : events.map((e) => (e.userId !== undefined && out.has(e.userId) ? anonymise(e) : e));
}

/**
 * Validates, authorises and appends a batch. `raw[i]` is the i-th event (undefined for a slot already
 * rejected in `preRejected`, e.g. a JSON line that did not parse). Valid, permitted events are appended
 * in batch order; the others come back in `rejected`, sorted by index.
 */
export async function recordEvents(
  principal: Principal,
  raw: readonly unknown[],
  deps: RecordDeps,
  preRejected: EventRejection[] = [],
): Promise<RecordEventsResult> {
  if (deps.rateLimits) await chargeRate(principal, raw.length, deps.rateLimits, deps.logger);
  const skip = new Set(preRejected.map((r) => r.index));
  const slots = raw.map((item, index) => ({ item, index })).filter((s) => !skip.has(s.index));
  const { accepted, rejected } = validateEvents(
    slots.map((s) => s.item),
    deps.validation,
  );
  const rejections = [...preRejected, ...rejected.map((r) => ({ ...r, index: slots[r.index]!.index }))];
  let permitted: { index: number; event: RecsEvent }[] = [];
  for (const { index, event } of accepted) {
    const problem = permissionProblem(principal, event);
    if (problem) rejections.push({ ...problem, index: slots[index]!.index });
    else permitted.push({ index: slots[index]!.index, event });
  }
  if (deps.quality && permitted.length > 0) {
    const verdicts = deps.quality.assess(permitted.map((p) => p.event));
    verdicts.forEach((v, i) => {
      for (const check of v.flags) deps.onQuality?.(check, v.drop);
      const { index, event } = permitted[i]!;
      if (v.rejection) rejections.push({ index, eventId: event.eventId, ...v.rejection });
    });
    permitted = permitted.filter((_, i) => !verdicts[i]!.drop);
  }
  let outcomes;
  let stored: RecsEvent[] = [];
  try {
    stored = await storedForm(
      permitted.map((p) => p.event),
      deps,
    );
    outcomes = stored.length > 0 ? await deps.log.append(stored) : [];
  } catch (err) {
    deps.logger?.warn({ err }, 'event ingestion: the event log failed');
    throw new RecsError(
      ErrorCode.BACKEND_UNAVAILABLE,
      'the event log is unavailable; retry the whole batch with the same eventIds (retries are not counted twice)',
    );
  }
  const duplicates = outcomes.filter((o) => o.status === 'duplicate').length;
  if (deps.onAppended && outcomes.length > duplicates) {
    deps.onAppended(stored.filter((_, i) => outcomes[i]!.status === 'appended'));
  }
  const result = {
    accepted: outcomes.length - duplicates,
    duplicates,
    rejected: rejections.sort((a, b) => a.index - b.index),
  };
  deps.onOutcome?.('accepted', result.accepted);
  deps.onOutcome?.('duplicate', result.duplicates);
  deps.onOutcome?.('rejected', result.rejected.length);
  return result;
}

/**
 * Splits a JSON-lines body into events: one JSON object per line; blank lines are skipped but keep
 * their number, so `index` is always the 0-based line number. Lines that are not JSON are rejected.
 */
export function parseJsonLines(body: string): { raw: unknown[]; rejected: EventRejection[] } {
  const raw: unknown[] = [];
  const rejected: EventRejection[] = [];
  const lines = body.split('\n');
  if (lines.at(-1)?.trim() === '') lines.pop();
  lines.forEach((line, index) => {
    const text = line.trim();
    if (text === '') {
      raw.push(undefined);
      rejected.push({ index, field: 'event', message: 'event line is empty' });
      return;
    }
    try {
      raw.push(JSON.parse(text));
    } catch (err) {
      raw.push(undefined);
      rejected.push({ index, field: 'event', message: `event line is not JSON (${(err as Error).message})` });
    }
  });
  return { raw, rejected };
}
