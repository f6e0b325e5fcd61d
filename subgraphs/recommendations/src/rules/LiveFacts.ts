import { PRIVACY_SETS, userDigest } from '@recs/core';
import { RECENT_ACTIONS_MAX } from '@recs/events';
import type { FeatureStore, FeatureValue } from '@recs/feature-store';
import type { CatalogueEntry } from '@recs/pipeline';
import type { ProductFacts, ShopperFacts } from './applyRules';
import type { PushProductState, PushShopperState } from './push';

/** The feature-store key prefix of the live catalogue flags and shopper preferences. */
export const LIVE_KEY_PREFIX = 'recs-live';

/** Fields of a shopper's preference record in the live store (`recs-live:v1:feat:user:<id>`). */
export const PREFERENCE_FIELDS = {
  hiddenProducts: 'hiddenProducts',
  hiddenCategories: 'hiddenCategories',
  verifiedAdult: 'verifiedAdult',
  /** The last e-mail sends, newest last, each its product ids joined by newlines. */
  emailSends: 'emailSends',
  /** Epoch ms of the last push notifications sent (frequency caps), newest last. */
  pushSends: 'pushSends',
} as const;

/** One e-mail send as stored in {@link PREFERENCE_FIELDS.emailSends}. */
export const encodeSend = (productIds: readonly string[]): string => productIds.join('\n');

const str = (v: FeatureValue[string] | undefined): string | undefined =>
  typeof v === 'string' ? v : undefined;
const num = (v: FeatureValue[string] | undefined): number | undefined =>
  typeof v === 'number' ? v : undefined;
