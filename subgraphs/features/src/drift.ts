import { userDigest, type Logger } from '@recs/core';
import type { QualityCheck, QualityGate, RecsEvent } from '@recs/events';
import {
  driftReference,
  type DriftMonitor,
  type DriftReference,
  type FeatureRecord,
  type FeatureStore,
} from '@recs/feature-store';

/** The features the drift monitor follows; see {@link driftReferences}. */
export const DRIFT_FEATURES = {
  /** Unit price of purchased lines (events' `price`) vs the training median prices per order line. */
  productPrice: 'product_price',
  /** Training order count (`ordersAllTime`) of purchased products, per line. */
  productOrders: 'product_orders',
  /** Training order count (`orderCount`) of shoppers who buy, per shopper. */
  userOrderCount: 'user_order_count',
} as const;

/**
 * The training snapshot's distributions, from the offline features a model version publishes:
 * product prices and product order counts weighted by the product's orders (so they describe order
 * lines, as purchase events do), and shoppers' order counts (one per shopper).
 */
export function driftReferences(
  users: Record<string, { orderCount: number }>,
  products: Record<string, { medianPrice: number; ordersAllTime: number }>,
): DriftReference[] {
  const p = Object.values(products);
  const weights = p.map((x) => x.ordersAllTime);
  return [
    driftReference(
      DRIFT_FEATURES.productPrice,
      p.map((x) => x.medianPrice),
      weights,
    ),
    driftReference(
      DRIFT_FEATURES.productOrders,
      p.map((x) => x.ordersAllTime),
      weights,
    ),
    driftReference(
      DRIFT_FEATURES.userOrderCount,
      Object.values(users).map((u) => u.orderCount),
    ),
  ];
}

const num = (record: FeatureRecord | null, field: string): number | undefined => {
  const v = record?.values[field];
  return typeof v === 'number' ? v : undefined;
};

/**
 * What happens to recorded purchases after they are appended, off the request path: price outliers
 * are counted (against the product's training median price) and the drift monitor observes prices,
 * product order counts and the order counts of the buying shoppers (each shopper once per window;
 * shoppers of anonymous events are not looked up). One MGET per kind per batch with purchases.
 */
export function createPurchaseObserver(deps: {
  store: FeatureStore;
  drift?: DriftMonitor;
  quality?: QualityGate;
  onQuality?: (check: QualityCheck, dropped: boolean) => void;
  logger: Logger;
  /** Shoppers remembered as already observed; default the drift window. */
  recentShoppers?: number;
}): (events: RecsEvent[]) => void {
  const recent = new Set<string>();
  const recentMax = deps.recentShoppers ?? 10_000;
  const firstSighting = (userId: string): boolean => {
    const d = userDigest(userId);
    if (recent.has(d)) return false;
    recent.add(d);
    if (recent.size > recentMax) recent.delete(recent.values().next().value!);
    return true;
  };
  const observe = async (purchases: RecsEvent[]): Promise<void> => {
    const productIds = [...new Set(purchases.map((e) => e.productId!))];
    const userIds = deps.drift
      ? [...new Set(purchases.flatMap((e) => (e.userId === undefined ? [] : [e.userId])))].filter(
          firstSighting,
        )
      : [];
    const [products, users] = await Promise.all([
      deps.store.getMany('product', productIds),
      userIds.length > 0 ? deps.store.getMany('user', userIds) : Promise.resolve([]),
    ]);
    const byProduct = new Map(productIds.map((id, i) => [id, products[i]!]));
    for (const e of purchases) {
      const record = byProduct.get(e.productId!) ?? null;
      if (deps.quality?.isPriceOutlier(e, num(record, 'medianPrice'))) {
        deps.onQuality?.('price_outlier', false);
      } else if (e.price !== undefined) {
        deps.drift?.observe(DRIFT_FEATURES.productPrice, e.price);
      }
      deps.drift?.observe(DRIFT_FEATURES.productOrders, num(record, 'ordersAllTime'));
    }
    users.forEach((record) => deps.drift?.observe(DRIFT_FEATURES.userOrderCount, num(record, 'orderCount')));
  };
  return (events) => {
    const purchases = events.filter((e) => e.type === 'purchase' && e.productId !== undefined);
    if (purchases.length === 0 || (!deps.drift && !deps.quality)) return;
    observe(purchases).catch((err: unknown) =>
      deps.logger.warn({ err }, 'purchase observation (drift, price outliers) failed; skipped'),
    );
  };
}
