import type { FeatureStore } from '@recs/feature-store';
import type { ModelRegistry } from '../registry/ModelRegistry';
import type { ModelArtefacts } from '../train';

/** The store list recording which model version's offline features the store holds. */
export const FEATURES_VERSION_LIST = 'features:model-version';
const CHUNK = 2_000;

/**
 * Writes a model version's offline user and product features to the online store, in pipelined
 * chunks, then records the version. Skipped when the store already holds that version, so restarts
 * of several servers do not rewrite the same data. Returns the number of records written.
 */
export async function publishFeatures(
  store: FeatureStore,
  registry: ModelRegistry,
  version: string,
): Promise<number> {
  const marker = await store.getList(FEATURES_VERSION_LIST);
  if (marker?.[0] === version) return 0;
  const users = await registry.read<ModelArtefacts['userFeatures']>(version, 'userFeatures');
  const products = await registry.read<ModelArtefacts['productFeatures']>(version, 'productFeatures');
  let written = 0;
  for (const [kind, table] of [
    ['user', users],
    ['product', products],
  ] as const) {
    const entries = Object.entries(table).map(([id, values]) => ({ id, values: { ...values } }));
    for (let i = 0; i < entries.length; i += CHUNK) {
      await store.setMany(kind, entries.slice(i, i + CHUNK));
      written += Math.min(CHUNK, entries.length - i);
    }
  }
  await store.setList(FEATURES_VERSION_LIST, [version]);
  return written;
}