const strings = (v: FeatureValue[string] | undefined): string[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;

/**
 * What the business rules read per request: the model's catalogue (category, price) overlaid with the
 * live product flags (`stock`, `margin`, `ageRestricted`, `regions`, `supplier`, `category`, `price`) and
 * the shopper's preferences, each in ONE batched read of the live store. The pipeline never writes this
 * namespace, so a retrain cannot erase a shopper's "do not show" or a stock flag.
 */
export class LiveFacts {
  readonly priceEdges: number[];

  constructor(
    private readonly catalogue: ReadonlyMap<string, CatalogueEntry>,
    readonly store: FeatureStore,
    private readonly recentOrders?: (productId: string) => number | undefined,
  ) {
    const prices = [...catalogue.values()]
      .map((e) => e.price)
      .filter((p) => p > 0)
      .sort((a, b) => a - b);
    this.priceEdges =
      prices.length >= 4 ? [0.25, 0.5, 0.75].map((q) => prices[Math.floor(q * (prices.length - 1))]!) : [];
  }

  /** The catalogue's categories, for validating "do not show this category". */
  categories(): Set<string> {
    const out = new Set<string>();
    for (const e of this.catalogue.values()) if (e.category) out.add(e.category.toLowerCase());
    return out;
  }

  /** Facts of `ids` from the catalogue alone (when the live store is down). */
  catalogueFacts(ids: Iterable<string>): Map<string, ProductFacts> {
    const out = new Map<string, ProductFacts>();
    for (const id of ids) {
      const e = this.catalogue.get(id);
      out.set(id, { category: e?.category, price: e?.price, recentOrders: this.recentOrders?.(id) });
    }
    return out;
  }

  /** Facts of `ids`: catalogue overlaid with the live flags (one MGET). */
  async products(ids: readonly string[]): Promise<Map<string, ProductFacts>> {
    const out = this.catalogueFacts(ids);
    if (ids.length === 0) return out;
    const records = await this.store.getMany('product', ids);
    records.forEach((record, i) => {
      if (!record) return;
      const v = record.values;
      const facts = out.get(ids[i]!)!;
      const category = str(v.category);
      if (category) facts.category = category;
      const price = num(v.price);
      if (price !== undefined) facts.price = price;
      facts.stock = num(v.stock);
      facts.margin = num(v.margin);
      facts.ageRestricted = v.ageRestricted === true;
      facts.regions = strings(v.regions);
      facts.supplier = str(v.supplier);
      facts.impressions = num(v.impressions);
      facts.clicks = num(v.clicks);
    });
    return out;
  }

  /**
   * The live stock and price history of the products a push may be about (one MGET), for
   * `decidePush` together with the shopper's `push` state from {@link LiveFacts.shopper}.
   */
  async pushProducts(ids: readonly string[]): Promise<Map<string, PushProductState>> {
    const products = new Map<string, PushProductState>();
    const records = ids.length > 0 ? await this.store.getMany('product', ids) : [];
    const time = (x: FeatureValue[string] | undefined) => (typeof x === 'string' ? Date.parse(x) : undefined);
    ids.forEach((id, i) => {
      const p = records[i]?.values ?? {};
      products.set(id, {
        title: this.catalogue.get(id)?.title ?? str(p.title) ?? id,
        stock: num(p.stock),
        previousStock: num(p.previousStock),
        stockUpdatedAt: time(p.stockUpdatedAt),
        price: num(p.price) ?? this.catalogue.get(id)?.price,
        previousPrice: num(p.previousPrice),
        priceUpdatedAt: time(p.priceUpdatedAt),
      });
    });
    return products;
  }

  /** A product's title: the catalogue's, else the live record's (a new product announced by an event). */
  async title(productId: string): Promise<string | undefined> {
    const known = this.catalogue.get(productId)?.title;
    if (known) return known;
    const [record] = await this.store.getMany('product', [productId]);
    return str(record?.values.title);
  }

  /**
   * The shopper's preferences and privacy choices (one GET and two set lookups, pipelined); an
   * anonymous shopper has none. A forgotten shopper (tombstoned by `forgetUser`) is a stranger: no
   * preferences, and `personalizationOptOut` as well as `forgotten`.
   */
  async shopper(userId: string, country: string | undefined): Promise<LiveShopperFacts> {
    const [[record], [optOut], [forgotten]] = await Promise.all([
      this.store.getMany('user', [userId]),
      this.store.hasMembers(PRIVACY_SETS.personalizationOptOut, [userId]),
      this.store.hasMembers(PRIVACY_SETS.forgottenUsers, [userDigest(userId)]),
    ]);
    if (forgotten) return shopperFacts(undefined, country, { personalizationOptOut: true, forgotten: true });
    return shopperFacts(record?.values, country, {
      personalizationOptOut: optOut === true,
      forgotten: false,
    });
  }
}

/** What the live store says about a shopper's privacy choices. */
export interface PrivacyFacts {
  /**
   * The shopper opted out of personalisation (`setPersonalization`), or was forgotten: serve
   * non-personal lists. False when unknown (e.g. the live store did not answer).
   */
  personalizationOptOut: boolean;
  /** The shopper was forgotten (`forgetUser`): treat them as unknown, whatever the model artefacts hold. */
  forgotten: boolean;
}

/** Shopper facts from the live store: preferences, privacy choices, and the PUSH state (recent interest, live cart, last activity, past pushes). */
export type LiveShopperFacts = ShopperFacts & PrivacyFacts & { push: PushShopperState };

/** Shopper facts from a preference record (absent = no preferences, not verified). */
export function shopperFacts(
  values: FeatureValue | undefined,
  country: string | undefined,
  privacy: PrivacyFacts = { personalizationOptOut: false, forgotten: false },
): LiveShopperFacts {
  const actions = strings(values?.recentActions) ?? [];
  const cart = liveCart(actions);
  const lastEventAt = str(values?.lastEventAt);
  return {
    ...privacy,
    hiddenProducts: new Set(strings(values?.[PREFERENCE_FIELDS.hiddenProducts]) ?? []),
    hiddenCategories: new Set(strings(values?.[PREFERENCE_FIELDS.hiddenCategories]) ?? []),
    verifiedAdult: values?.[PREFERENCE_FIELDS.verifiedAdult] === true,
    liveCart: cart,
    recentlyViewed: recentlyViewed(actions),
    livePurchases: recentlyBought(actions),
    recentlySent: new Set(
      (strings(values?.[PREFERENCE_FIELDS.emailSends]) ?? []).flatMap((s) => s.split('\n')),
    ),
    country,
    push: {
      interested: recentOf(actions, ['view', 'add_to_cart', 'click'], RECENT_ACTIONS_MAX),
      cart,
      lastEventAt: lastEventAt ? Date.parse(lastEventAt) : undefined,
      sentAt: (strings(values?.[PREFERENCE_FIELDS.pushSends]) ?? []).map(Number).filter(Number.isFinite),
    },
  };
}

/** Products of the given action types in the recent actions, most recent first, each once. */
function recentOf(actions: readonly string[], types: readonly string[], max: number): string[] {
  const out: string[] = [];
  for (let k = actions.length - 1; k >= 0 && out.length < max; k--) {
    const action = actions[k]!;
    const at = action.indexOf(':');
    const id = action.slice(at + 1);
    if (types.includes(action.slice(0, at)) && id && !out.includes(id)) out.push(id);
  }
  return out;
}

/** Products the shopper viewed or clicked in their recent actions, most recent first, each once. */
export const recentlyViewed = (actions: readonly string[], max = 10): string[] =>
  recentOf(actions, ['view', 'click'], max);

/** Products the shopper bought in their recent actions (since the model's cut-off), most recent first. */
export const recentlyBought = (actions: readonly string[], max = 20): string[] =>
  recentOf(actions, ['purchase'], max);

/**
 * The cart the event stream implies: products added to the cart and not removed or bought since, from
 * the live record's `recentActions` (`add_to_cart:85123A`, oldest first; written by the event consumer).
 */
export function liveCart(actions: readonly string[]): string[] {
  const cart = new Map<string, true>();
  for (const action of actions) {
    const at = action.indexOf(':');
    const type = action.slice(0, at);
    const id = action.slice(at + 1);
    if (!id) continue;
    if (type === 'add_to_cart') {
      cart.delete(id);
      cart.set(id, true);
    } else if (type === 'remove_from_cart' || type === 'purchase') cart.delete(id);
  }
  return [...cart.keys()];
}
