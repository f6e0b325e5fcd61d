import { createHash } from 'node:crypto';
import {
  closeRedisClient,
  createRedisClient,
  delAny,
  execAny,
  mgetAny,
  type RedisClient,
} from './redisClient';
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
  checkNamespace,
  checkSetChange,
  checkSetMembers,
  ttlMillis,
} from './checkArgs';
import { DEFAULT_KEY_PREFIX, DEFAULT_SCHEMA_VERSION, featureKey, listKey, setKey } from './keySchema';
import {
  checkValues,
  corrupt,
  decodeList,
  decodeRecord,
  encodeFields,
  encodeList,
  encodeRecord,
} from './recordCodec';

/** Options for {@link createRedisFeatureStore}: give `url` (the store owns the connection) or `client`. */
export interface RedisFeatureStoreOptions {
  /**
   * `redis://host:port[/db]` or `redis-cluster://h1:p1,h2:p2` (see `createRedisClient`); the store
   * opens and, on `close()`, quits its own connection.
   */
  url?: string;
  /** An existing connection (one server or a cluster); used as is and left open by `close()`. */
  client?: RedisClient;
  /**
   * With a `url` of a cluster: whether reads may go to replicas when the URL says `scaleReads=slave`
   * (offline features, written in bulk by the pipeline). Default false.
   */
  replicaReads?: boolean;
  /** Key prefix; default `recs`. */
  keyPrefix?: string;
  /** Key schema version; default 1. */
  schemaVersion?: number;
  /** Commands per pipeline in `setMany` and keys per DEL in `deleteMany`; default 500. */
  chunkSize?: number;
  /** How long `ping()` waits before answering false; default 1000 ms. */
  pingTimeoutMs?: number;
  /** Clock for `updatedAt`; default `Date.now`. */
  now?: () => number;
  /** Receives connection errors of a store-owned client; default: ioredis prints them. */
  onError?: (err: Error) => void;
}

/** Lua: loads the record at KEYS[1] into `record` (an empty one when missing), or replies CORRUPT. */
const LOAD_RECORD = `
local raw = redis.call('GET', KEYS[1])
local record
if raw then
  local ok, decoded = pcall(cjson.decode, raw)
  if not ok or type(decoded) ~= 'table' or type(decoded.values) ~= 'table' then
    return redis.error_reply('CORRUPT feature record is not a JSON object with values')
  end
  record = decoded
else
  record = { values = {} }
end
`;

/*
 * Atomic merge: KEYS[1] the record, ARGV[1] updatedAt, then field / JSON-encoded value pairs. Only the
 * outer record is decoded here; the values stay the strings JS encoded (see recordCodec.ts).
 */
const MERGE_SCRIPT = `${LOAD_RECORD}for i = 2, #ARGV, 2 do
  record.values[ARGV[i]] = ARGV[i + 1]
end
record.updatedAt = tonumber(ARGV[1])
redis.call('SET', KEYS[1], cjson.encode(record), 'KEEPTTL')
return 1
`;
const MERGE_SHA = createHash('sha1').update(MERGE_SCRIPT).digest('hex');

/*
 * Atomic set update (the Lua twin of applySetChange in checkArgs.ts): KEYS[1] the record; ARGV[1]
 * updatedAt, ARGV[2] field, ARGV[3] number of additions, ARGV[4] max members, then the additions, then
 * the removals. Members are written back as a JSON array of strings (encoded one by one, so an empty
 * set stays `[]`). Returns the new members.
 */
