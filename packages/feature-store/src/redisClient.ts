import { parseRedisUrl, redactRedisUrl } from '@recs/core';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/**
 * One Redis server or a Redis Cluster: every Redis user in the engine takes either. Commands on single
 * keys work the same on both; what does not (multi-key commands, Lua scripts, pipelines, SCAN/KEYS
 * over the keyspace) goes through the helpers below, which split the work per hash slot or per node
 * on a cluster and pass it through unchanged on one server.
 */
export type RedisClient = Redis | Cluster;

/** Options of {@link createRedisClient}. */
export interface RedisClientOptions {
  /** `CLIENT SETNAME` of every connection. */
  connectionName?: string;
  /** Per-connection options (timeouts, retries, offline queue…), applied to each cluster node too. */
  redis?: RedisOptions;
  /**
   * Whether this client's reads may be served by replicas (lag of a few ms). Only then does the URL's
   * `scaleReads` apply; default false (masters only: read-your-writes).
   */
  replicaReads?: boolean;
  /** Extra cluster options (tests); merged over the defaults. */
  cluster?: ClusterOptions;
}

/**
 * Node options ioredis would otherwise treat per connection; on a cluster they belong to the cluster
 * (the offline queue is the cluster's, auto-pipelining groups commands per node).
 */
const CLUSTER_LEVEL = ['enableOfflineQueue', 'enableAutoPipelining', 'lazyConnect'] as const;

/**
 * The one place a Redis client is built: `redis://`/`rediss://` gives a {@link Redis}, a
 * `redis-cluster://h1:p1,h2:p2[?scaleReads=slave]` URL (`rediss-cluster://` for TLS) a
 * {@link RecsCluster}. Cluster defaults: masters for reads unless `replicaReads` and the URL say
 * otherwise; MOVED/ASK followed up to 16 times; a command that meets a failover (`CLUSTERDOWN`,
 * `TRYAGAIN`) is retried after 100 ms; the slot map is refreshed every 5 s and on every MOVED.
 */
export function createRedisClient(url: string, opts: RedisClientOptions = {}): RedisClient {
  const target = parseRedisUrl(url);
  const nodeOptions: RedisOptions = {
    ...(opts.connectionName ? { connectionName: opts.connectionName } : {}),
    ...opts.redis,
  };
  if (target.kind === 'single') return new Redis(url, nodeOptions);
  const clusterLevel: ClusterOptions = {};
  const perNode: RedisOptions = { ...nodeOptions };
  for (const key of CLUSTER_LEVEL) {
    if (perNode[key] !== undefined) (clusterLevel as Record<string, unknown>)[key] = perNode[key];
    delete perNode[key];
  }
  if (target.username) perNode.username = target.username;
  if (target.password) perNode.password = target.password;
  if (target.tls) perNode.tls = {};
  return new RecsCluster(target.nodes, {
    scaleReads: opts.replicaReads ? target.scaleReads : 'master',
    maxRedirections: 16,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 100,
    slotsRefreshTimeout: 2000,
    slotsRefreshInterval: 5000,
    enableReadyCheck: true,
    // Keep trying to reach the cluster (as the single-server clients do): a serving process must come
    // back by itself after an outage, answering without Redis meanwhile.
    clusterRetryStrategy: (times) => Math.min(100 * times, 2000),
    // TLS: connect to the host names the slot map gives, so certificates are checked against them.
    ...(target.tls
      ? {
          dnsLookup: (address: string, callback: (err: null, address: string) => void) =>
            callback(null, address),
        }
      : {}),
    ...clusterLevel,
    ...opts.cluster,
    redisOptions: { ...perNode, ...opts.cluster?.redisOptions },
  });
}

/** True when `client` talks to a Redis Cluster. */
export function isCluster(client: RedisClient): client is Cluster {
  return (client as { isCluster?: boolean }).isCluster === true || client instanceof Cluster;
}

/** A URL safe to log (password hidden). */
export const describeRedisUrl = redactRedisUrl;

// ---------------------------------------------------------------------------------------------------
// Hash slots

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

