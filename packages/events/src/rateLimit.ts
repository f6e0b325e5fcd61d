import { createHash } from 'node:crypto';
import { createRedisClient, type RedisClient } from '@recs/feature-store';

/** A token bucket: `burst` tokens at most, refilled at `perSecond` tokens a second. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

/** The answer of {@link RateLimiter.take}. */
export interface RateDecision {
  allowed: boolean;
  /** Whole tokens left after this call. */
  remaining: number;
  /** When refused: how long until `cost` tokens are there (ms, at least 1); 0 when allowed. */
  retryAfterMs: number;
}

/**
 * Token buckets by key (one per API key or shopper). Redis and memory implementations behave the same
 * (test/rateLimit.test.ts); on Redis the buckets are shared by every replica and use the server's clock.
 */
export interface RateLimiter {
  readonly kind: 'redis' | 'memory';
  /**
   * Takes `cost` tokens from `key`'s bucket if it holds them (nothing is taken otherwise). A cost above
   * the burst is charged as the burst: a batch larger than the burst needs a full bucket.
   */
  take(key: string, cost: number, limit: RateLimit): Promise<RateDecision>;
  /** Releases a connection the limiter opened. */
  close(): Promise<void>;
}

function checkLimit(limit: RateLimit, cost: number): void {
  if (!(limit.perSecond > 0) || !(limit.burst >= 1) || !Number.isFinite(limit.perSecond + limit.burst)) {
    throw new RangeError(
      `a rate limit needs perSecond > 0 and burst >= 1; received ${JSON.stringify(limit)}`,
    );
  }
  if (!Number.isSafeInteger(cost) || cost < 1) {
    throw new RangeError(`cost must be a positive integer; received ${cost}`);
  }
}

/** The refill and charge of one bucket: the one definition (the Lua script below is its twin). */
function charge(
  stored: { tokens: number; at: number } | undefined,
  now: number,
  cost: number,
  limit: RateLimit,
): { tokens: number; decision: RateDecision } {
  const perMs = limit.perSecond / 1000;
  const need = Math.min(cost, limit.burst);
  const tokens = stored
    ? Math.min(limit.burst, stored.tokens + Math.max(0, now - stored.at) * perMs)
    : limit.burst;
  if (tokens >= need) {
    const left = tokens - need;
    return { tokens: left, decision: { allowed: true, remaining: Math.floor(left), retryAfterMs: 0 } };
  }
  return {
    tokens,
    decision: {
      allowed: false,
      remaining: Math.floor(tokens),
      retryAfterMs: Math.max(1, Math.ceil((need - tokens) / perMs)),
    },
  };
}

/** In-process buckets (one replica's view), e.g. for the embedded mode; idle full buckets are dropped. */
export function createMemoryRateLimiter(opts: { now?: () => number } = {}): RateLimiter {
  const now = opts.now ?? Date.now;
  const buckets = new Map<string, { tokens: number; at: number; fullAt: number }>();
  let calls = 0;
  return {
    kind: 'memory',
    async take(key, cost, limit) {
      checkLimit(limit, cost);
      const t = now();
      if (++calls % 10_000 === 0) for (const [k, b] of buckets) if (b.fullAt <= t) buckets.delete(k);
      const { tokens, decision } = charge(buckets.get(key), t, cost, limit);
      buckets.set(key, { tokens, at: t, fullAt: t + ((limit.burst - tokens) * 1000) / limit.perSecond });
      return decision;
    },
    async close() {},
  };
}

/*
 * KEYS[1] the bucket (a hash: tokens, at); ARGV[1] tokens per ms, ARGV[2] burst, ARGV[3] cost (already
 * capped at the burst). The server's clock (TIME), so replicas agree. The bucket expires once it would
 * be full again. Returns {allowed 0/1, whole tokens left, retry after ms}.
 */
const TAKE_SCRIPT = `
local perMs = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local stored = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = burst
if stored[1] then
  tokens = math.min(burst, tonumber(stored[1]) + math.max(0, now - tonumber(stored[2])) * perMs)
end
local allowed, wait = 0, 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  wait = math.max(1, math.ceil((cost - tokens) / perMs))
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / perMs) + 1000)
return { allowed, math.floor(tokens), wait }
`;
const TAKE_SHA = createHash('sha1').update(TAKE_SCRIPT).digest('hex');

/**
 * Buckets on Redis shared by every replica: one Lua script per call, keys
 * `<keyPrefix>:v1:rate:<key>` (hashes that expire once full again). Give a `client` (left open) or a
 * `url`.
 */
export function createRedisRateLimiter(opts: {
  /** One server or a cluster: a bucket is one key, so the script runs on that key's node. */
  client?: RedisClient;
  /** `redis://` or `redis-cluster://`. */
  url?: string;
  keyPrefix?: string;
}): RateLimiter {
  if (!opts.client && !opts.url) throw new TypeError('createRedisRateLimiter needs a url or a client');
  const owns = !opts.client;
  const client =
    opts.client ??
    createRedisClient(opts.url!, { connectionName: 'recs-rate-limit', redis: { maxRetriesPerRequest: 2 } });
  if (owns) client.on('error', () => undefined);
  const prefix = opts.keyPrefix ?? 'recs';
  return {
    kind: 'redis',
    async take(key, cost, limit) {
      checkLimit(limit, cost);
      const args = [
        `${prefix}:v1:rate:${key}`,
        limit.perSecond / 1000,
        limit.burst,
        Math.min(cost, limit.burst),
      ];
      let reply: [number, number, number];
      try {
        reply = (await client.evalsha(TAKE_SHA, 1, ...args)) as [number, number, number];
      } catch (err) {
        if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
        reply = (await client.eval(TAKE_SCRIPT, 1, ...args)) as [number, number, number];
      }
      return { allowed: reply[0] === 1, remaining: reply[1], retryAfterMs: reply[2] };
    },
    async close() {
      if (owns) await client.quit().catch(() => client.disconnect());
    },
  };
}