const SET_SCRIPT = `${LOAD_RECORD}local field = ARGV[2]
local current = {}
if record.values[field] ~= nil then
  local ok, arr = pcall(cjson.decode, record.values[field])
  if not ok or type(arr) ~= 'table' then
    return redis.error_reply('NOTSET feature is not an array of strings')
  end
  for _, v in ipairs(arr) do
    if type(v) ~= 'string' then return redis.error_reply('NOTSET feature is not an array of strings') end
  end
  current = arr
end
local nadd = tonumber(ARGV[3])
local max = tonumber(ARGV[4])
local removed = {}
for i = 5 + nadd, #ARGV do removed[ARGV[i]] = true end
local members = {}
local present = {}
for _, v in ipairs(current) do
  if not removed[v] then
    members[#members + 1] = v
    present[v] = true
  end
end
for i = 5, 4 + nadd do
  local v = ARGV[i]
  if not present[v] and not removed[v] then
    members[#members + 1] = v
    present[v] = true
  end
end
local first = 1
if #members > max then first = #members - max + 1 end
local kept = {}
local encoded = {}
for i = first, #members do
  kept[#kept + 1] = members[i]
  encoded[#encoded + 1] = cjson.encode(members[i])
end
record.values[field] = '[' .. table.concat(encoded, ',') .. ']'
record.updatedAt = tonumber(ARGV[1])
redis.call('SET', KEYS[1], cjson.encode(record), 'KEEPTTL')
return kept
`;
const SET_SHA = createHash('sha1').update(SET_SCRIPT).digest('hex');

/**
 * The production feature store: one JSON string per entity (so `getMany` is a single MGET), pipelined
 * chunked writes, and merges done server-side by a Lua script. Never scans the keyspace. On a Redis
 * Cluster every record is its own key, so records spread over all slots (a `{tag}` in `keyPrefix`
 * keeps a namespace in one slot instead); `getMany` becomes one MGET per slot pipelined per node,
 * writes one pipeline per node, and the scripts touch one key each.
 */
