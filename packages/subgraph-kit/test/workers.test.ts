import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { ConfigError } from '@recs/core';
import { readWorkers } from '../src/workers';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'clusterServer.ts');

test('WORKERS: default 1, a count or auto; refused out of range and with in-memory state', () => {
  assert.equal(readWorkers({}), 1);
  assert.equal(readWorkers({ WORKERS: ' 3 ' }), 3);
  assert.equal(readWorkers({ WORKERS: 'auto' }), availableParallelism());
  assert.equal(readWorkers({ WORKERS: '1' }, { memoryState: true }), 1, 'one process is fine embedded');
  for (const bad of ['0', '65', '1.5', 'many']) {
    assert.throws(
      () => readWorkers({ WORKERS: bad }),
      (err: unknown) => err instanceof ConfigError && err.key === 'WORKERS' && /or auto/.test(err.message),
      bad,
    );
  }
  assert.throws(
    () => readWorkers({ WORKERS: '2' }, { memoryState: true }),
    (err: unknown) => err instanceof ConfigError && /REDIS_URL/.test(err.message),
  );
});

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Who {
  pid: number;
  slot: number;
  workers: number;
  lead: boolean;
}

/** One request on a new connection (so the cluster hands it to the next worker). */
function call(port: number, method: 'GET' | 'POST', path: string): Promise<Who> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(JSON.parse(body) as Who));
    });
    req.setTimeout(2_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Asks until every slot answered; returns the pid of each slot. */
async function workersBySlot(port: number, count: number, timeoutMs = 30_000): Promise<Map<number, Who>> {
  const deadline = Date.now() + timeoutMs;
  const seen = new Map<number, Who>();
  while (seen.size < count) {
    if (Date.now() > deadline) throw new Error(`only slots ${[...seen.keys()]} answered`);
    try {
      const who = await call(port, 'GET', '/whoami');
      seen.set(who.slot, who);
    } catch {
      await delay(100); // not listening yet, or a worker is restarting
    }
  }
  return seen;
}

function startFixture(t: TestContext, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    env: { ...process.env, ...env },
    stdio: ['ignore', process.env.FIXTURE_LOG ? 'inherit' : 'ignore', 'inherit'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

function exitOf(child: ChildProcess, timeoutMs: number): Promise<number | string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no exit within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? signal ?? 'unknown');
    });
  });
}

test('WORKERS=2: both workers share the port, a dead one is restarted in its slot, SIGTERM stops all', async (t) => {
  const port = await freePort();
  const primary = startFixture(t, { WORKERS: '2', PORT: String(port) });
  const before = await workersBySlot(port, 2);
  assert.deepEqual([...before.keys()].sort(), [1, 2]);
  assert.equal(before.get(1)!.lead, true);
  assert.equal(before.get(2)!.lead, false);
  assert.equal(new Set([...before.values()].map((w) => w.pid)).size, 2, 'two processes');
  assert.ok(![...before.values()].some((w) => w.pid === primary.pid), 'the primary serves nothing');

  const crashed = await call(port, 'POST', '/crash');
  const slot = [...before.values()].find((w) => w.pid === crashed.pid)!.slot;
  let after = await workersBySlot(port, 2);
  const deadline = Date.now() + 30_000;
  while (after.get(slot)!.pid === crashed.pid && Date.now() < deadline) after = await workersBySlot(port, 2);
  assert.notEqual(after.get(slot)!.pid, crashed.pid, `slot ${slot} runs a new process`);
  assert.equal(after.get(3 - slot)!.pid, before.get(3 - slot)!.pid, 'the other worker was left alone');

  const exited = exitOf(primary, 30_000);
  primary.kill('SIGTERM');
  assert.equal(await exited, 0, 'clean stop');
  for (const w of after.values()) {
    assert.throws(() => process.kill(w.pid, 0), { code: 'ESRCH' }, `worker ${w.pid} stopped`);
  }
});

test('workers that keep crashing: the primary gives up and exits non-zero', async (t) => {
  const primary = startFixture(t, { WORKERS: '2', PORT: String(await freePort()), CRASH_AT_START: '1' });
  assert.equal(await exitOf(primary, 30_000), 1);
});

test('WORKERS=1: one process, no primary', async (t) => {
  const port = await freePort();
  const server = startFixture(t, { WORKERS: '1', PORT: String(port) });
  const only = await workersBySlot(port, 1);
  assert.equal(only.get(1)!.pid, server.pid);
  const exited = exitOf(server, 30_000);
  server.kill('SIGTERM');
  assert.equal(await exited, 0);
});
