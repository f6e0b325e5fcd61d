import { createHash } from 'node:crypto';
import type Redis from 'ioredis';

/** A Lua script run by its SHA-1 (EVALSHA), loaded with EVAL on the first NOSCRIPT. */
export function redisScript(
  source: string,
): (client: Redis, keys: string[], args: string[]) => Promise<unknown> {
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
