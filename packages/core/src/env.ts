import { ConfigError } from './ConfigError';
import { parseRedisUrl, redactRedisUrl } from './redisUrl';

/**
 * Typed readers for environment variables. Each entry point parses its whole configuration once at
 * start-up with these, so a bad value fails fast with a message naming the key; nothing else in the
 * code base reads `process.env`.
 */
export type Env = Readonly<Record<string, string | undefined>>;

function raw(env: Env, key: string): string | undefined {
  const v = env[key];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/** A string; `fallback` undefined means the key is required. */
export function str(env: Env, key: string, fallback?: string): string {
  const v = raw(env, key) ?? fallback;
  if (v === undefined) throw new ConfigError(key, 'set', undefined);
  return v;
}

/** An optional string: undefined when unset. */
export function optStr(env: Env, key: string): string | undefined {
  return raw(env, key);
}

/** An integer within [min, max]. */
export function int(env: Env, key: string, fallback: number, min = -Infinity, max = Infinity): number {
  const v = raw(env, key);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(key, `an integer in [${min}, ${max}]`, v);
  }
  return n;
}

/** A TCP port (0 lets the OS choose). */
export function port(env: Env, key: string, fallback: number): number {
  return int(env, key, fallback, 0, 65535);
}

/** `true`/`false`/`1`/`0`. */
export function bool(env: Env, key: string, fallback: boolean): boolean {
  const v = raw(env, key);
  if (v === undefined) return fallback;
  if (['1', 'true', 'yes'].includes(v.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(v.toLowerCase())) return false;
  throw new ConfigError(key, 'true or false', v);
}

/** One of a fixed set of values. */
export function oneOf<T extends string>(env: Env, key: string, values: readonly T[], fallback: T): T {
  const v = raw(env, key);
  if (v === undefined) return fallback;
  if (!(values as readonly string[]).includes(v))
    throw new ConfigError(key, `one of ${values.join(', ')}`, v);
  return v as T;
}

/** A URL whose protocol is one of `protocols`; undefined when unset and optional. */
export function url(
  env: Env,
  key: string,
  protocols: readonly string[],
  fallback?: string,
): string | undefined {
  const v = raw(env, key) ?? fallback;
  if (v === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    throw new ConfigError(key, `a URL (${protocols.join(' or ')})`, v);
  }
  if (!protocols.includes(parsed.protocol.replace(/:$/, ''))) {
    throw new ConfigError(key, `a URL with protocol ${protocols.join(' or ')}`, v);
  }
  return v;
}

/** A secret of at least `minLength` characters; never echoed back in the error. */
export function secret(env: Env, key: string, minLength: number, fallback?: string): string {
  const v = raw(env, key) ?? fallback;
  if (v === undefined || v.length < minLength) {
    throw new ConfigError(
      key,
      `a secret of at least ${minLength} characters`,
      v === undefined ? undefined : '<redacted>',
    );
  }
  return v;
}

/**
 * A Redis location: `redis://`/`rediss://` (one server) or `redis-cluster://h1:p1,h2:p2` /
 * `rediss-cluster://…` (a Redis Cluster); see `parseRedisUrl`. Undefined when unset.
 */
export function redisUrl(env: Env, key: string, fallback?: string): string | undefined {
  const v = raw(env, key) ?? fallback;
  if (v === undefined) return undefined;
  try {
    parseRedisUrl(v);
  } catch (err) {
    throw new ConfigError(key, `a Redis URL (${(err as Error).message})`, redactRedisUrl(v));
  }
  return v;
}
