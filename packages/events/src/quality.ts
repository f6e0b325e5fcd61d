import type { RecsEvent, ShopperEventType } from './Event';

/** What the data-quality checks look for in incoming shopper events. */
export const QUALITY_CHECKS = [
  /** More interactive events of one shopper in one minute (event time) than a person makes. */
  'bot_user_rate',
  /** The same for one session. */
  'bot_session_rate',
  /** A run of interactive events each less than `minHumanIntervalMs` after the previous one. */
  'inhuman_interval',
  /** A purchase of a product the session never viewed, clicked or put in the cart. */
  'impossible_sequence',
  /** The same event content again under another eventId (a double submit) within the window. */
  'duplicate_content',
  /** A quantity above `maxQuantity`. */
  'quantity_outlier',
  /** A purchase price far from the product's median price in the training data. */
  'price_outlier',
] as const;
export type QualityCheck = (typeof QUALITY_CHECKS)[number];

/** Checks whose events are dropped in `enforce` mode; the others are only counted. */
export const DROPPING_CHECKS: ReadonlySet<QualityCheck> = new Set<QualityCheck>([
  'bot_user_rate',
  'bot_session_rate',
  'inhuman_interval',
  'duplicate_content',
  'quantity_outlier',
]);

export interface QualityOptions {
  /** `enforce`: drop events of the dropping checks; `observe`: only flag (count) them. Default `enforce`. */
  mode?: 'enforce' | 'observe';
  /** Default 120 interactive events (view, click, cart changes, search) per shopper per minute. */
  maxUserEventsPerMinute?: number;
  /** Default 90 per session per minute. */
  maxSessionEventsPerMinute?: number;
  /** Default 50 ms: faster than this between two interactive events of a shopper is not a person... */
  minHumanIntervalMs?: number;
  /** ...when it happens this many times in a row; default 5. */
  fastStreak?: number;
  /** Default 1000 units in one shopper event. */
  maxQuantity?: number;
  /** A purchase price above or below the median price by this factor is an outlier; default 10. */
  priceOutlierRatio?: number;
  /** How long an event's content is remembered for `duplicate_content`; default 60 s. */
  duplicateWindowMs?: number;
  /** Clock of the state's expiry, epoch ms; default `Date.now`. */
  now?: () => number;
}

/** What the checks found about one event. */
export interface QualityVerdict {
  flags: QualityCheck[];
  /** True when the event must not be recorded (`enforce` mode and a dropping check failed). */
  drop: boolean;
  /** The field at fault and the message for the batch's `rejected` list, when dropped. */
  rejection?: { field: string; message: string };
}

const INTERACTIVE: ReadonlySet<string> = new Set<ShopperEventType>([
  'view',
  'click',
  'add_to_cart',
  'remove_from_cart',
  'search',
]);
/** Actions after which buying the product in the session is plausible. */
const LEADS_TO_PURCHASE: ReadonlySet<string> = new Set<ShopperEventType>(['view', 'click', 'add_to_cart']);
const SESSION_PRODUCTS_MAX = 200;
/** Entries of each state map at most; beyond it the oldest inserted go first. */
const STATE_MAX = 200_000;

/** Per shopper or session: the current minute's interactive events, and the last one's time. */
interface Activity {
  minute: number;
  count: number;
  lastAt: number;
  streak: number;
  /** Products viewed, clicked or carted (sessions only). */
  products?: Set<string>;
  touched: number;
}

/** Drops entries of `map` untouched for `maxAgeMs`, then the oldest inserted beyond {@link STATE_MAX}. */
function sweep<K>(map: Map<K, { touched: number }>, now: number, maxAgeMs: number): void {
  for (const [key, entry] of map) if (entry.touched <= now - maxAgeMs) map.delete(key);
  for (const key of map.keys()) {
    if (map.size <= STATE_MAX) break;
    map.delete(key);
  }
}

/**
 * cyrb53: a fast 53-bit string hash. The state is keyed by it, so it holds no ids (and a fingerprint
 * costs 8 bytes); collisions among the at most 200 000 keys of a map are ~1e-5 likely.
 */
