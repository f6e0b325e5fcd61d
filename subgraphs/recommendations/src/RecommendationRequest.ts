import { badInput, isValidId, normaliseProductId } from '@recs/core';

export const SURFACES = ['HOME', 'PRODUCT', 'CART', 'SEARCH', 'EMAIL', 'PUSH'] as const;
export type Surface = (typeof SURFACES)[number];
export const DEVICES = ['desktop', 'mobile', 'tablet', 'app'] as const;

/** The `RecommendationContext` input after validation and normalisation. */
export interface RecommendationContext {
  country?: string;
  device?: (typeof DEVICES)[number];
  /** Epoch ms of the shopper's local time. */
  time?: number;
  productId?: string;
  cartProductIds: string[];
  query?: string;
  candidateProductIds: string[];
  sessionId?: string;
  /** The shop's custom attributes of the shopper or page (experiment segments match them). */
  attributes?: Record<string, string>;
}

export interface RecommendationRequest {
  userId: string;
  surface: Surface;
  limit: number;
  context: RecommendationContext;
}

/** Raw GraphQL input, as the schema types it. */
export interface RecommendationContextInput {
  country?: string | null;
  device?: string | null;
  time?: string | null;
  productId?: string | null;
  cartProductIds?: string[] | null;
  query?: string | null;
  candidateProductIds?: string[] | null;
  sessionId?: string | null;
  attributes?: { key: string; value: string }[] | null;
}

/**
 * The largest cart accepted. Wholesale orders are long: 73 of the 2,014 dev-protocol carts of the
 * Online Retail data hold more than 100 catalogue products (docs/evaluation/served.md).
 */
const MAX_CART = 500;
const MAX_CANDIDATES = 500;

function ids(field: string, values: string[] | null | undefined, max: number): string[] {
  if (!values) return [];
  if (values.length > max)
    throw badInput(`context.${field}`, `may hold at most ${max} ids`, `${values.length} ids`);
  const out: string[] = [];
  const seen = new Set<string>();
  for (const v of values) {
    if (!isValidId(v))
      throw badInput(`context.${field}`, 'must hold product ids of 1..64 printable characters', v);
    const id = normaliseProductId(v);
    if (!seen.has(id)) {
      seen.add(id);
      out.push(id);
    }
  }
  return out;
}

/**
 * Validates the arguments of `User.recommendations`; every problem becomes a BAD_USER_INPUT error
 * naming the argument and what was received.
 */
export function parseRecommendationRequest(
  userId: string,
  surface: Surface,
  limit: number | null | undefined,
  input: RecommendationContextInput | null | undefined,
): RecommendationRequest {
  const n = limit ?? 10;
  if (!Number.isInteger(n) || n < 1 || n > 100) throw badInput('limit', 'must be between 1 and 100', limit);
  const c = input ?? {};
  const context: RecommendationContext = {
    cartProductIds: ids('cartProductIds', c.cartProductIds, MAX_CART),
    candidateProductIds: ids('candidateProductIds', c.candidateProductIds, MAX_CANDIDATES),
  };
  if (c.country != null) {
    const country = c.country.trim().toUpperCase();
    if (!/^[A-Z]{2}$/.test(country))
      throw badInput('context.country', 'must be an ISO 3166-1 alpha-2 code like "DE"', c.country);
    context.country = country;
  }
  if (c.device != null) {
    const device = c.device.trim().toLowerCase();
    if (!(DEVICES as readonly string[]).includes(device)) {
      throw badInput('context.device', `must be one of ${DEVICES.join(', ')}`, c.device);
    }
    context.device = device as RecommendationContext['device'];
  }
  if (c.time != null) {
    const t = parseContextTime(c.time);
    if (t === undefined) {
      throw badInput(
        'context.time',
        'must be a real ISO 8601 date-time from 1970 to 2100, e.g. "2011-11-09T18:30:00" (a time zone is optional)',
        c.time,
      );
    }
    context.time = t;
  }
  if (c.productId != null) {
    if (!isValidId(c.productId)) throw badInput('context.productId', 'must be a product id', c.productId);
    context.productId = normaliseProductId(c.productId);
  }
  if (c.query != null) {
    if (c.query.length > 500)
      throw badInput('context.query', 'must be at most 500 characters', `${c.query.length} characters`);
    context.query = c.query;
  }
  if (c.sessionId != null) {
    if (!isValidId(c.sessionId))
      throw badInput('context.sessionId', 'must be 1..64 printable characters', c.sessionId);
    context.sessionId = c.sessionId;
  }
  if (c.attributes != null) {
    if (c.attributes.length > 20)
      throw badInput(
        'context.attributes',
        'may hold at most 20 attributes',
        `${c.attributes.length} attributes`,
      );
    context.attributes = {};
    for (const a of c.attributes) {
      if (!/^[\w.-]{1,64}$/.test(a.key) || a.value.length > 200) {
        throw badInput(
          'context.attributes',
          'keys must be 1..64 of [A-Za-z0-9_.-], values at most 200 characters',
          a,
        );
      }
      context.attributes[a.key] = a.value;
    }
  }
  if (surface === 'SEARCH' && context.candidateProductIds.length === 0) {
    throw badInput(
      'context.candidateProductIds',
      'is required for the SEARCH surface (the results to re-rank)',
      [],
    );
  }
  return { userId, surface, limit: n, context };
}

/** `YYYY-MM-DD[T ]hh:mm[:ss[.fff]]`, with an optional `Z` or ±hh[:]mm: the shopper's local time. */
const CONTEXT_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses `context.time` strictly: a calendar date that exists (no Feb 30: `Date.parse` would roll it
 * over), a real clock time, a year from 1970 to 2100. The result is the shopper's wall clock written
 * as if it were UTC (`Date.UTC` of the fields), the convention of the training data (shop-local
 * times without a zone); a zone, when given, is accepted and not applied. So quiet hours read the
 * shopper's own hour (with UTC getters) whatever the server's time zone. Undefined when any check fails.
 */
export function parseContextTime(text: string): number | undefined {
  const m = CONTEXT_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m
    .slice(1, 7)
    .map((v) => (v === undefined ? 0 : Number(v)));
  if (year! < 1970 || year! > 2100 || month! < 1 || month! > 12 || hour! > 23 || minute! > 59 || second! > 59)
    return undefined;
  if (day! < 1 || day! > new Date(Date.UTC(year!, month!, 0)).getUTCDate()) return undefined;
  const ms = m[7] ? Math.floor(Number(m[7]) * 1000) : 0;
  return Date.UTC(year!, month! - 1, day!, hour!, minute!, second!, ms);
}
