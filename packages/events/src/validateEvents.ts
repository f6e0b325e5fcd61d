import { isValidId, normaliseProductId, normaliseUserId } from '@recs/core';
import { DEVICES, EVENT_TYPES, isCatalogueEvent, type Device, type EventType, type RecsEvent } from './Event';

/** Why one event of a batch was refused. The other events of the batch still go through. */
export interface EventRejection {
  /** Position of the event in the batch (0-based; for JSON lines, the 0-based line number). */
  index: number;
  /** The event's `eventId` when it had a readable one. */
  eventId?: string;
  /** The field at fault (`event` for the event as a whole). */
  field: string;
  message: string;
}

export interface ValidationOptions {
  /** Clock, epoch ms; default `Date.now`. */
  now?: () => number;
  /** Oldest accepted timestamp, relative to now; default 30 days. */
  maxAgeMs?: number;
  /** Furthest accepted timestamp in the future (clock skew); default 5 minutes. */
  maxFutureMs?: number;
}

export interface ValidatedEvents {
  /** Valid events with their position in the batch, in batch order. */
  accepted: { index: number; event: RecsEvent }[];
  rejected: EventRejection[];
}

export const DEFAULT_MAX_AGE_MS = 30 * 24 * 3600_000;
export const DEFAULT_MAX_FUTURE_MS = 5 * 60_000;
/** Largest quantity of a shopper event, and of a stock level. */
export const MAX_SHOPPER_QUANTITY = 10_000;
export const MAX_STOCK = 1_000_000_000;
export const MAX_PRICE = 1_000_000_000;
export const MAX_QUERY_LENGTH = 256;

const FIELDS = new Set([
  'eventId',
  'type',
  'userId',
  'sessionId',
  'productId',
  'quantity',
  'price',
  'requestId',
  'query',
  'timestamp',
  'country',
  'device',
]);

/** `YYYY-MM-DDTHH:MM[:SS[.fraction]]` with `Z` or an offset; a time zone is required. */
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

const ID_PROBLEM = 'must be 1..64 printable ASCII characters without surrounding spaces';

