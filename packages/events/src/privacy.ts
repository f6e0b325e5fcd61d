import { createHash } from 'node:crypto';
import { PRIVACY_SETS, type UserDataEraser } from '@recs/core';
import {
  delAny,
  featureStoreEraser,
  scanAll,
  type FeatureStore,
  type RedisClient,
} from '@recs/feature-store';
import type { RecsEvent } from './Event';
import type { EventLog } from './EventLog';

/** Erases a shopper's events: stream entries, dead letters, idempotency keys ({@link EventLog.eraseUser}). */
export function eventLogEraser(log: EventLog): UserDataEraser {
  return { name: 'event-log', erase: (userId) => log.eraseUser(userId) };
}

/**
 * Erases a shopper's live record (`recs-live:v1:feat:user:<id>`: session history and counters the
 * consumer writes, and the preferences the recommendations subgraph keeps there: hidden products and
 * categories, age verification, e-mail sends) and their opt-out flag.
 */
export function liveStoreEraser(live: FeatureStore): UserDataEraser {
  return featureStoreEraser(live, { name: 'live-store', sets: [PRIVACY_SETS.personalizationOptOut] });
}

/**
 * The form in which a shopper event of someone who opted out of personalisation is stored: without
 * anything that points at the shopper (user, session, recommendation request, country, device) and
 * with the client's event id replaced by a digest of it (idempotency still holds: a retry maps to the
 * same id), so it only feeds the product counters. Catalogue events are returned unchanged.
 */
export function anonymise(event: RecsEvent): RecsEvent {
  if (event.userId === undefined) return event;
  const {
    userId: _user,
    sessionId: _session,
    requestId: _request,
    country: _country,
    device: _device,
    ...rest
  } = event;
  const eventId = `anon-${createHash('sha256').update(event.eventId).digest('base64url').slice(0, 32)}`;
  return { ...rest, eventId, anonymous: true };
}

/** Escapes Redis glob characters, so an id matches only itself in `SCAN MATCH`. */
export function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/**
 * Where a field cache on Redis (mercurius-cache over async-cache-dedupe's Redis storage) keeps one
 * shopper's answers: values at `<Type.field>~<policy key>`, reference sets `r:<reference>` listing the
 * keys cached under a reference, and `k:<key>` sets listing a key's references.
 */
export interface FieldCacheLayout {
  /** The references every answer for this shopper carries (e.g. `user:<id>`). */
  references(userId: string): string[];
  /**
   * `SCAN MATCH` patterns of the value keys that hold the shopper's id, to catch values whose reference
   * set expired first; ids inside must be escaped with {@link globEscape}.
   */
  keyPatterns(userId: string): string[];
  /**
   * Reference sets shared by many shoppers' answers (e.g. `product:*`, one per product in a list),
   * as `SCAN MATCH` patterns without the `r:` prefix: the shopper's keys are removed from each of
   * them (their members are cache keys, which hold the shopper's id).
   */
  sharedReferencePatterns?: string[];
}

/**
 * Erases a shopper's cached answers from a Redis field cache: the keys their reference sets list, the
 * keys matching the layout's patterns (one `SCAN` of the keyspace, in slices), the reference sets and
 * the keys' `k:` sets. Resolves to the keys deleted.
 */
export function createFieldCacheEraser(opts: {
  /** One server or a cluster (SCAN then covers every master, DELs go per slot). */
  client: RedisClient;
  layout: FieldCacheLayout;
  name?: string;
}): UserDataEraser {
  const { client, layout } = opts;
  const scan = async (pattern: string, into: Set<string>): Promise<void> => {
    for (const k of await scanAll(client, pattern, 1000)) into.add(k);
  };
  return {
    name: opts.name ?? 'field-cache',
    async erase(userId: string): Promise<number> {
      const values = new Set<string>();
      const sets = new Set<string>();
      for (const reference of layout.references(userId)) {
        const key = `r:${reference}`;
        for (const k of await client.smembers(key)) values.add(k);
        sets.add(key);
      }
      for (const pattern of layout.keyPatterns(userId)) {
        await scan(pattern, values);
        await scan(`k:${pattern}`, sets);
      }
      for (const k of values) sets.add(`k:${k}`);
      let removed = 0;
      const shared = new Set<string>();
      for (const pattern of layout.sharedReferencePatterns ?? []) await scan(`r:${pattern}`, shared);
      for (const set of shared) {
        for (const pattern of layout.keyPatterns(userId)) {
          let cursor = '0';
          do {
            const [next, members] = await client.sscan(set, cursor, 'MATCH', pattern, 'COUNT', 1000);
            if (members.length > 0) removed += await client.srem(set, ...members);
            cursor = next;
          } while (cursor !== '0');
        }
      }
      const all = [...values, ...sets];
      removed += await delAny(client, all, 500);
      return removed;
    },
  };
}