/** The hash tag of a key (what is hashed): the text inside the first `{…}` if non-empty, else the key. */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  if (close < 0 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

/** The cluster hash slot of a key (CRC16/XMODEM of its hash tag, mod 16384), as Redis computes it. */
export function keySlot(key: string): number {
  const bytes = Buffer.from(hashTagOf(key), 'utf8');
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc % 16384;
}

/**
 * Groups positions of `keys` by the node serving their slot (one group on a single server). Within a
 * group every key is on the same node, but not necessarily in the same slot: see {@link bySlot}.
 */
export function byNode(client: RedisClient, keys: readonly string[]): number[][] {
  if (!isCluster(client)) return keys.length === 0 ? [] : [keys.map((_, i) => i)];
  const groups = new Map<string, number[]>();
  const slots = client.slots;
  keys.forEach((key, i) => {
    const slot = keySlot(key);
    // Before the first slot map arrives, fall back to one group per slot (correct, just more round trips).
    const node = slots[slot]?.join(',') ?? `slot:${slot}`;
    let group = groups.get(node);
    if (!group) groups.set(node, (group = []));
    group.push(i);
  });
  return [...groups.values()];
}

/** Groups positions of `keys` (a subset given by `of`, default all) by hash slot. */
export function bySlot(keys: readonly string[], of?: readonly number[]): number[][] {
  const groups = new Map<number, number[]>();
  for (const i of of ?? keys.map((_, j) => j)) {
    const slot = keySlot(keys[i]!);
    let group = groups.get(slot);
    if (!group) groups.set(slot, (group = []));
    group.push(i);
  }
  return [...groups.values()];
}

// ---------------------------------------------------------------------------------------------------
// Multi-key operations that work on both

/** MGET of any keys: one MGET on a server; on a cluster one pipeline per node of one MGET per slot. */
export async function mgetAny(client: RedisClient, keys: readonly string[]): Promise<(string | null)[]> {
  if (keys.length === 0) return [];
  if (!isCluster(client)) return client.mget(keys as string[]);
  // One slot (one key, or a namespace under one hash tag): a plain MGET, which the cluster routes.
  const first = keySlot(keys[0]!);
  if (keys.every((k) => keySlot(k) === first)) return client.mget(keys as string[]);
  const out = new Array<string | null>(keys.length).fill(null);
  await Promise.all(
    byNode(client, keys).map(async (onNode) => {
      const slots = bySlot(keys, onNode);
      if (slots.length === 1) {
        const values = await client.mget(onNode.map((i) => keys[i]!));
        values.forEach((v, j) => (out[onNode[j]!] = v));
        return;
      }
      const pipeline = client.pipeline();
      for (const slot of slots) pipeline.mget(slot.map((i) => keys[i]!));
      const results = (await pipeline.exec()) ?? [];
      results.forEach(([err, values], s) => {
        if (err) throw err;
        (values as (string | null)[]).forEach((v, j) => (out[slots[s]![j]!] = v));
      });
    }),
  );
  return out;
}

/** DEL of any keys, in chunks of `chunk` keys per DEL (per slot on a cluster); resolves to the count. */
export async function delAny(client: RedisClient, keys: readonly string[], chunk = 500): Promise<number> {
  if (keys.length === 0) return 0;
  const groups = isCluster(client) ? bySlot(keys) : [keys.map((_, i) => i)];
  let deleted = 0;
  for (const group of groups) {
    for (let start = 0; start < group.length; start += chunk) {
      deleted += await client.del(...group.slice(start, start + chunk).map((i) => keys[i]!));
    }
  }
  return deleted;
}

/** A command for {@link execAny}: name, then arguments; the first argument is the key that routes it. */
export type RedisCommand = [name: string, ...args: unknown[]];

/**
 * Runs commands as pipelines and answers `[error, result]` per command, in order: one pipeline on a
 * server; on a cluster one pipeline per node (by each command's first argument, its key), in parallel.
 * Commands whose keys span slots must not be given (Redis would answer CROSSSLOT).
 */
export async function execAny(
  client: RedisClient,
  commands: readonly RedisCommand[],
): Promise<[Error | null, unknown][]> {
  if (commands.length === 0) return [];
  if (!isCluster(client))
    return ((await client.pipeline(commands as unknown as unknown[][]).exec()) ?? []) as [
      Error | null,
      unknown,
    ][];
  const out = new Array<[Error | null, unknown]>(commands.length);
  const keys = commands.map((c) => (c.length > 1 ? String(flatFirst(c[1])) : ''));
  await Promise.all(
    byNode(client, keys).map(async (group) => {
      const pipeline = Cluster.prototype.pipeline.call(
        client,
        group.map((i) => commands[i]! as unknown[]),
      );
      const results = ((await pipeline.exec()) ?? []) as [Error | null, unknown][];
      results.forEach((r, j) => (out[group[j]!] = r));
    }),
  );
  return out;
}

const flatFirst = (arg: unknown): unknown => (Array.isArray(arg) ? arg[0] : arg);

/** The master nodes of a cluster, or the server itself. */
export function masters(client: RedisClient): Redis[] {
  return isCluster(client) ? client.nodes('master') : [client];
}

/** SCAN MATCH over the whole keyspace: every master of a cluster. Resolves to the distinct keys. */
export async function scanAll(client: RedisClient, pattern: string, count = 1000): Promise<string[]> {
  const out = new Set<string>();
  for (const node of masters(client)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      for (const k of keys) out.add(k);
      cursor = next;
    } while (cursor !== '0');
  }
  return [...out];
}

/** Closes a client: QUIT when connected, else stop reconnecting and drop queued commands. */
export async function closeRedisClient(client: RedisClient): Promise<void> {
  if (client.status !== 'ready') return client.disconnect();
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------------
// The cluster client

/**
 * An ioredis {@link Cluster} whose keyspace-wide commands behave as on one server, so libraries
 * written for one server (async-cache-dedupe's Redis storage behind mercurius-cache) run unchanged:
 * `pipeline([...commands])` is split per node, `keys(pattern)` scans every master, `flushall` /
 * `flushdb` flush every master. `pipeline()` with no argument (chained commands) is ioredis' own and
 * keeps its rule: every key on one node.
 */
export class RecsCluster extends Cluster {
  override pipeline(commands?: unknown[][]): ReturnType<Cluster['pipeline']> {
    if (!commands || commands.length === 0) return super.pipeline(commands);
    // Only exec() is offered on the split form (what async-cache-dedupe calls); it runs on exec().
    const queued = [...commands] as RedisCommand[];
    return { exec: () => execAny(this, queued), length: queued.length } as unknown as ReturnType<
      Cluster['pipeline']
    >;
  }

  override keys(pattern: string | Buffer): Promise<string[]> & Promise<never> {
    return scanAll(this, String(pattern)) as Promise<string[]> & Promise<never>;
  }

  override flushall(): Promise<'OK'> & Promise<never> {
    return Promise.all(this.nodes('master').map((n) => n.flushall())).then(
      () => 'OK' as const,
    ) as Promise<'OK'> & Promise<never>;
  }

  override flushdb(): Promise<'OK'> & Promise<never> {
    return Promise.all(this.nodes('master').map((n) => n.flushdb())).then(
      () => 'OK' as const,
    ) as Promise<'OK'> & Promise<never>;
  }
}
