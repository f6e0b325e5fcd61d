import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, env, isRedisClusterUrl, parseRedisUrl, redactRedisUrl } from '../src/index';

test('parseRedisUrl: one server for redis:// and rediss://', () => {
  assert.deepEqual(parseRedisUrl('redis://127.0.0.1:6379/2'), {
    kind: 'single',
    url: 'redis://127.0.0.1:6379/2',
  });
  assert.equal(parseRedisUrl('rediss://u:p@h:1').kind, 'single');
  assert.throws(() => parseRedisUrl('http://h:1'), /protocol/);
  assert.throws(() => parseRedisUrl('not a url'), /not a Redis URL/);
});

test('parseRedisUrl: a cluster from redis-cluster:// seed nodes, auth, TLS and scaleReads', () => {
  assert.deepEqual(parseRedisUrl('redis-cluster://127.0.0.1:7000,127.0.0.1:7001'), {
    kind: 'cluster',
    nodes: [
      { host: '127.0.0.1', port: 7000 },
      { host: '127.0.0.1', port: 7001 },
    ],
    tls: false,
    scaleReads: 'master',
  });
  assert.deepEqual(
    parseRedisUrl('rediss-cluster://app:s%40cret@[::1]:7000,redis-0.redis:6379/?scaleReads=slave'),
    {
      kind: 'cluster',
      nodes: [
        { host: '::1', port: 7000 },
        { host: 'redis-0.redis', port: 6379 },
      ],
      username: 'app',
      password: 's@cret',
      tls: true,
      scaleReads: 'slave',
    },
  );
  assert.throws(() => parseRedisUrl('redis-cluster://h1,h2:1'), /host:port/);
  assert.throws(() => parseRedisUrl('redis-cluster://h1:1?scaleReads=any'), /scaleReads/);
  assert.throws(() => parseRedisUrl('redis-cluster://h1:1?db=2'), /unknown/);
  assert.ok(isRedisClusterUrl(' redis-cluster://h:1'));
  assert.ok(!isRedisClusterUrl('redis://h:1'));
  assert.equal(redactRedisUrl('redis-cluster://u:secret@h:1,h:2'), 'redis-cluster://u:***@h:1,h:2');
});

test('env.redisUrl: accepts both forms, names the key otherwise, never echoes the password', () => {
  assert.equal(
    env.redisUrl({ REDIS_URL: 'redis-cluster://a:1,b:2' }, 'REDIS_URL'),
    'redis-cluster://a:1,b:2',
  );
  assert.equal(env.redisUrl({}, 'REDIS_URL'), undefined);
  assert.throws(
    () => env.redisUrl({ REDIS_URL: 'redis-cluster://u:topsecret@a' }, 'REDIS_URL'),
    (err: unknown) =>
      err instanceof ConfigError && /REDIS_URL/.test(err.message) && !/topsecret/.test(err.message),
  );
});