class Invalid extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const shown = (v: unknown): string => {
  const s = typeof v === 'number' ? String(v) : JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 80)}...` : s;
};

function id(field: string, v: unknown, normalise?: (s: string) => string): string {
  if (typeof v !== 'string') throw new Invalid(field, `must be a string; received ${shown(v)}`);
  const n = normalise ? normalise(v) : v;
  if (!isValidId(n)) throw new Invalid(field, `${ID_PROBLEM}; received ${shown(v)}`);
  return n;
}

function int(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new Invalid(field, `must be an integer from ${min} to ${max}; received ${shown(v)}`);
  }
  return v;
}

/** The form events are stored in (`Date.toISOString`), recognised first because it is the common case. */
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Parses an ISO 8601 date-time with a time zone; rejects impossible dates like Feb 30. */
export function parseTimestamp(v: string): number | undefined {
  if (CANONICAL.test(v)) {
    const ms = Date.parse(v);
    // Date.parse rolls Feb 30 over to Mar 1; a valid date prints back unchanged.
    if (!Number.isNaN(ms) && new Date(ms).toISOString() === v) return ms;
  }
  const m = ISO_8601.exec(v);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  const ms = Date.parse(v.replace(' ', 'T'));
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls Feb 30 over to Mar 1: check the calendar fields against a UTC rebuild.
  const local = new Date(Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, s === undefined ? 0 : +s));
  if (
    local.getUTCFullYear() !== +y! ||
    local.getUTCMonth() !== +mo! - 1 ||
    local.getUTCDate() !== +d! ||
    local.getUTCHours() !== +h! ||
    local.getUTCMinutes() !== +mi!
  ) {
    return undefined;
  }
  return ms;
}

/** Whether a field was sent; `null` counts as absent. (A module function: hot path, no closure.) */
function has(r: Record<string, unknown>, key: string): boolean {
  return r[key] !== undefined && r[key] !== null;
}

function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** `stored`: an entry of the log, which may be an anonymous shopper event (a field clients cannot send). */
function validateOne(raw: unknown, opts: Required<ValidationOptions>, stored = false): RecsEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Invalid('event', `must be a JSON object; received ${shown(raw)}`);
  }
  const r = raw as Record<string, unknown>;
  for (const key in r) {
    if (!FIELDS.has(key) && !(stored && key === 'anonymous')) {
      throw new Invalid(key, `is not an event field (fields: ${[...FIELDS].join(', ')})`);
    }
  }

  if (!has(r, 'eventId')) throw new Invalid('eventId', 'is required');
  const eventId = id('eventId', r.eventId);

  if (!has(r, 'type')) throw new Invalid('type', 'is required');
  const typeText = typeof r.type === 'string' ? r.type.trim().toLowerCase() : undefined;
  if (typeText === undefined || !(EVENT_TYPES as readonly string[]).includes(typeText)) {
    throw new Invalid('type', `must be one of ${EVENT_TYPES.join(', ')}; received ${shown(r.type)}`);
  }
  const type = typeText as EventType;
  const catalogue = isCatalogueEvent(type);
  const event: RecsEvent = { eventId, type, timestamp: '' };

  if (stored && has(r, 'anonymous')) {
    if (r.anonymous !== true || catalogue || has(r, 'userId')) {
      throw new Invalid('anonymous', 'is only true, on a shopper event without userId');
    }
    event.anonymous = true;
  }
  if (has(r, 'userId')) event.userId = id('userId', r.userId, normaliseUserId);
  else if (!catalogue && !event.anonymous) throw new Invalid('userId', `is required for ${type} events`);

  if (has(r, 'sessionId')) event.sessionId = id('sessionId', r.sessionId);

  if (has(r, 'productId')) event.productId = id('productId', r.productId, normaliseProductId);
  else if (type !== 'search') throw new Invalid('productId', `is required for ${type} events`);

  if (has(r, 'quantity')) {
    event.quantity =
      type === 'stock' || type === 'new_product'
        ? int('quantity', r.quantity, 0, MAX_STOCK)
        : int('quantity', r.quantity, 1, MAX_SHOPPER_QUANTITY);
  } else if (type === 'stock') {
    throw new Invalid('quantity', 'is required for stock events (the units in stock)');
  }

  if (has(r, 'price')) {
    const p = r.price;
    if (typeof p !== 'number' || !Number.isFinite(p) || p < 0 || p > MAX_PRICE) {
      throw new Invalid('price', `must be a number from 0 to ${MAX_PRICE}; received ${shown(p)}`);
    }
    event.price = p;
  } else if (type === 'price') {
    throw new Invalid('price', 'is required for price events');
  }

  if (has(r, 'requestId')) event.requestId = id('requestId', r.requestId);

  if (has(r, 'query')) {
    const q = typeof r.query === 'string' ? r.query.trim() : undefined;
    if (!q || q.length > MAX_QUERY_LENGTH || hasControlCharacter(q)) {
      throw new Invalid(
        'query',
        `must be 1..${MAX_QUERY_LENGTH} characters without control characters; received ${shown(r.query)}`,
      );
    }
    event.query = q;
  } else if (type === 'search') {
    throw new Invalid('query', 'is required for search events');
  }

  if (!has(r, 'timestamp')) throw new Invalid('timestamp', 'is required');
  const ms = typeof r.timestamp === 'string' ? parseTimestamp(r.timestamp.trim()) : undefined;
  if (ms === undefined) {
    throw new Invalid(
      'timestamp',
      `must be an ISO 8601 date-time with a time zone, e.g. "2011-11-09T18:30:00Z"; received ${shown(r.timestamp)}`,
    );
  }
  const now = opts.now();
  if (ms > now + opts.maxFutureMs) {
    throw new Invalid(
      'timestamp',
      `is more than ${Math.round(opts.maxFutureMs / 1000)} s in the future; received ${shown(r.timestamp)}`,
    );
  }
  if (ms < now - opts.maxAgeMs) {
    throw new Invalid(
      'timestamp',
      `is older than ${Math.round(opts.maxAgeMs / 86_400_000)} days; received ${shown(r.timestamp)}`,
    );
  }
  event.timestamp = new Date(ms).toISOString();

  if (has(r, 'country')) {
    const c = typeof r.country === 'string' ? r.country.trim().toUpperCase() : '';
    if (!/^[A-Z]{2}$/.test(c)) {
      throw new Invalid(
        'country',
        `must be an ISO 3166-1 alpha-2 code like "DE"; received ${shown(r.country)}`,
      );
    }
    event.country = c;
  }

  if (has(r, 'device')) {
    const d = typeof r.device === 'string' ? r.device.trim().toLowerCase() : '';
    if (!(DEVICES as readonly string[]).includes(d)) {
      throw new Invalid('device', `must be one of ${DEVICES.join(', ')}; received ${shown(r.device)}`);
    }
    event.device = d as Device;
  }
  return event;
}

const NO_AGE_LIMITS: Required<ValidationOptions> = {
  now: Date.now,
  maxAgeMs: Infinity,
  maxFutureMs: Infinity,
};

/** Validates one event without the age limits (a stored event is old when replayed); undefined if invalid. */
export function validateStoredEvent(raw: unknown): RecsEvent | undefined {
  try {
    return validateOne(raw, NO_AGE_LIMITS, true);
  } catch (err) {
    if (err instanceof Invalid) return undefined;
    throw err;
  }
}

/**
 * Validates and normalises a batch of raw events (parsed JSON or GraphQL input objects). Each event is
 * judged on its own: valid ones are returned in batch order with their index, each invalid one gets
 * exactly one rejection naming the first field at fault (fields are checked in the order of the
 * model). `null` counts as absent. Never throws for bad input.
 */
export function validateEvents(raw: readonly unknown[], options: ValidationOptions = {}): ValidatedEvents {
  const opts: Required<ValidationOptions> = {
    now: options.now ?? Date.now,
    maxAgeMs: options.maxAgeMs ?? DEFAULT_MAX_AGE_MS,
    maxFutureMs: options.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS,
  };
  const out: ValidatedEvents = { accepted: [], rejected: [] };
  raw.forEach((item, index) => {
    try {
      out.accepted.push({ index, event: validateOne(item, opts) });
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      const eventId = (item as { eventId?: unknown } | null)?.eventId;
      out.rejected.push({
        index,
        ...(typeof eventId === 'string' && isValidId(eventId) ? { eventId } : {}),
        field: err.field,
        message: `${err.field} ${err.message}`,
      });
    }
  });
  return out;
}
