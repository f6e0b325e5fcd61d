import { createHmac, timingSafeEqual } from 'node:crypto';

/** Why a bearer token was refused; the message is safe to return to the caller. */
export class TokenError extends Error {}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/**
 * Signs an HS256 JWT for a shopper (`sub` = user id), valid for `ttlSeconds`. The shop's login
 * service does this in production; the gateway only verifies. Used here by tests and the dev CLI.
 */
export function signUserToken(secret: string, userId: string, ttlSeconds = 3600, now = Date.now()): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const iat = Math.floor(now / 1000);
  const payload = b64url(JSON.stringify({ sub: userId, iat, exp: iat + ttlSeconds }));
  const sig = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  return `${header}.${payload}.${b64url(sig)}`;
}

/**
 * Verifies an HS256 JWT and returns its subject. Rejects other algorithms (no `none`, no RS/HS
 * confusion), bad signatures (compared in constant time), expired or not-yet-valid tokens (60 s
 * clock skew allowed) and tokens without a string `sub`.
 */
export function verifyUserToken(secret: string, token: string, now = Date.now()): string {
  const parts = token.split('.');
  if (parts.length !== 3) throw new TokenError('bearer token is not a JWT');
  const [h, p, s] = parts as [string, string, string];
  let header: { alg?: unknown };
  let payload: { sub?: unknown; exp?: unknown; nbf?: unknown };
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  } catch {
    throw new TokenError('bearer token is not a JWT');
  }
  if (header.alg !== 'HS256') throw new TokenError('bearer token must be signed with HS256');
  const expected = createHmac('sha256', secret).update(`${h}.${p}`).digest();
  const got = Buffer.from(s, 'base64url');
  if (got.length !== expected.length || !timingSafeEqual(got, expected))
    throw new TokenError('bearer token signature is invalid');
  const t = Math.floor(now / 1000);
  if (typeof payload.exp !== 'number' || payload.exp + 60 < t)
    throw new TokenError('bearer token has expired');
  if (typeof payload.nbf === 'number' && payload.nbf - 60 > t)
    throw new TokenError('bearer token is not valid yet');
  if (typeof payload.sub !== 'string' || payload.sub === '')
    throw new TokenError('bearer token has no subject');
  return payload.sub;
}
