import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { freePort, logTail, onExitOrSignal, spawnLogged, terminate, type Running } from './childProcess';

/** A running `redis-server` started by {@link startRedis}. */
export interface RedisHandle {
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** Pid of the current server process (changes after {@link RedisHandle.restart}). */
  pid: number;
  /** Working directory holding the AOF files and `redis.log`. */
  dataDir: string;
  /** Stops the server (SIGTERM, so the AOF is flushed) and removes the temp dir it created. */
  stop(): Promise<void>;
  /** Stops the server and starts a new one on the same port and data dir. */
  restart?(): Promise<void>;
}

/** Options for {@link startRedis}. */
export interface StartRedisOptions {
  /** Port to listen on; default: a free port picked by the OS. */
  port?: number;
  /** Data directory; default: a fresh temp dir, removed by `stop()`. A given dir is never removed. */
  dataDir?: string;
  /** Enable the append-only file so data survives `restart()`; default false. */
  appendOnly?: boolean;
  /** Deadline for readiness and for shutdown, in ms; default 10 000. */
  timeoutMs?: number;
}

const LOG_FILE = 'redis.log';
const LOG_TAIL_LINES = 15;
const DEFAULT_TIMEOUT_MS = 10_000;
/** A port picked as free may be taken by someone else before redis binds it; try a few times. */
const PORT_ATTEMPTS = 3;

/** Children still alive, killed synchronously if this process exits before stopping them. */
const live = new Map<ChildProcess, string | undefined>();
let exitHookInstalled = false;

/**
 * Starts a private `redis-server` on 127.0.0.1 (arguments only, no config file) and resolves once it
 * answers over a real connection as the process we spawned. Rejects with the server's last log lines if
 * it exits or misses the deadline.
 */
export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisHandle> {
  return start(opts, true);
}

/** `keepsProcessAlive: false` leaves the server to the exit hook instead of holding the event loop open. */
async function start(opts: StartRedisOptions, keepsProcessAlive: boolean): Promise<RedisHandle> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const ownsDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'recs-redis-')));
  const appendOnly = opts.appendOnly ?? false;
  installExitHook();

  let port = 0;
  let running: Running | undefined;
  try {
    for (let attempt = 1; running === undefined; attempt++) {
      port = opts.port ?? (await freePort());
      try {
        running = await launch(port, dataDir, appendOnly, timeoutMs, ownsDir, keepsProcessAlive);
      } catch (err) {
        const retryable = opts.port === undefined && attempt < PORT_ATTEMPTS;
        if (!retryable || !/Address already in use/i.test(String(err))) throw err;
      }
    }
  } catch (err) {
    if (ownsDir) await rm(dataDir, { recursive: true, force: true });
    throw err;
  }

  let current: Running = running;
  let stopped = false;
  const handle: RedisHandle = {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return current.child.pid ?? -1;
    },
    dataDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await terminate(current, timeoutMs);
      if (ownsDir) await rm(dataDir, { recursive: true, force: true });
    },
    async restart() {
      if (stopped) throw new Error(`redis on port ${port} was stopped; restart() needs a running handle`);
      await terminate(current, timeoutMs);
      current = await launch(port, dataDir, appendOnly, timeoutMs, ownsDir, keepsProcessAlive);
    },
  };
  return handle;
}

let shared: Promise<{ url: string }> | undefined;

/**
 * The Redis tests should use: `RECS_TEST_REDIS_URL` when the repo's test runner started a shared
 * server, else one private server per process, started on first call and killed when the process exits.
 */
export async function testRedis(): Promise<{ url: string }> {
  const fromRunner = process.env.RECS_TEST_REDIS_URL;
  if (fromRunner) return { url: fromRunner };
  shared ??= start({}, false).then(
    (handle) => ({ url: handle.url }),
    (err: unknown) => {
      shared = undefined;
      throw err;
    },
  );
  return shared;
}

async function launch(
  port: number,
  dataDir: string,
  appendOnly: boolean,
  timeoutMs: number,
  ownsDir: boolean,
  keepsProcessAlive: boolean,
): Promise<Running> {
  const logPath = join(dataDir, LOG_FILE);
  const args = [
    ...['--bind', '127.0.0.1', '--port', String(port), '--dir', dataDir, '--save', ''],
    ...['--appendonly', appendOnly ? 'yes' : 'no', '--protected-mode', 'yes', '--daemonize', 'no'],
  ];
  const { child, exited } = await spawnLogged('redis-server', args, logPath);
  let gone: string | undefined;
  void exited.then((how) => {
    gone = how;
    live.delete(child);
  });
  live.set(child, ownsDir ? dataDir : undefined);
  if (!keepsProcessAlive) child.unref();

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gone !== undefined) {
      throw new Error(
        `redis-server on port ${port} ${gone} before it was ready; ${await logTail(logPath, LOG_TAIL_LINES)}`,
      );
    }
    if (child.pid !== undefined && (await serverPid(port)) === child.pid) return { child, exited };
    if (Date.now() > deadline) {
      await terminate({ child, exited }, timeoutMs);
      throw new Error(
        `redis-server on port ${port} did not answer PING within ${timeoutMs} ms; ${await logTail(logPath, LOG_TAIL_LINES)}`,
      );
    }
    await delay(25);
  }
}

/**
 * PINGs the server over a raw connection, then asks for its process_id so that a different server
 * that grabbed the same port is never mistaken for ours. Undefined while not reachable or still loading.
 */
async function serverPid(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buffered = Buffer.alloc(0);
    let stage: 'ping' | 'info' = 'ping';
    const finish = (pid: number | undefined): void => {
      socket.destroy();
      resolve(pid);
    };
    socket.setTimeout(1000, () => finish(undefined));
    socket.once('error', () => finish(undefined));
    socket.once('close', () => finish(undefined));
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const lineEnd = buffered.indexOf('\r\n');
      if (lineEnd < 0) return;
      const first = buffered.subarray(0, lineEnd).toString();
      if (stage === 'ping') {
        if (first !== '+PONG') return finish(undefined);
        stage = 'info';
        buffered = buffered.subarray(lineEnd + 2);
        socket.write('*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n');
        return undefined;
      }
      if (!first.startsWith('$')) return finish(undefined);
      const length = Number(first.slice(1));
      if (buffered.length < lineEnd + 2 + length) return undefined;
      const info = buffered.subarray(lineEnd + 2, lineEnd + 2 + length).toString();
      const match = /^process_id:(\d+)\r?$/m.exec(info);
      return finish(match ? Number(match[1]) : undefined);
    });
  });
}

/** Kills servers left running when this process exits, including on SIGINT/SIGTERM/SIGHUP. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = (): void => {
    for (const [child, ownedDir] of live) {
      child.kill('SIGKILL');
      if (ownedDir) rmSync(ownedDir, { recursive: true, force: true });
    }
    live.clear();
  };
  onExitOrSignal(killAll);
}

/**
 * Deletes every key starting with `prefix` (a test's own namespace on the shared server), scanning in
 * batches so a large namespace never blocks the server.
 */
export async function unlinkPrefix(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await client.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}
