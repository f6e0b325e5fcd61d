import { ErrorCode, RecsError, isAdmin, type Principal } from '@recs/core';
import {
  isCatalogueEvent,
  validateEvents,
  type EventLog,
  type EventRejection,
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

export interface RecordDeps {
  log: EventLog;
  validation?: ValidationOptions;
  /** Counts outcomes (metrics). */
  onOutcome?: (outcome: 'accepted' | 'duplicate' | 'rejected', n: number) => void;
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
  const skip = new Set(preRejected.map((r) => r.index));
  const slots = raw.map((item, index) => ({ item, index })).filter((s) => !skip.has(s.index));
  const { accepted, rejected } = validateEvents(
    slots.map((s) => s.item),
    deps.validation,
  );
  const rejections = [...preRejected, ...rejected.map((r) => ({ ...r, index: slots[r.index]!.index }))];
  const permitted: RecsEvent[] = [];
  for (const { index, event } of accepted) {
    const problem = permissionProblem(principal, event);
    if (problem) rejections.push({ ...problem, index: slots[index]!.index });
    else permitted.push(event);
  }
  let outcomes;
  try {
    outcomes = permitted.length > 0 ? await deps.log.append(permitted) : [];
  } catch (err) {
    throw new RecsError(
      ErrorCode.BACKEND_UNAVAILABLE,
      'the event log is unavailable; retry the whole batch with the same eventIds (retries are not counted twice)',
      { cause: (err as Error).message },
    );
  }
  const duplicates = outcomes.filter((o) => o.status === 'duplicate').length;
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
