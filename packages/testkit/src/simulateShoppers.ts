import { seededRandom } from '@recs/core';
import type { GraphQLBody } from './stack';

/** How the simulated shoppers reach the API: GraphQL through the gateway with a service key. */
export interface SimulationTarget {
  query(body: {
    query: string;
    variables?: Record<string, unknown>;
  }): Promise<{ status: number; body: GraphQLBody }>;
}

export interface SimulationOptions {
  /** Shoppers; each asks for one list and may click and buy. */
  users: number;
  seed: number;
  /**
   * The true probability that a shopper clicks: by the variant the list names (`default` otherwise),
   * or a function of every experiment and variant the list was served under (several at once).
   */
  clickRate: Record<string, number> | ((served: readonly ServedVariant[]) => number);
  /** Probability that a clicking shopper then buys the clicked product. Default 0.3. */
  purchaseRate?: number;
  surface?: 'HOME' | 'CART' | 'PRODUCT';
  /** Requests in flight at once. Default 8. */
  concurrency?: number;
  /** Prefix of the simulated user ids (keep runs apart). Default `sim`. */
  userPrefix?: string;
}

export interface ServedVariant {
  experimentId: string;
  variant: string;
}

export interface SimulationReport {
  /** Lists served, by the variant the API said it served (`none` outside any experiment). */
  served: Record<string, number>;
  clicks: Record<string, number>;
  purchases: Record<string, number>;
  revenue: Record<string, number>;
  failedRequests: number;
  rejectedEvents: number;
  ms: number;
}

const LIST = `query Sim($id: ID!, $surface: Surface!) {
  user(id: $id) { recommendations(surface: $surface, limit: 10) { requestId experiment variant experiments { experimentId variant } items { product { id } } } }
}`;
const RECORD = `mutation SimEvents($events: [EventInput!]!) {
  recordEvents(events: $events) { accepted duplicates rejected { index message } }
}`;

/**
 * A seeded shopper simulator with known true rates, through the real API: every shopper asks for a
 * list, and the API's answer (its `variant` and `requestId`) decides how the shopper behaves: a click
 * with the variant's true click rate, then a purchase with `purchaseRate`, both sent back as events
 * carrying the list's `requestId`, exactly as a shop's front end would. The same seed gives the same
 * shoppers and the same coin flips.
 */
export async function simulateShoppers(
  api: SimulationTarget,
  opts: SimulationOptions,
): Promise<SimulationReport> {
  const random = seededRandom(opts.seed);
  const flips = Array.from({ length: opts.users }, () => [random(), random(), random()] as const);
  const report: SimulationReport = {
    served: {},
    clicks: {},
    purchases: {},
    revenue: {},
    failedRequests: 0,
    rejectedEvents: 0,
    ms: 0,
  };
  const add = (m: Record<string, number>, k: string, v = 1) => (m[k] = (m[k] ?? 0) + v);
  const started = Date.now();
  const prefix = opts.userPrefix ?? 'sim';
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < opts.users; i = next++) {
      const userId = `${prefix}-${opts.seed}-${i}`;
      const res = await api.query({
        query: LIST,
        variables: { id: userId, surface: opts.surface ?? 'HOME' },
      });
      const list = (
        res.body.data?.user as
          | {
              recommendations: {
                requestId: string;
                variant: string | null;
                experiments: ServedVariant[];
                items: { product: { id: string } }[];
              };
            }
          | undefined
      )?.recommendations;
      if (res.status !== 200 || res.body.errors || !list) {
        report.failedRequests++;
        continue;
      }
      const variant = list.variant ?? 'none';
      add(report.served, variant);
      const [clickFlip, buyFlip, priceFlip] = flips[i]!;
      const rate =
        typeof opts.clickRate === 'function'
          ? opts.clickRate(list.experiments)
          : (opts.clickRate[variant] ?? opts.clickRate.default ?? 0);
      const product = list.items[0]?.product.id;
      if (!product || clickFlip >= rate) continue;
      const timestamp = new Date().toISOString();
      const events: Record<string, unknown>[] = [
        {
          eventId: `${userId}-click`,
          type: 'CLICK',
          userId,
          productId: product,
          requestId: list.requestId,
          timestamp,
        },
      ];
      add(report.clicks, variant);
      if (buyFlip < (opts.purchaseRate ?? 0.3)) {
        const price = Math.round((1 + 19 * priceFlip) * 100) / 100;
        events.push({
          eventId: `${userId}-buy`,
          type: 'PURCHASE',
          userId,
          productId: product,
          quantity: 1,
          price,
          requestId: list.requestId,
          timestamp,
        });
        add(report.purchases, variant);
        add(report.revenue, variant, price);
      }
      const sent = await api.query({ query: RECORD, variables: { events } });
      const result = sent.body.data?.recordEvents as { rejected: unknown[] } | undefined;
      if (!result) report.failedRequests++;
      else report.rejectedEvents += result.rejected.length;
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 8 }, worker));
  report.ms = Date.now() - started;
  return report;
}
