import { timingSafeEqual } from 'node:crypto';
import { HEADERS, type Principal } from '@recs/core';

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Constant-time comparison, so the secret cannot be guessed byte by byte from response times. */
export function secretMatches(received: string | undefined, expected: string): boolean {
  if (received === undefined) return false;
  const a = Buffer.from(received);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The caller as the gateway verified it. Subgraphs only trust these headers after checking the
 * gateway's shared secret; a request without a principal is refused (undefined).
 */
export function principalFromHeaders(headers: Headers): Principal | undefined {
  const kind = header(headers, HEADERS.principalKind);
  if (kind === 'service') {
    const role = header(headers, HEADERS.principalRole);
    if (role !== 'service' && role !== 'admin') return undefined;
    return { kind: 'service', role, keyId: header(headers, HEADERS.principalUser) ?? 'unknown' };
  }
  if (kind === 'user') {
    const userId = header(headers, HEADERS.principalUser);
    return userId ? { kind: 'user', userId } : undefined;
  }
  return undefined;
}
