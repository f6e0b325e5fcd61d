import { createHash, timingSafeEqual } from 'node:crypto';
import { ErrorCode, RecsError, normaliseUserId, type Principal } from '@recs/core';
import type { ApiKeyEntry } from '../config';
import { TokenError, verifyUserToken } from './jwt';

type Headers = Record<string, string | string[] | undefined>;

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Verifies the caller of a request: an API key in `x-api-key` (a trusted backend, role service or
 * admin) or a shopper's HS256 bearer token in `Authorization`. Anything else is UNAUTHENTICATED.
 * Keys are compared as SHA-256 digests in constant time, so neither length nor prefix leaks.
 */
export function createAuthenticator(opts: { apiKeys: ApiKeyEntry[]; jwtSecret: string }) {
  const keys = opts.apiKeys.map((k) => ({ ...k, digest: digest(k.key) }));
  return function authenticate(headers: Headers): Principal {
    const apiKey = first(headers['x-api-key']);
    if (apiKey !== undefined) {
      const d = digest(apiKey);
      let match: (typeof keys)[number] | undefined;
      for (const k of keys) if (timingSafeEqual(d, k.digest)) match = k;
      if (!match) throw new RecsError(ErrorCode.UNAUTHENTICATED, 'the API key in x-api-key is not valid');
      return { kind: 'service', role: match.role, keyId: match.name };
    }
    const auth = first(headers.authorization);
    if (auth !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(auth);
      if (!m) throw new RecsError(ErrorCode.UNAUTHENTICATED, 'Authorization must be "Bearer <token>"');
      try {
        return { kind: 'user', userId: normaliseUserId(verifyUserToken(opts.jwtSecret, m[1]!)) };
      } catch (err) {
        if (err instanceof TokenError) throw new RecsError(ErrorCode.UNAUTHENTICATED, err.message);
        throw err;
      }
    }
    throw new RecsError(
      ErrorCode.UNAUTHENTICATED,
      'send an API key in x-api-key or a bearer token in Authorization',
    );
  };
}

export type Authenticate = ReturnType<typeof createAuthenticator>;
