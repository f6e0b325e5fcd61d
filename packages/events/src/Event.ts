/**
 * The event model: what shoppers do (shopper events, always with a `userId`) and what the catalogue
 * reports (catalogue events, admin only). Events reach the log already validated and normalised by
 * {@link validateEvents}; the stream stores them as JSON in exactly this shape.
 */

/** What a shopper did. `impression` = a product was shown in a list (attributed with `requestId`). */
export const SHOPPER_EVENT_TYPES = [
  'view',
  'click',
  'add_to_cart',
  'remove_from_cart',
  'purchase',
  'return',
  'impression',
  'search',
] as const;

/** What the catalogue reports: a stock level, a price, a newly listed product. */
export const CATALOGUE_EVENT_TYPES = ['stock', 'price', 'new_product'] as const;

export const EVENT_TYPES = [...SHOPPER_EVENT_TYPES, ...CATALOGUE_EVENT_TYPES] as const;

export type ShopperEventType = (typeof SHOPPER_EVENT_TYPES)[number];
export type CatalogueEventType = (typeof CATALOGUE_EVENT_TYPES)[number];
export type EventType = (typeof EVENT_TYPES)[number];

/** Device classes, as in `RecommendationContext.device`. */
export const DEVICES = ['desktop', 'mobile', 'tablet', 'app'] as const;
export type Device = (typeof DEVICES)[number];

/** A validated, normalised event. Optional fields are absent (never `null`) when not sent. */
export interface RecsEvent {
  /** The client's idempotency key: the same id recorded twice is appended once. */
  eventId: string;
  type: EventType;
  /** The shopper (required for shopper events); normalised like every user id ("17850.0" -> "17850"). */
  userId?: string;
  /**
   * Set by the server, never by clients: a shopper event of someone who opted out of personalisation,
   * stored without `userId`, `sessionId`, `requestId`, `country` and `device` (see `anonymise`), so it
   * only feeds the product counters.
   */
  anonymous?: true;
  sessionId?: string;
  /** The product (required except for `search`); normalised (trimmed, upper-cased). */
  productId?: string;
  /** Units: bought, added, removed, returned; the stock level of a `stock` event. */
  quantity?: number;
  /** Unit price in the shop's currency; required for a `price` event. */
  price?: number;
  /** The `requestId` of the recommendation list the shopper acted on (attribution). */
  requestId?: string;
  /** What the shopper searched for (required for `search`). */
  query?: string;
  /** When it happened, normalised to ISO 8601 UTC with milliseconds ("2011-11-09T18:30:00.000Z"). */
  timestamp: string;
  /** ISO 3166-1 alpha-2, upper-case. */
  country?: string;
  device?: Device;
}

export function isCatalogueEvent(type: EventType): type is CatalogueEventType {
  return (CATALOGUE_EVENT_TYPES as readonly string[]).includes(type);
}
