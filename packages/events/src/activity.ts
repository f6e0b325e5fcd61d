import type { FeatureRecord, FeatureValue } from '@recs/feature-store';
import { PRODUCT_FIELDS as P, TREND_DAYS, USER_FIELDS as U, dayWindow } from './effects';

/** A product's live activity as the consumer keeps it (zeros when no event was ever applied). */
export interface ProductActivity {
  views: number;
  clicks: number;
  impressions: number;
  addToCarts: number;
  removeFromCarts: number;
  purchases: number;
  unitsSold: number;
  returns: number;
  ctr: number | null;
  addToCartRate: number | null;
  stock: number | null;
  price: number | null;
  newProduct: boolean;
  listedAt: string | null;
  /** Trending windows (UTC days, from the event stream): views and purchases today and in the last 7 days. */
  viewsToday: number;
  views7d: number;
  purchasesToday: number;
  purchases7d: number;
  /** Views today over the mean daily views of the 6 days before; null without views before today. */
  trend: number | null;
  /** ISO 8601 UTC time of the last write to the live record, or null. */
  updatedAt: string | null;
}

/** A shopper's live activity: the session history and when they were last seen. */
export interface UserActivity {
  recentActions: string[];
  actions: number;
  lastEventAt: string | null;
  lastSessionId: string | null;
  lastCountry: string | null;
  lastDevice: string | null;
  updatedAt: string | null;
}

const num = (v: FeatureValue[string] | undefined): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? v : null;
const str = (v: FeatureValue[string] | undefined): string | null => (typeof v === 'string' ? v : null);

/** Reads the live product record written by the consumer (other fields of the record are ignored). */
export function productActivity(record: FeatureRecord | null, now: number = Date.now()): ProductActivity {
  const v = record?.values ?? {};
  const today = Math.floor(now / 86_400_000);
  const ring = (x: FeatureValue[string] | undefined): string[] =>
    Array.isArray(x) ? x.filter((e): e is string => typeof e === 'string') : [];
  const views = dayWindow(ring(v[P.viewsByDay]), today, TREND_DAYS);
  const purchases = dayWindow(ring(v[P.purchasesByDay]), today, TREND_DAYS);
  const before = (views.total - views.day) / (TREND_DAYS - 1);
  return {
    viewsToday: views.day,
    views7d: views.total,
    purchasesToday: purchases.day,
    purchases7d: purchases.total,
    trend: before > 0 ? views.day / before : null,
    views: num(v[P.views]) ?? 0,
    clicks: num(v[P.clicks]) ?? 0,
    impressions: num(v[P.impressions]) ?? 0,
    addToCarts: num(v[P.addToCarts]) ?? 0,
    removeFromCarts: num(v[P.removeFromCarts]) ?? 0,
    purchases: num(v[P.purchases]) ?? 0,
    unitsSold: num(v[P.unitsSold]) ?? 0,
    returns: num(v[P.returns]) ?? 0,
    ctr: num(v[P.ctr]),
    addToCartRate: num(v[P.addToCartRate]),
    stock: num(v[P.stock]),
    price: num(v[P.price]),
    newProduct: v[P.newProduct] === true,
    listedAt: str(v[P.listedAt]),
    updatedAt: record ? new Date(record.updatedAt).toISOString() : null,
  };
}

/** Reads the live user record written by the consumer (preferences in the same record are ignored). */
export function userActivity(record: FeatureRecord | null): UserActivity {
  const v = record?.values ?? {};
  const recent = v[U.recentActions];
  return {
    recentActions:
      Array.isArray(recent) && recent.every((x) => typeof x === 'string') ? (recent as string[]) : [],
    actions: num(v[U.actions]) ?? 0,
    lastEventAt: str(v[U.lastEventAt]),
    lastSessionId: str(v[U.lastSessionId]),
    lastCountry: str(v[U.lastCountry]),
    lastDevice: str(v[U.lastDevice]),
    updatedAt: record ? new Date(record.updatedAt).toISOString() : null,
  };
}
