import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import neo4j from 'neo4j-driver';
import { startNeo4j, testNeo4j } from '../src/neo4j';

/** Runs one auto-commit query with a fresh driver and always closes it. */
async function query(
  server: { uri: string; user: string; password: string },
  cypher: string,
  params: Record<string, unknown> = {},
): Promise<unknown[]> {
  const driver = neo4j.driver(server.uri, neo4j.auth.basic(server.user, server.password));
  const session = driver.session();
  try {
    const result = await session.run(cypher, params);
    return result.records.map((r) => {
      const value: unknown = r.get(0);
      return neo4j.isInt(value) ? value.toNumber() : value;
    });
  } finally {
    await session.close();
    await driver.close();
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

test('a started server answers RETURN 1 with its credentials only, and stop() cleans up', async (t) => {
  const server = await startNeo4j();
  t.after(() => server.stop());
  assert.equal(server.uri, `bolt://127.0.0.1:${server.port}`);
  assert.equal(server.user, 'neo4j');

  assert.deepEqual(await query(server, 'RETURN 1'), [1]);
  await assert.rejects(
    query({ ...server, password: `${server.password}-wrong` }, 'RETURN 1'),
    (err: Error) => {
      assert.match(String((err as { code?: string }).code), /Unauthorized/);
      return true;
    },
  );

  const { pid, dataDir } = server;
  await server.stop();
  assert.equal(isAlive(pid), false, `neo4j pid ${pid} still running after stop()`);
  assert.equal(existsSync(dataDir), false, `temp dir ${dataDir} left behind`);
  await server.stop(); // idempotent
});

test('two servers run at once on different ports without sharing data', async (t) => {
  const [a, b] = await Promise.all([startNeo4j({ password: 'first-password' }), startNeo4j()]);
  t.after(() => Promise.all([a.stop(), b.stop()]));
  assert.notEqual(a.port, b.port);
  assert.notEqual(a.pid, b.pid);
  assert.equal(a.password, 'first-password');

  await query(a, 'CREATE (:TestkitMarker {who: $who})', { who: 'a' });
  await query(b, 'CREATE (:TestkitMarker {who: $who})', { who: 'b' });
  assert.deepEqual(await query(a, 'MATCH (m:TestkitMarker) RETURN m.who'), ['a']);
  assert.deepEqual(await query(b, 'MATCH (m:TestkitMarker) RETURN m.who'), ['b']);
});

test('a given dataDir is kept after stop() and its data survives a restart with the same password', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'recs-neo4j-test-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const password = 'restart-password';

  const first = await startNeo4j({ dataDir, password });
  t.after(() => first.stop());
  assert.equal(first.dataDir, dataDir);
  await query(first, 'CREATE (:TestkitMarker {who: $who})', { who: 'persisted' });
  await first.stop();
  assert.equal(existsSync(join(dataDir, 'launcher.log')), true);

  const second = await startNeo4j({ dataDir, password, port: first.port });
  t.after(() => second.stop());
  assert.deepEqual(await query(second, 'MATCH (m:TestkitMarker) RETURN m.who'), ['persisted']);
});

test('a port already in use fails fast with the launcher message in the error', async (t) => {
  const blocker = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const address = blocker.address();
  assert.ok(address && typeof address === 'object');

  await assert.rejects(startNeo4j({ port: address.port }), (err: Error) => {
    assert.match(err.message, new RegExp(`port ${address.port} is already in use`));
    assert.match(err.message, /exited with code 3/);
    assert.match(err.message, /last stderr lines:[\s\S]*neo4j-launcher: port/);
    return true;
  });
});

test('bad sizes are refused before anything starts', async () => {
  await assert.rejects(
    startNeo4j({ heap: '512 MB' }),
    /heap must be a size such as 512m or 1g; received "512 MB"/,
  );
});

test('testNeo4j() hands out one reachable server per process', async () => {
  const first = await testNeo4j();
  const second = await testNeo4j();
  assert.deepEqual(second, first);
  assert.deepEqual(await query(first, 'RETURN 1'), [1]);
});
