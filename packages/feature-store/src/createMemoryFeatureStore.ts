import type {
  EntityKind,
  FeatureRecord,
  FeatureStore,
  FeatureValue,
  SetChange,
  SetManyOptions,
} from './FeatureStore';
import {
  checkId,
  checkIds,
  checkKind,
  checkListName,
  checkListValues,
  applySetChange,
  checkNamespace,
  checkSetChange,
  checkSetMembers,
  ttlMillis,
} from './checkArgs';
import { DEFAULT_KEY_PREFIX, DEFAULT_SCHEMA_VERSION, featureKey, listKey, setKey } from './keySchema';
import { MemoryKeyspace } from './MemoryKeyspace';
import {
  checkValues,
  corrupt,
  decodeList,
  decodeRecord,
  encodeFields,
  encodeList,
  encodeRecord,
} from './recordCodec';

/** Options for {@link createMemoryFeatureStore}. */
export interface MemoryFeatureStoreOptions {
  /** Key schema version; default 1. */
  schemaVersion?: number;
  /** Key prefix; default `recs`. */
  keyPrefix?: string;
  /** Share data with other stores on the same keyspace; default: a private one. */
  keyspace?: MemoryKeyspace;
  /** Clock for `updatedAt` (and for expiry of a private keyspace); default `Date.now`. */
  now?: () => number;
}

/**
 * The embedded feature store: same key schema, encoding, validation and TTL semantics as the Redis
 * store, kept in process memory.
 */
export function createMemoryFeatureStore(opts: MemoryFeatureStoreOptions = {}): FeatureStore {
  const prefix = opts.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const version = opts.schemaVersion ?? DEFAULT_SCHEMA_VERSION;
  checkNamespace(prefix, version);
  const now = opts.now ?? Date.now;
  const space = opts.keyspace ?? new MemoryKeyspace(now);
  let closed = false;

  const open = (): void => {
    if (closed) throw new Error(`memory feature store (${prefix}:v${version}) is closed`);
  };

  return {
    kind: 'memory',

    async getMany(kind: EntityKind, ids: readonly string[]): Promise<(FeatureRecord | null)[]> {
      open();
      checkIds(kind, ids);
      return ids.map((id) => {
        const key = featureKey(prefix, version, kind, id);
        const raw = space.get(key);
        return raw === null ? null : decodeRecord(key, raw);
      });
    },

    async setMany(kind, entries, setOpts?: SetManyOptions): Promise<void> {
      open();
      checkKind(kind);
      const ttlMs = ttlMillis(setOpts);
      for (const { id, values } of entries) {
        checkId(kind, id);
        checkValues(`${kind} ${id}`, values);
      }
      const updatedAt = now();
      for (const { id, values } of entries) {
        space.set(featureKey(prefix, version, kind, id), encodeRecord(values, updatedAt), ttlMs);
      }
    },

    async merge(kind: EntityKind, id: string, patch: FeatureValue): Promise<void> {
      open();
      checkKind(kind);
      checkId(kind, id);
      checkValues(`${kind} ${id}`, patch);
      const key = featureKey(prefix, version, kind, id);
      const raw = space.get(key);
      const current = raw === null ? {} : encodeFields(decodeRecord(key, raw).values);
      // Same stored shape the Redis merge script writes; no await in between, so it is atomic.
      const fields = { ...current, ...encodeFields(patch) };
      space.set(key, JSON.stringify({ updatedAt: now(), values: fields }), 'keep');
    },

    async updateSet(kind: EntityKind, id: string, field: string, change: SetChange): Promise<string[]> {
      open();
      checkKind(kind);
      checkId(kind, id);
      const max = checkSetChange(field, change);
      const key = featureKey(prefix, version, kind, id);
      const raw = space.get(key);
      const values = raw === null ? {} : decodeRecord(key, raw).values;
      const current = values[field] ?? [];
      if (!Array.isArray(current) || !current.every((v) => typeof v === 'string')) {
        throw corrupt(key, `updateSet found no string array in feature "${field}"`, raw ?? '');
      }
      const members = applySetChange(current as string[], change, max);
      // No await since the read, so this is atomic like the Redis script.
      const fields = { ...encodeFields(values), [field]: JSON.stringify(members) };
      space.set(key, JSON.stringify({ updatedAt: now(), values: fields }), 'keep');
      return members;
    },

    async deleteMany(kind: EntityKind, ids: readonly string[]): Promise<number> {
      open();
      checkIds(kind, ids);
      let deleted = 0;
      for (const id of new Set(ids)) if (space.delete(featureKey(prefix, version, kind, id))) deleted++;
      return deleted;
    },

    async getList(name: string): Promise<string[] | null> {
      open();
      checkListName(name);
      const key = listKey(prefix, version, name);
      const raw = space.get(key);
      return raw === null ? null : decodeList(key, raw);
    },

    async setList(name: string, values: string[]): Promise<void> {
      open();
      checkListName(name);
      checkListValues(name, values);
      space.set(listKey(prefix, version, name), encodeList(values), undefined);
    },

    async addMembers(name: string, members: readonly string[]): Promise<number> {
      open();
      checkSetMembers(name, members);
      const set = space.namedSet(setKey(prefix, version, name), true);
      let added = 0;
      for (const m of members) {
        if (set.has(m)) continue;
        set.add(m);
        added++;
      }
      return added;
    },

    async removeMembers(name: string, members: readonly string[]): Promise<number> {
      open();
      checkSetMembers(name, members);
      const set = space.namedSet(setKey(prefix, version, name));
      let removed = 0;
      for (const m of new Set(members)) if (set?.delete(m)) removed++;
      return removed;
    },

    async hasMembers(name: string, members: readonly string[]): Promise<boolean[]> {
      open();
      checkSetMembers(name, members);
      const set = space.namedSet(setKey(prefix, version, name));
      return members.map((m) => set?.has(m) ?? false);
    },

    async members(name: string): Promise<string[]> {
      open();
      checkSetMembers(name, []);
      return [...(space.namedSet(setKey(prefix, version, name)) ?? [])];
    },

    async ping(): Promise<boolean> {
      return !closed;
    },

    async close(): Promise<void> {
      closed = true;
    },
  };
}
