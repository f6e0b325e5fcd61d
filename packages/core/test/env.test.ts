import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, env, isValidId, normaliseProductId, normaliseUserId } from '@recs/core';

test('env readers parse, default and refuse with the key named', () => {
  const e = { PORT: '4001', BAD: 'x', FLAG: 'yes', URL: 'redis://127.0.0.1:6379', EMPTY: '  ' };
  assert.equal(env.port(e, 'PORT', 1), 4001);
  assert.equal(env.port(e, 'MISSING', 7), 7);
  assert.equal(env.int(e, 'EMPTY', 3), 3, 'blank counts as unset');
  assert.throws(
    () => env.port(e, 'BAD', 1),
    (err: unknown) => err instanceof ConfigError && err.key === 'BAD' && /integer/.test(err.message),
  );
  assert.throws(() => env.int({ N: '70000' }, 'N', 1, 0, 65535), /\[0, 65535\]/);
  assert.equal(env.bool(e, 'FLAG', false), true);
  assert.throws(() => env.bool({ F: 'maybe' }, 'F', false), /true or false/);
  assert.equal(env.url(e, 'URL', ['redis']), 'redis://127.0.0.1:6379');
  assert.throws(() => env.url({ U: 'http://x' }, 'U', ['redis']), /protocol redis/);
  assert.throws(() => env.url({ U: 'not a url' }, 'U', ['redis']), /a URL/);
  assert.equal(env.oneOf({ M: 'b' }, 'M', ['a', 'b'], 'a'), 'b');
  assert.throws(() => env.oneOf({ M: 'c' }, 'M', ['a', 'b'], 'a'), /one of a, b/);
  assert.throws(() => env.str({}, 'REQUIRED'), /REQUIRED must be set/);
});

test('a short secret is refused without echoing it', () => {
  assert.throws(
    () => env.secret({ S: 'short' }, 'S', 16),
    (err: unknown) =>
      err instanceof ConfigError && !err.message.includes('short') && /at least 16/.test(err.message),
  );
  assert.equal(env.secret({ S: 'x'.repeat(16) }, 'S', 16), 'x'.repeat(16));
});

test('ids follow the dataset conventions', () => {
  assert.equal(normaliseProductId(' 85123a '), '85123A');
  assert.equal(normaliseUserId('17850.0'), '17850');
  assert.equal(normaliseUserId('17850'), '17850');
  assert.equal(normaliseUserId(' guest-7 '), 'guest-7');
  assert.ok(isValidId('17850'));
  assert.ok(!isValidId(''));
  assert.ok(!isValidId(' 1'));
  assert.ok(!isValidId('x'.repeat(65)));
  assert.ok(!isValidId('a\nb'));
});
