import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { TokenError, signUserToken, verifyUserToken } from '@recs/gateway';

const SECRET = 's'.repeat(32);

test('a signed token verifies to its subject', () => {
  assert.equal(verifyUserToken(SECRET, signUserToken(SECRET, '17850')), '17850');
});

test('forged, expired, alg-none and subject-less tokens are refused', () => {
  const now = Date.now();
  assert.throws(() => verifyUserToken('x'.repeat(32), signUserToken(SECRET, '1')), /signature/);
  assert.throws(() => verifyUserToken(SECRET, signUserToken(SECRET, '1', 10, now - 3_600_000)), /expired/);
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const none = `${enc({ alg: 'none' })}.${enc({ sub: '1', exp: now / 1000 + 60 })}.`;
  assert.throws(() => verifyUserToken(SECRET, none), TokenError);
  const h = enc({ alg: 'HS256' });
  const p = enc({ exp: now / 1000 + 60 });
  const sig = createHmac('sha256', SECRET).update(`${h}.${p}`).digest('base64url');
  assert.throws(() => verifyUserToken(SECRET, `${h}.${p}.${sig}`), /subject/);
  assert.throws(() => verifyUserToken(SECRET, 'abc'), /not a JWT/);
});
