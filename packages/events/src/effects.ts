import type { EntityKind, FeatureValue } from '@recs/feature-store';
import { isCatalogueEvent, type RecsEvent, type ShopperEventType } from './Event';

/**
 * What applying an event does to the online state, as data: a few backend-neutral operations on
 * fields of feature records in the live store. {@link effectsOf} is the one definition of an event's
 * meaning; the Redis log runs the operations in a Lua script (createRedisEventLog.ts) and the memory
 * log with {@link applyEffects}, and the contract tests hold both to the same results.
 */
export type Effect =
  /** Adds `by` (an integer) to a number field, starting from 0. */
  | { op: 'incr'; kind: EntityKind; id: string; field: string; by: number }
  /** Appends `value` to a string-array field (duplicates allowed), keeping the last `max` members. */
  | { op: 'push'; kind: EntityKind; id: string; field: string; value: string; max: number }
  /**
   * Sets `values` and `atField = at` unless `atField` already holds a later time: catalogue feeds and
   * retries arrive out of order, and an older stock level must not overwrite a newer one. `at` is an
   * ISO 8601 UTC string of fixed width, so string order is time order.
   */
  | {
      op: 'setIfNewer';
      kind: EntityKind;
      id: string;
      atField: string;
      at: string;
      values: Record<string, string | number | boolean>;
    }
  /**
   * Copies `from` to `field` when a `setIfNewer` on the same `atField` at `at` would apply; put it
   * before that `setIfNewer`, so `field` keeps the value the newer event replaces (a previous stock
   * level or price, for back-in-stock and price-drop notifications).
   */
  | {
      op: 'keepPrevious';
      kind: EntityKind;
      id: string;
      field: string;
      from: string;
      atField: string;
      at: string;
    }
  /**
   * Adds `by` to day `day` (days since the epoch, UTC) of a ring of daily counts kept in a string-array
   * field (`"<day>:<count>"`, oldest first), keeping only the last `days` days up to the newest seen;
   * a day older than that is ignored. The trending windows of a product.
   */
  | { op: 'dayIncr'; kind: EntityKind; id: string; field: string; day: number; by: number; days: number }
  /** Sets `field = numerator / denominator` (two number fields) when the denominator is positive. */
  | { op: 'ratio'; kind: EntityKind; id: string; field: string; numerator: string; denominator: string };

/** Fields the consumer writes to live product records (`recs-live:v1:feat:product:<id>`). */
export const PRODUCT_FIELDS = {
  views: 'views',
  clicks: 'clicks',
  impressions: 'impressions',
  addToCarts: 'addToCarts',
  removeFromCarts: 'removeFromCarts',
  purchases: 'purchases',
  unitsSold: 'unitsSold',
  returns: 'returns',
  /** clicks / impressions. */
  ctr: 'ctr',
  /** addToCarts / views. */
  addToCartRate: 'addToCartRate',
  /** Units in stock (read by the recommendations' business rules: <= 0 is out of stock). */
  stock: 'stock',
  /** The stock level before the latest stock event (PUSH: back in stock when it was <= 0). */
  previousStock: 'previousStock',
  stockUpdatedAt: 'stockUpdatedAt',
  /** Current unit price (read by the business rules' price bands). */
  price: 'price',
  /** The price before the latest price event (PUSH: price drop). */
  previousPrice: 'previousPrice',
  priceUpdatedAt: 'priceUpdatedAt',
  newProduct: 'newProduct',
  listedAt: 'listedAt',
  /** Daily view counts of the last {@link TREND_DAYS} days, `"<day>:<count>"` (trending windows). */
  viewsByDay: 'viewsByDay',
  /** Daily purchase events of the last {@link TREND_DAYS} days. */
  purchasesByDay: 'purchasesByDay',
} as const;

/** Days the trending windows keep. */
export const TREND_DAYS = 7;

/** Days since the epoch (UTC) of an ISO time. */
export const dayOf = (iso: string): number => Math.floor(Date.parse(iso) / 86_400_000);

/** Fields the consumer writes to live user records (`recs-live:v1:feat:user:<id>`). */
export const USER_FIELDS = {
  /** The last {@link RECENT_ACTIONS_MAX} actions, oldest first: `view:85123A`, `search:red mug`. */
  recentActions: 'recentActions',
  /** Shopper events other than impressions. */
  actions: 'actions',
  lastEventAt: 'lastEventAt',
  lastSessionId: 'lastSessionId',
  lastCountry: 'lastCountry',
  lastDevice: 'lastDevice',
} as const;

