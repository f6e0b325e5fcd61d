import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

/** One Redis server or a Redis Cluster. */
export type ExperimentsRedis = Redis | Cluster;

/**
 * The experiments' key prefix on `client`: on a Redis Cluster a prefix without a hash tag is tagged
 * (`recs-exp` → `{recs-exp}`), so every experiment key lives in one slot and the multi-key scripts
 * (commit, exposure, attribution) and pipelines run there. Unchanged on one server.
 */
export function experimentsPrefixOn(client: ExperimentsRedis, prefix: string): string {
  const clustered = (client as { isCluster?: boolean }).isCluster === true;
  return clustered && !/\{[^{}]+\}/.test(prefix) ? `{${prefix}}` : prefix;
}

/** A Lua script run by its SHA-1 (EVALSHA), loaded with EVAL on the first NOSCRIPT. */
export function redisScript(
  source: string,
): (client: ExperimentsRedis, keys: string[], args: string[]) => Promise<unknown> {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (client, keys, args) => {
    try {
      return await client.evalsha(sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!((err as Error).message ?? '').startsWith('NOSCRIPT')) throw err;
      return client.eval(source, keys.length, ...keys, ...args);
    }
  };
}
