/**
 * Where the engine's Redis is, parsed from one configuration string (`REDIS_URL`):
 *
 * - `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS): one Redis server;
 * - `redis-cluster://[user:password@]host1:port1,host2:port2[,…][?scaleReads=master|slave|all]` or
 *   `rediss-cluster://…` (TLS): a Redis Cluster, reached through any of the seed nodes listed (the
 *   client discovers the others). `scaleReads` is honoured only by clients whose reads may lag the
 *   writes by the replication delay (the offline feature store); everything else reads the masters.
 *
 * Pure parsing, no client: the client factory is `createRedisClient` in `@recs/feature-store`.
 */
export type RedisTarget =
  | { kind: 'single'; url: string }
  | {
      kind: 'cluster';
      nodes: { host: string; port: number }[];
      username?: string;
      password?: string;
      tls: boolean;
      scaleReads: 'master' | 'slave' | 'all';
    };

export const REDIS_URL_PROTOCOLS = ['redis', 'rediss', 'redis-cluster', 'rediss-cluster'] as const;

const CLUSTER_URL = /^(rediss?)-cluster:\/\/(?:([^@/]*)@)?([^/?#]+)\/?(?:\?([^#]*))?$/;

/** True for a `redis-cluster://` or `rediss-cluster://` URL. */
export function isRedisClusterUrl(url: string | undefined): boolean {
  return url !== undefined && /^rediss?-cluster:\/\//i.test(url.trim());
}

/** Parses a Redis URL (see {@link RedisTarget}); throws a TypeError naming what is wrong. */
export function parseRedisUrl(url: string): RedisTarget {
  const text = url.trim();
  if (!isRedisClusterUrl(text)) {
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      throw new TypeError(`not a Redis URL: ${JSON.stringify(redactRedisUrl(text))}`);
    }
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
      throw new TypeError(
        `a Redis URL needs protocol redis, rediss, redis-cluster or rediss-cluster; received ${JSON.stringify(parsed.protocol)}`,
      );
    }
    return { kind: 'single', url: text };
  }
  const m = CLUSTER_URL.exec(text);
  if (!m) throw new TypeError(`not a Redis Cluster URL: ${JSON.stringify(redactRedisUrl(text))}`);
  const [, scheme, auth, hostList, query] = m;
  const nodes = hostList!.split(',').map((hostPort) => {
    const hp = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(hostPort.trim());
    const port = hp ? Number(hp[2]) : NaN;
    if (!hp || !(port > 0 && port < 65536)) {
      throw new TypeError(`a Redis Cluster node must be host:port; received ${JSON.stringify(hostPort)}`);
    }
    return { host: hp[1]!.replace(/^\[|\]$/g, ''), port };
  });
  let username: string | undefined;
  let password: string | undefined;
  if (auth) {
    const colon = auth.indexOf(':');
    username = decodeURIComponent(colon < 0 ? auth : auth.slice(0, colon)) || undefined;
    password = colon < 0 ? undefined : decodeURIComponent(auth.slice(colon + 1)) || undefined;
  }
  const params = new URLSearchParams(query ?? '');
  const scaleReads = params.get('scaleReads') ?? 'master';
  if (scaleReads !== 'master' && scaleReads !== 'slave' && scaleReads !== 'all') {
    throw new TypeError(`scaleReads must be master, slave or all; received ${JSON.stringify(scaleReads)}`);
  }
  for (const key of params.keys()) {
    if (key !== 'scaleReads') throw new TypeError(`unknown Redis Cluster URL option ${JSON.stringify(key)}`);
  }
  return {
    kind: 'cluster',
    nodes,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    tls: scheme === 'rediss',
    scaleReads,
  };
}

/** The URL with its password replaced, for logs and errors. */
export function redactRedisUrl(url: string): string {
  return url.replace(/^([a-z-]+:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
}
