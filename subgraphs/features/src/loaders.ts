import DataLoader from 'dataloader';
import type { EntityKind, FeatureRecord, FeatureStore } from '@recs/feature-store';

export interface FeatureLoaders {
  user: DataLoader<string, FeatureRecord | null>;
  product: DataLoader<string, FeatureRecord | null>;
}

/**
 * Per-request loaders: all `features` fields of one request become one `getMany` per entity kind
 * (one MGET on Redis), with values aligned to the requested ids.
 */
export function createFeatureLoaders(store: FeatureStore): FeatureLoaders {
  const loader = (kind: EntityKind) =>
    new DataLoader<string, FeatureRecord | null>((ids) => store.getMany(kind, ids), { maxBatchSize: 1000 });
  return { user: loader('user'), product: loader('product') };
}