export function createRedisFeatureStore(opts: RedisFeatureStoreOptions): FeatureStore {
  const prefix = opts.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const version = opts.schemaVersion ?? DEFAULT_SCHEMA_VERSION;
  checkNamespace(prefix, version);
  const chunkSize = opts.chunkSize ?? 500;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
    throw new TypeError(`chunkSize must be a positive integer; received ${JSON.stringify(opts.chunkSize)}`);
  }
  const pingTimeoutMs = opts.pingTimeoutMs ?? 1000;
  const now = opts.now ?? Date.now;
  if (opts.client === undefined && !opts.url) {
    throw new TypeError('createRedisFeatureStore needs a url or a client; received neither');
  }
  const ownsClient = opts.client === undefined;
  const client =
    opts.client ??
    createRedisClient(opts.url!, { connectionName: 'recs-feature-store', replicaReads: opts.replicaReads });
  if (ownsClient && opts.onError) client.on('error', opts.onError);
  let closed = false;

  const open = (): void => {
    if (closed) throw new Error(`redis feature store (${prefix}:v${version}) is closed`);
  };

  /** Runs a script by its hash, loading it on the first NOSCRIPT. */
  async function runScript(script: string, sha: string, key: string, args: string[]): Promise<unknown> {
    try {
      return await client.evalsha(sha, 1, key, ...args);
    } catch (err) {
      const message = (err as Error).message ?? '';
      if (message.startsWith('NOSCRIPT')) return client.eval(script, 1, key, ...args);
      throw err;
    }
  }

  return {
    kind: 'redis',

    async getMany(kind: EntityKind, ids: readonly string[]): Promise<(FeatureRecord | null)[]> {
      open();
      checkIds(kind, ids);
      if (ids.length === 0) return [];
      const keys = ids.map((id) => featureKey(prefix, version, kind, id));
      // One MGET on a server; per slot, pipelined per node, on a cluster.
      const raws = await mgetAny(client, keys);
      return raws.map((raw, i) => (raw === null ? null : decodeRecord(keys[i]!, raw)));
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
      for (let start = 0; start < entries.length; start += chunkSize) {
        // One pipeline per chunk on a server, one per node on a cluster.
        const results = await execAny(
          client,
          entries.slice(start, start + chunkSize).map(({ id, values }) => {
            const key = featureKey(prefix, version, kind, id);
            const raw = encodeRecord(values, updatedAt);
            return ttlMs === undefined ? ['set', key, raw] : ['set', key, raw, 'PX', ttlMs];
          }),
        );
        const failed = results.find(([err]) => err !== null);
        if (failed) throw new Error(`setMany of ${kind} records failed: ${failed[0]!.message}`);
      }
    },

    async merge(kind: EntityKind, id: string, patch: FeatureValue): Promise<void> {
      open();
      checkKind(kind);
      checkId(kind, id);
      checkValues(`${kind} ${id}`, patch);
      const key = featureKey(prefix, version, kind, id);
      const args = [String(now()), ...Object.entries(encodeFields(patch)).flat()];
      try {
        await runScript(MERGE_SCRIPT, MERGE_SHA, key, args);
      } catch (err) {
        const message = (err as Error).message ?? '';
        if (!message.includes('CORRUPT')) throw err;
        const raw = (await client.get(key)) ?? '';
        throw corrupt(key, 'merge found no feature record object', raw);
      }
    },

    async updateSet(kind: EntityKind, id: string, field: string, change: SetChange): Promise<string[]> {
      open();
      checkKind(kind);
      checkId(kind, id);
      const max = checkSetChange(field, change);
      const key = featureKey(prefix, version, kind, id);
      const add = change.add ?? [];
      const args = [String(now()), field, String(add.length), String(max), ...add, ...(change.remove ?? [])];
      try {
        return (await runScript(SET_SCRIPT, SET_SHA, key, args)) as string[];
      } catch (err) {
        const message = (err as Error).message ?? '';
        if (!message.includes('CORRUPT') && !message.includes('NOTSET')) throw err;
        const raw = (await client.get(key)) ?? '';
        throw corrupt(key, `updateSet found no string array in feature "${field}"`, raw);
      }
    },

    async deleteMany(kind: EntityKind, ids: readonly string[]): Promise<number> {
      open();
      checkIds(kind, ids);
      // DELs of at most chunkSize keys, per slot on a cluster.
      return delAny(
        client,
        ids.map((id) => featureKey(prefix, version, kind, id)),
        chunkSize,
      );
    },

    async getList(name: string): Promise<string[] | null> {
      open();
      checkListName(name);
      const key = listKey(prefix, version, name);
      const raw = await client.get(key);
      return raw === null ? null : decodeList(key, raw);
    },

    async setList(name: string, values: string[]): Promise<void> {
      open();
      checkListName(name);
      checkListValues(name, values);
      await client.set(listKey(prefix, version, name), encodeList(values));
    },

    async addMembers(name: string, members: readonly string[]): Promise<number> {
      open();
      checkSetMembers(name, members);
      return members.length === 0 ? 0 : client.sadd(setKey(prefix, version, name), ...members);
    },

    async removeMembers(name: string, members: readonly string[]): Promise<number> {
      open();
      checkSetMembers(name, members);
      return members.length === 0 ? 0 : client.srem(setKey(prefix, version, name), ...members);
    },

    async hasMembers(name: string, members: readonly string[]): Promise<boolean[]> {
      open();
      checkSetMembers(name, members);
      if (members.length === 0) return [];
      const found = await client.smismember(setKey(prefix, version, name), ...members);
      return found.map((f) => f === 1);
    },

    async members(name: string): Promise<string[]> {
      open();
      checkSetMembers(name, []);
      const out = new Set<string>();
      let cursor = '0';
      do {
        const [next, some] = await client.sscan(setKey(prefix, version, name), cursor, 'COUNT', 1000);
        for (const m of some) out.add(m);
        cursor = next;
      } while (cursor !== '0');
      return [...out];
    },

    async ping(): Promise<boolean> {
      if (closed) return false;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), pingTimeoutMs);
      });
      const answer = client.ping().then(
        (reply) => reply === 'PONG',
        () => false,
      );
      try {
        return await Promise.race([answer, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (!ownsClient) return;
      // QUIT needs a live connection; otherwise stop reconnecting and drop queued commands.
      await closeRedisClient(client);
    },
  };
}