export const RECENT_ACTIONS_MAX = 50;

const COUNTERS: Partial<Record<ShopperEventType, string>> = {
  view: PRODUCT_FIELDS.views,
  click: PRODUCT_FIELDS.clicks,
  impression: PRODUCT_FIELDS.impressions,
  add_to_cart: PRODUCT_FIELDS.addToCarts,
  remove_from_cart: PRODUCT_FIELDS.removeFromCarts,
  purchase: PRODUCT_FIELDS.purchases,
  return: PRODUCT_FIELDS.returns,
};

/** The session-history entry of an action: `<type>:<productId>`, or `search:<query>`. */
export function actionOf(event: RecsEvent): string {
  return event.type === 'search' ? `search:${event.query ?? ''}` : `${event.type}:${event.productId ?? ''}`;
}

/** The online-state changes of one validated event (see the package README for the table). */
export function effectsOf(event: RecsEvent): Effect[] {
  const out: Effect[] = [];
  const pid = event.productId;
  if (isCatalogueEvent(event.type)) {
    if (pid === undefined) return out;
    const set = (atField: string, values: Record<string, string | number | boolean>): void => {
      out.push({ op: 'setIfNewer', kind: 'product', id: pid, atField, at: event.timestamp, values });
    };
    if (event.type === 'new_product') set(PRODUCT_FIELDS.listedAt, { [PRODUCT_FIELDS.newProduct]: true });
    const keep = (field: string, from: string, atField: string): void => {
      out.push({ op: 'keepPrevious', kind: 'product', id: pid, field, from, atField, at: event.timestamp });
    };
    if (event.quantity !== undefined && (event.type === 'stock' || event.type === 'new_product')) {
      keep(PRODUCT_FIELDS.previousStock, PRODUCT_FIELDS.stock, PRODUCT_FIELDS.stockUpdatedAt);
      set(PRODUCT_FIELDS.stockUpdatedAt, { [PRODUCT_FIELDS.stock]: event.quantity });
    }
    if (event.price !== undefined && (event.type === 'price' || event.type === 'new_product')) {
      keep(PRODUCT_FIELDS.previousPrice, PRODUCT_FIELDS.price, PRODUCT_FIELDS.priceUpdatedAt);
      set(PRODUCT_FIELDS.priceUpdatedAt, { [PRODUCT_FIELDS.price]: event.price });
    }
    return out;
  }

  const type = event.type as ShopperEventType;
  const counter = COUNTERS[type];
  if (pid !== undefined && counter !== undefined) {
    out.push({ op: 'incr', kind: 'product', id: pid, field: counter, by: 1 });
    if (type === 'purchase') {
      out.push({
        op: 'incr',
        kind: 'product',
        id: pid,
        field: PRODUCT_FIELDS.unitsSold,
        by: event.quantity ?? 1,
      });
    }
    if (type === 'view' || type === 'purchase') {
      out.push({
        op: 'dayIncr',
        kind: 'product',
        id: pid,
        field: type === 'view' ? PRODUCT_FIELDS.viewsByDay : PRODUCT_FIELDS.purchasesByDay,
        day: dayOf(event.timestamp),
        by: 1,
        days: TREND_DAYS,
      });
    }
    if (type === 'click' || type === 'impression') {
      out.push({
        op: 'ratio',
        kind: 'product',
        id: pid,
        field: PRODUCT_FIELDS.ctr,
        numerator: PRODUCT_FIELDS.clicks,
        denominator: PRODUCT_FIELDS.impressions,
      });
    }
    if (type === 'view' || type === 'add_to_cart') {
      out.push({
        op: 'ratio',
        kind: 'product',
        id: pid,
        field: PRODUCT_FIELDS.addToCartRate,
        numerator: PRODUCT_FIELDS.addToCarts,
        denominator: PRODUCT_FIELDS.views,
      });
    }
  }
  // Impressions are what the engine showed, not what the shopper did: no session history.
  const uid = event.userId;
  if (uid !== undefined && type !== 'impression') {
    out.push({ op: 'incr', kind: 'user', id: uid, field: USER_FIELDS.actions, by: 1 });
    out.push({
      op: 'push',
      kind: 'user',
      id: uid,
      field: USER_FIELDS.recentActions,
      value: actionOf(event),
      max: RECENT_ACTIONS_MAX,
    });
    const values: Record<string, string> = {};
    if (event.sessionId !== undefined) values[USER_FIELDS.lastSessionId] = event.sessionId;
    if (event.country !== undefined) values[USER_FIELDS.lastCountry] = event.country;
    if (event.device !== undefined) values[USER_FIELDS.lastDevice] = event.device;
    out.push({
      op: 'setIfNewer',
      kind: 'user',
      id: uid,
      atField: USER_FIELDS.lastEventAt,
      at: event.timestamp,
      values,
    });
  }
  return out;
}