function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * Data-quality checks on incoming events, before they are recorded: bot heuristics (rates per shopper
 * and per session, inhuman intervals, impossible sequences), content duplicates and quantity outliers
 * ({@link assess}, synchronous, in-process state) and price outliers ({@link isPriceOutlier}, given the
 * product's reference price). The state is kept per process, keyed by 53-bit hashes of user and
 * session ids (not the ids), and expires within minutes (sessions: 2 h); with several replicas each
 * sees only its share of a shopper's events, so rates are per replica.
 */
export class QualityGate {
  readonly mode: 'enforce' | 'observe';
  private readonly opts: Required<Omit<QualityOptions, 'mode'>>;
  /** By a 53-bit hash of the user id, and of the session id. */
  private readonly users = new Map<number, Activity>();
  private readonly sessions = new Map<number, Activity>();
  /** Content fingerprint -> when and under which eventId it was last seen. */
  private readonly contents = new Map<number, { touched: number; eventId: string }>();
  private batches = 0;

  constructor(options: QualityOptions = {}) {
    this.mode = options.mode ?? 'enforce';
    this.opts = {
      maxUserEventsPerMinute: options.maxUserEventsPerMinute ?? 120,
      maxSessionEventsPerMinute: options.maxSessionEventsPerMinute ?? 90,
      minHumanIntervalMs: options.minHumanIntervalMs ?? 50,
      fastStreak: options.fastStreak ?? 5,
      maxQuantity: options.maxQuantity ?? 1000,
      priceOutlierRatio: options.priceOutlierRatio ?? 10,
      duplicateWindowMs: options.duplicateWindowMs ?? 60_000,
      now: options.now ?? Date.now,
    };
  }

  /** Judges a batch in order (earlier events of the batch count as history of later ones). */
  assess(events: readonly RecsEvent[]): QualityVerdict[] {
    const now = this.opts.now();
    if (++this.batches % 100 === 1) this.sweep(now);
    return events.map((event) => {
      const flags: QualityCheck[] = [];
      if (event.userId !== undefined) this.checkShopperEvent(event, now, flags);
      const drop = this.mode === 'enforce' && flags.some((f) => DROPPING_CHECKS.has(f));
      return drop ? { flags, drop, rejection: rejectionOf(flags, this.opts) } : { flags, drop };
    });
  }

  /** Whether a purchase's price is an outlier against the product's `reference` (median) price. */
  isPriceOutlier(event: RecsEvent, reference: number | undefined): boolean {
    if (event.type !== 'purchase' || event.price === undefined || !(reference! > 0)) return false;
    const ratio = event.price / reference!;
    return ratio > this.opts.priceOutlierRatio || ratio < 1 / this.opts.priceOutlierRatio;
  }

  private checkShopperEvent(event: RecsEvent, now: number, flags: QualityCheck[]): void {
    const o = this.opts;
    // Separated by \x1f, which no validated field contains.
    const fingerprint = hash53(
      `${event.type}\x1f${event.userId}\x1f${event.sessionId ?? ''}\x1f${event.productId ?? ''}\x1f${event.quantity ?? ''}\x1f${event.price ?? ''}\x1f${event.query ?? ''}\x1f${event.timestamp}`,
    );
    const seen = this.contents.get(fingerprint);
    const recent = seen !== undefined && now - seen.touched < o.duplicateWindowMs;
    // A retry of the same event: the log reports it as a duplicate; it must not count twice here.
    if (recent && seen.eventId === event.eventId) return;
    // Two impressions of a product in one list are the engine's doing, not a double submit.
    if (recent && event.type !== 'impression') flags.push('duplicate_content');
    this.contents.set(fingerprint, { touched: now, eventId: event.eventId });
    if (event.quantity !== undefined && event.quantity > o.maxQuantity) flags.push('quantity_outlier');

    const interactive = INTERACTIVE.has(event.type);
    const session =
      event.sessionId === undefined
        ? undefined
        : activity(this.sessions, hash53(`s\x1f${event.sessionId}`), now);
    if (interactive) {
      const at = Date.parse(event.timestamp);
      const minute = Math.floor(at / 60_000);
      const user = activity(this.users, hash53(`u\x1f${event.userId!}`), now);
      if (countIn(user, minute) > o.maxUserEventsPerMinute) flags.push('bot_user_rate');
      if (session && countIn(session, minute) > o.maxSessionEventsPerMinute) flags.push('bot_session_rate');
      const delta = at - user.lastAt;
      // Equal timestamps say nothing (a producer may round them); an older event neither.
      if (user.lastAt > 0 && delta > 0) user.streak = delta < o.minHumanIntervalMs ? user.streak + 1 : 0;
      if (user.streak >= o.fastStreak) flags.push('inhuman_interval');
      user.lastAt = Math.max(at, user.lastAt);
    }

    if (session && event.productId !== undefined) {
      const products = (session.products ??= new Set<string>());
      if (event.type === 'purchase' && !products.has(event.productId)) flags.push('impossible_sequence');
      if (LEADS_TO_PURCHASE.has(event.type) && !products.has(event.productId)) {
        products.add(event.productId);
        if (products.size > SESSION_PRODUCTS_MAX) products.delete(products.values().next().value!);
      }
    }
  }

  private sweep(now: number): void {
    sweep(this.users, now, 10 * 60_000);
    sweep(this.sessions, now, 2 * 3600_000);
    sweep(this.contents, now, this.opts.duplicateWindowMs);
  }
}

/** The entry of `key`, created when missing, marked as touched now. */
function activity(map: Map<number, Activity>, key: number, now: number): Activity {
  let a = map.get(key);
  if (!a) map.set(key, (a = { minute: 0, count: 0, lastAt: 0, streak: 0, touched: now }));
  a.touched = now;
  return a;
}

/** Counts one event in `minute` (a later minute starts afresh; an earlier one counts in the current). */
function countIn(a: Activity, minute: number): number {
  if (minute > a.minute) {
    a.minute = minute;
    a.count = 0;
  }
  return ++a.count;
}

function rejectionOf(
  flags: readonly QualityCheck[],
  o: Required<Omit<QualityOptions, 'mode'>>,
): { field: string; message: string } {
  const check = flags.find((f) => DROPPING_CHECKS.has(f))!;
  const why: Record<string, string> = {
    bot_user_rate: `more than ${o.maxUserEventsPerMinute} interactive events of this shopper in one minute`,
    bot_session_rate: `more than ${o.maxSessionEventsPerMinute} interactive events of this session in one minute`,
    inhuman_interval: `${o.fastStreak} interactive events in a row less than ${o.minHumanIntervalMs} ms apart`,
    duplicate_content: 'the same event content was recorded under another eventId just before',
    quantity_outlier: `quantity above ${o.maxQuantity}`,
  };
  return {
    field: check === 'quantity_outlier' ? 'quantity' : 'event',
    message: `QUALITY: ${check}: ${why[check]}; not recorded`,
  };
}
