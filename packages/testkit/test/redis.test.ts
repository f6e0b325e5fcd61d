import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { startRedis, testRedis } from '../src/redis';

/** Runs `fn` with a connected client and always disconnects it. */
async function withClient<T>(url: string, fn: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    return await fn(client);
  } finally {
    client.disconnect();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('an append-only server keeps its keys across restart(), and stop() cleans up', async (t) => {
  const redis = await startRedis({ appendOnly: true });
  t.after(() => redis.stop());
  assert.equal(redis.url, `redis://127.0.0.1:${redis.port}`);

  await withClient(redis.url, async (client) => {
    assert.equal(await client.ping(), 'PONG');
    assert.equal(await client.set('testkit:persisted', 'yes'), 'OK');
  });

  const firstPid = redis.pid;
  await redis.restart!();
  assert.notEqual(redis.pid, firstPid, 'restart() must start a new process');
  assert.equal(isAlive(firstPid), false);

  assert.equal(await withClient(redis.url, (client) => client.get('testkit:persisted')), 'yes');

  const { pid, dataDir } = redis;
  await redis.stop();
  assert.equal(isAlive(pid), false, `redis pid ${pid} still running after stop()`);
  assert.equal(existsSync(dataDir), false, `temp dir ${dataDir} left behind`);
});

test('without appendonly, restart() really loses data (so the test above can fail)', async (t) => {
  const redis = await startRedis({ appendOnly: false });
  t.after(() => redis.stop());
  await withClient(redis.url, (client) => client.set('testkit:volatile', 'yes'));
  await redis.restart!();
  assert.equal(await withClient(redis.url, (client) => client.get('testkit:volatile')), null);
});

test('a given dataDir is used and kept after stop()', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'recs-redis-test-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const redis = await startRedis({ dataDir, appendOnly: true });
  t.after(() => redis.stop());
  assert.equal(redis.dataDir, dataDir);
  const dir = await withClient(redis.url, (client) => client.config('GET', 'dir'));
  assert.deepEqual(dir, ['dir', dataDir]);
  await redis.stop();
  assert.equal(existsSync(join(dataDir, 'redis.log')), true);
});

test('two servers run at once on different ports without sharing data', async (t) => {
  const [a, b] = await Promise.all([startRedis(), startRedis()]);
  t.after(() => Promise.all([a.stop(), b.stop()]));
  assert.notEqual(a.port, b.port);
  assert.notEqual(a.pid, b.pid);

  await withClient(a.url, (client) => client.set('testkit:who', 'a'));
  await withClient(b.url, (client) => client.set('testkit:who', 'b'));
  assert.equal(await withClient(a.url, (client) => client.get('testkit:who')), 'a');
  assert.equal(await withClient(b.url, (client) => client.get('testkit:who')), 'b');
});

test('a port already in use fails fast with the server log in the error', async (t) => {
  // Hangs up on whoever connects, so the readiness probe hitting this port is refused at once.
  const blocker = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const address = blocker.address();
  assert.ok(address && typeof address === 'object');

  await assert.rejects(startRedis({ port: address.port }), (err: Error) => {
    assert.match(err.message, new RegExp(`port ${address.port} exited with code`));
    assert.match(err.message, /last log lines:[\s\S]*Address already in use/);
    return true;
  });
});

test('testRedis() hands out one reachable server per process', async () => {
  const first = await testRedis();
  const second = await testRedis();
  assert.equal(second.url, first.url);
  assert.equal(await withClient(first.url, (client) => client.ping()), 'PONG');
});
