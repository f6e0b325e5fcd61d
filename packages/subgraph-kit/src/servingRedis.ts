import { Redis, type RedisOptions } from 'ioredis';

/**
 * Options of a serving process's Redis connection (field cache, live store). A request must never wait
 * for a Redis that is down: commands fail at once while the connection is away (no offline queue) and
 * the client keeps reconnecting in the background; the callers answer without the cache or with their
 * fallback.
 */
export const SERVING_REDIS_OPTIONS: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 1000,
  enableAutoPipelining: true,
  retryStrategy: (times) => Math.min(times * 100, 1000),
};

/** A serving Redis connection with {@link SERVING_REDIS_OPTIONS}; connection errors go to `onError`. */
export function createServingRedis(url: string, onError: (err: Error) => void): Redis {
  const client = new Redis(url, SERVING_REDIS_OPTIONS);
  client.on('error', onError);
  return client;
}
