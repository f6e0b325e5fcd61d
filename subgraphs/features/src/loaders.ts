import DataLoader from 'dataloader';
import { PRIVACY_SETS } from '@recs/core';
import type { EntityKind, FeatureRecord, FeatureStore } from '@recs/feature-store';

export interface FeatureLoaders {
  user: DataLoader<string, FeatureRecord | null>;
  product: DataLoader<string, FeatureRecord | null>;
  /** Live records (event counters, session history, catalogue flags) from the live store. */
  liveUser: DataLoader<string, FeatureRecord | null>;
  liveProduct: DataLoader<string, FeatureRecord | null>;
  /** Whether each shopper opted out of personalisation (one set lookup per request). */
  optOut: DataLoader<string, boolean>;
}

/**
 * Per-request loaders: all `features` fields of one request become one `getMany` per entity kind
 * (one MGET on Redis), with values aligned to the requested ids; the same for `activity` on the live store.
 */
export function createFeatureLoaders(store: FeatureStore, live: FeatureStore): FeatureLoaders {
  const loader = (from: FeatureStore, kind: EntityKind) =>
    new DataLoader<string, FeatureRecord | null>((ids) => from.getMany(kind, ids), { maxBatchSize: 1000 });
  return {
    user: loader(store, 'user'),
    product: loader(store, 'product'),
    liveUser: loader(live, 'user'),
    liveProduct: loader(live, 'product'),
    optOut: new DataLoader<string, boolean>(
      (ids) => live.hasMembers(PRIVACY_SETS.personalizationOptOut, ids),
      {
        maxBatchSize: 1000,
      },
    ),
  };
}