/** Why an entry's effects cannot be applied to the records as they are (a field of another type). */
export function conflictOf(
  get: (kind: EntityKind, id: string) => FeatureValue,
  effects: readonly Effect[],
): string | undefined {
  for (const e of effects) {
    const values = get(e.kind, e.id);
    if (e.op === 'incr') {
      const v = values[e.field];
      if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) {
        return `field "${e.field}" of ${e.kind} ${e.id} is not a number`;
      }
    } else if (e.op === 'push' || e.op === 'dayIncr') {
      const v = values[e.field];
      if (v !== undefined && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) {
        return `field "${e.field}" of ${e.kind} ${e.id} is not an array of strings`;
      }
    } else if (e.op === 'setIfNewer') {
      const v = values[e.atField];
      if (v !== undefined && typeof v !== 'string') {
        return `field "${e.atField}" of ${e.kind} ${e.id} is not a time string`;
      }
    }
  }
  return undefined;
}

/**
 * Applies effects to decoded records in place (the JS twin of the Lua apply script), calling `touched`
 * for each field written. Call {@link conflictOf} first: this assumes the field types fit.
 */
export function applyEffects(
  get: (kind: EntityKind, id: string) => FeatureValue,
  effects: readonly Effect[],
  touched: (kind: EntityKind, id: string, field: string) => void,
): void {
  for (const e of effects) {
    const values = get(e.kind, e.id);
    if (e.op === 'incr') {
      values[e.field] = ((values[e.field] as number | undefined) ?? 0) + e.by;
      touched(e.kind, e.id, e.field);
    } else if (e.op === 'push') {
      const members = [...((values[e.field] as string[] | undefined) ?? []), e.value];
      values[e.field] = members.length > e.max ? members.slice(members.length - e.max) : members;
      touched(e.kind, e.id, e.field);
    } else if (e.op === 'dayIncr') {
      values[e.field] = addToDay((values[e.field] as string[] | undefined) ?? [], e.day, e.by, e.days);
      touched(e.kind, e.id, e.field);
    } else if (e.op === 'keepPrevious') {
      const stored = values[e.atField] as string | undefined;
      if ((stored !== undefined && stored > e.at) || values[e.from] === undefined) continue;
      values[e.field] = values[e.from]!;
      touched(e.kind, e.id, e.field);
    } else if (e.op === 'setIfNewer') {
      const stored = values[e.atField] as string | undefined;
      if (stored !== undefined && stored > e.at) continue;
      values[e.atField] = e.at;
      touched(e.kind, e.id, e.atField);
      for (const [field, value] of Object.entries(e.values)) {
        values[field] = value;
        touched(e.kind, e.id, field);
      }
    } else {
      // A missing counter is 0 (views but no add-to-cart yet: the rate is 0).
      const num = values[e.numerator] ?? 0;
      const den = values[e.denominator] ?? 0;
      if (typeof num !== 'number' || typeof den !== 'number' || !(den > 0)) continue;
      values[e.field] = num / den;
      touched(e.kind, e.id, e.field);
    }
  }
}

/** The JS twin of the Lua `d` op: a ring of `"<day>:<count>"`, oldest first, over the last `days` days. */
export function addToDay(ring: readonly string[], day: number, by: number, days: number): string[] {
  const counts = new Map(ring.map((entry) => entry.split(':').map(Number) as [number, number]));
  const newest = Math.max(day, ...counts.keys());
  if (day <= newest - days) return [...ring];
  counts.set(day, (counts.get(day) ?? 0) + by);
  return [...counts]
    .filter(([d]) => d > newest - days)
    .sort((a, b) => a[0] - b[0])
    .map(([d, n]) => `${d}:${n}`);
}

/** The count of `day` and the sum of the `window` days up to it, from a daily ring. */
export function dayWindow(
  ring: readonly string[],
  day: number,
  window: number,
): { day: number; total: number } {
  let today = 0;
  let total = 0;
  for (const entry of ring) {
    const [d, n] = entry.split(':').map(Number) as [number, number];
    if (d === day) today = n;
    if (d <= day && d > day - window) total += n;
  }
  return { day: today, total };
}
