import type { UserDataEraser } from '@recs/core';
import type { FeatureStore } from './FeatureStore';

/**
 * The eraser of a shopper's data in a feature store: their user record and their membership of the
 * named `sets` given (e.g. the live store's opt-out set). Resolves to the items removed.
 */
export function featureStoreEraser(
  store: FeatureStore,
  opts: { name: string; sets?: readonly string[] },
): UserDataEraser {
  return {
    name: opts.name,
    async erase(userId: string): Promise<number> {
      let removed = await store.deleteMany('user', [userId]);
      for (const set of opts.sets ?? []) removed += await store.removeMembers(set, [userId]);
      return removed;
    },
  };
}
