import { appendFile } from 'node:fs/promises';
import {
  PRIVACY_SETS,
  eraseUserData,
  userDigest,
  type ErasureResult,
  type Logger,
  type UserDataEraser,
} from '@recs/core';
import {
  createFieldCacheEraser,
  eventLogEraser,
  globEscape,
  liveStoreEraser,
  redisClientOf,
  type EventLog,
  type FieldCacheLayout,
} from '@recs/events';
import { featureStoreEraser, type FeatureStore } from '@recs/feature-store';
import { SURFACES } from '@recs/experiments';

/**
 * Where the recommendations subgraph caches `User.recommendations` (mercurius-cache on Redis): every
 * list carries the references `user:<id>`, `user:<id>:<surface>` and `product:<id>` per item, and its key is `recs:<modelVersion>:<userId>:<surface>:...`
 * (subgraphs/recommendations/src/resolvers.ts, `userCacheReference` and `recommendationsCacheKey`).
 */
export const RECOMMENDATIONS_CACHE: FieldCacheLayout = {
  references: (userId) => [`user:${userId}`, ...SURFACES.map((surface) => `user:${userId}:${surface}`)],
  keyPatterns: (userId) => [`User.recommendations~recs:*:${globEscape(userId)}:*`],
  // every list also carries product:<id> references, shared with other shoppers' lists
  sharedReferencePatterns: ['product:*'],
};

export interface PrivacyOptions {
  /**
   * Erasers run after the built-in ones, in order (e.g. the experiments' exposure log). The built-in
   * ones: the event log, the live store, the offline feature store, and the recommendations' field
   * cache when the event log is on Redis (same server).
   */
  erasers?: UserDataEraser[];
  /** Append each tombstone (SHA-256 of the id) to this file too, for the offline pipeline. */
  tombstoneFile?: string;
}

/** Forgetting shoppers and their personalisation choice; see the README's "Privacy". */
export interface Privacy {
  readonly erasers: readonly UserDataEraser[];
  /** Records the tombstone, then runs every eraser (all of them, even after a failure). */
  forget(userId: string): Promise<ErasureResult[]>;
  /** Sets or clears the opt-out flag and drops the shopper's cached recommendation lists. */
  setOptOut(userId: string, optOut: boolean): Promise<void>;
  /** The opt-out flag of each shopper, in order. */
  optedOut(userIds: string[]): Promise<boolean[]>;
}

export function createPrivacy(deps: {
  store: FeatureStore;
  live: FeatureStore;
  log: EventLog;
  logger: Logger;
  options?: PrivacyOptions;
}): Privacy {
  const redis = redisClientOf(deps.log);
  const cache = redis ? createFieldCacheEraser({ client: redis, layout: RECOMMENDATIONS_CACHE }) : undefined;
  // Stop what feeds the live record first (stream entries a consumer has not applied yet), then the
  // records, then what is derived from them.
  const erasers: UserDataEraser[] = [
    eventLogEraser(deps.log),
    liveStoreEraser(deps.live),
    featureStoreEraser(deps.store, { name: 'feature-store' }),
    ...(cache ? [cache] : []),
    ...(deps.options?.erasers ?? []),
  ];
  const tombstoneFile = deps.options?.tombstoneFile;
  return {
    erasers,
    async forget(userId) {
      const digest = userDigest(userId);
      await deps.live.addMembers(PRIVACY_SETS.forgottenUsers, [digest]);
      if (tombstoneFile) await appendFile(tombstoneFile, `${digest}\n`, { mode: 0o600 });
      const results = await eraseUserData(erasers, userId);
      deps.logger.info(
        { tombstone: digest, results: results.map((r) => `${r.name}:${r.error ? 'failed' : r.removed}`) },
        'shopper forgotten',
      );
      return results;
    },
    async setOptOut(userId, optOut) {
      if (optOut) await deps.live.addMembers(PRIVACY_SETS.personalizationOptOut, [userId]);
      else await deps.live.removeMembers(PRIVACY_SETS.personalizationOptOut, [userId]);
      await cache?.erase(userId);
    },
    optedOut: (userIds) => deps.live.hasMembers(PRIVACY_SETS.personalizationOptOut, userIds),
  };
}

/**
 * Deletes the offline feature records of forgotten shoppers among `userIds` (the model version just
 * published still holds them). Resolves to the records deleted.
 */
export async function purgeForgotten(
  store: FeatureStore,
  live: FeatureStore,
  userIds: readonly string[],
): Promise<number> {
  const tombstones = new Set(await live.members(PRIVACY_SETS.forgottenUsers));
  if (tombstones.size === 0) return 0;
  const forgotten = userIds.filter((id) => tombstones.has(userDigest(id)));
  return forgotten.length === 0 ? 0 : store.deleteMany('user', forgotten);
}
