/**
 * PUSH: whether to notify a shopper now, about what, and when it may be delivered. Pure: the recommender
 * feeds it the live product states and the shopper's recent actions, cart and past pushes.
 */

/** Frequency caps, quiet hours and trigger windows of the PUSH surface. */
export interface PushRules {
  /** Pushes per shopper in any 24 hours. */
  maxPerDay: number;
  /** Pushes per shopper in any 7 days. */
  maxPerWeek: number;
  /** Local hours [start, end) in which nothing is delivered (start > end wraps midnight). */
  quietStartHour: number;
  quietEndHour: number;
  /** A cart untouched for this long (and at most `abandonedCartMaxHours`) is abandoned. */
  abandonedCartMinutes: number;
  abandonedCartMaxHours: number;
  /** A restock or price drop older than this does not trigger. */
  triggerWindowDays: number;
  /** Smallest relative price drop that triggers. */
  minPriceDrop: number;
}

export const DEFAULT_PUSH_RULES: PushRules = {
  maxPerDay: 1,
  maxPerWeek: 3,
  quietStartHour: 21,
  quietEndHour: 8,
  abandonedCartMinutes: 60,
  abandonedCartMaxHours: 72,
  triggerWindowDays: 7,
  minPriceDrop: 0.05,
};

/** What the live store knows about a product a trigger may be about. */
export interface PushProductState {
  title: string;
  stock?: number;
  /** The stock level before the latest stock event. */
  previousStock?: number;
  /** Epoch ms of the latest stock event. */
  stockUpdatedAt?: number;
  price?: number;
  previousPrice?: number;
  priceUpdatedAt?: number;
}

export interface PushShopperState {
  /** Products the shopper viewed or carted recently, most recent first. */
  interested: readonly string[];
  /** The live cart, oldest first. */
  cart: readonly string[];
  /** Epoch ms of the shopper's last event. */
  lastEventAt?: number;
  /** Epoch ms of the pushes sent to the shopper. */
  sentAt: readonly number[];
}

export type PushTrigger = 'BACK_IN_STOCK' | 'PRICE_DROP' | 'ABANDONED_CART';

export type PushDecision =
  | {
      send: true;
      trigger: PushTrigger;
      /** The products the notification is about, first the one in the title. */
      productIds: string[];
      title: string;
      body: string;
      /** Epoch ms before which it must not be delivered (the end of quiet hours), or undefined: now. */
      deliverAfter?: number;
    }
  | { send: false; reason: string };

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const money = (x: number): string => x.toFixed(2);

/** Whether a local hour is inside the quiet window. */
export function isQuietHour(hour: number, rules: PushRules): boolean {
  const { quietStartHour: s, quietEndHour: e } = rules;
  if (s === e) return false;
  return s < e ? hour >= s && hour < e : hour >= s || hour < e;
}

/**
 * The decision for one shopper at `now`, with `localNow` the shopper's wall-clock time written as if
 * it were UTC (as `parseContextTime` reads `RecommendationContext.time`; without it, the server's
 * clock in UTC). Triggers by priority:
 * a viewed or carted product back in stock, then one whose price dropped by `minPriceDrop`, then an
 * abandoned cart; none over the frequency caps; in quiet hours the notification carries `deliverAfter`.
 */
export function decidePush(
  shopper: PushShopperState,
  products: ReadonlyMap<string, PushProductState>,
  now: number,
  localNow: number,
  rules: PushRules = DEFAULT_PUSH_RULES,
): PushDecision {
  const lastDay = shopper.sentAt.filter((t) => now - t < DAY).length;
  const lastWeek = shopper.sentAt.filter((t) => now - t < 7 * DAY).length;
  if (lastDay >= rules.maxPerDay)
    return { send: false, reason: `frequency cap: ${lastDay} push(es) in 24 h` };
  if (lastWeek >= rules.maxPerWeek)
    return { send: false, reason: `frequency cap: ${lastWeek} push(es) in 7 days` };
  const recent = (t: number | undefined) =>
    t !== undefined && now - t >= 0 && now - t <= rules.triggerWindowDays * DAY;
  const decided = (trigger: PushTrigger, productIds: string[], title: string, body: string): PushDecision => {
    const local = new Date(localNow);
    if (!isQuietHour(local.getUTCHours(), rules)) return { send: true, trigger, productIds, title, body };
    // the next local quietEndHour:00, as a delay from now
    const end = new Date(local);
    end.setUTCHours(rules.quietEndHour, 0, 0, 0);
    if (end.getTime() <= localNow) end.setUTCDate(end.getUTCDate() + 1);
    const wait = end.getTime() - localNow;
    return { send: true, trigger, productIds, title, body, deliverAfter: now + wait };
  };

  const restocked = shopper.interested.filter((id) => {
    const p = products.get(id);
    return p && (p.previousStock ?? 1) <= 0 && (p.stock ?? 0) > 0 && recent(p.stockUpdatedAt);
  });
  if (restocked.length > 0) {
    const first = products.get(restocked[0]!)!;
    return decided(
      'BACK_IN_STOCK',
      restocked,
      `${first.title} is back in stock`,
      restocked.length > 1
        ? `It and ${restocked.length - 1} more you looked at are available again.`
        : 'The item you looked at is available again.',
    );
  }
  const dropped = shopper.interested
    .map((id) => ({ id, p: products.get(id) }))
    .filter(
      ({ p }) =>
        p &&
        p.price !== undefined &&
        p.previousPrice !== undefined &&
        p.previousPrice > 0 &&
        (p.previousPrice - p.price) / p.previousPrice >= rules.minPriceDrop &&
        (p.stock ?? 1) > 0 &&
        recent(p.priceUpdatedAt),
    )
    .sort(
      (a, b) =>
        (b.p!.previousPrice! - b.p!.price!) / b.p!.previousPrice! -
        (a.p!.previousPrice! - a.p!.price!) / a.p!.previousPrice!,
    );
  if (dropped.length > 0) {
    const { p } = dropped[0]!;
    const pct = Math.round((100 * (p!.previousPrice! - p!.price!)) / p!.previousPrice!);
    return decided(
      'PRICE_DROP',
      dropped.map((d) => d.id),
      `${p!.title} is now ${pct}% cheaper`,
      `Down from ${money(p!.previousPrice!)} to ${money(p!.price!)}.`,
    );
  }
  const idle = shopper.lastEventAt === undefined ? undefined : now - shopper.lastEventAt;
  const inStock = shopper.cart.filter((id) => (products.get(id)?.stock ?? 1) > 0);
  if (
    inStock.length > 0 &&
    idle !== undefined &&
    idle >= rules.abandonedCartMinutes * 60_000 &&
    idle <= rules.abandonedCartMaxHours * HOUR
  ) {
    const first = products.get(inStock[inStock.length - 1]!)?.title ?? inStock[inStock.length - 1]!;
    return decided(
      'ABANDONED_CART',
      [...inStock].reverse(),
      inStock.length > 1 ? `You left ${inStock.length} items in your cart` : `You left ${first} in your cart`,
      inStock.length > 1
        ? `${first} and ${inStock.length - 1} more are waiting for you.`
        : 'It is still waiting for you.',
    );
  }
  return {
    send: false,
    reason: 'no trigger: nothing viewed is back in stock or cheaper, and no abandoned cart',
  };
}
