import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort, logTail, onExitOrSignal, terminate, type Running } from './childProcess';

/** A running embedded Neo4j started by {@link startNeo4j}. */
export interface Neo4jHandle {
  /** `bolt://127.0.0.1:<port>`. */
  uri: string;
  /** Always `neo4j`. */
  user: string;
  password: string;
  port: number;
  /** Pid of the Java launcher process. */
  pid: number;
  /** Neo4j home: databases under `data/`, Neo4j's own logs under `logs/`, launcher stderr in `launcher.log`. */
  dataDir: string;
  /** SIGTERM (clean shutdown), SIGKILL after 20 s, then removes the temp dir it created. Idempotent. */
  stop(): Promise<void>;
}

/** Options for {@link startNeo4j}. */
export interface StartNeo4jOptions {
  /** Bolt port; default: a free port picked by the OS. */
  port?: number;
  /** Neo4j home directory; default: a fresh temp dir, removed by `stop()`. A given dir is never removed. */
  dataDir?: string;
  /** Password of user `neo4j`; default: a random one (returned in the handle). */
  password?: string;
  /** JVM max heap (`-Xmx`), e.g. `512m`; default `512m`. */
  heap?: string;
  /** Neo4j page cache size, e.g. `128m`; default `128m`. */
  pagecache?: string;
  /** Deadline for the READY line, in ms; default 120 000 (a start takes ~10 s on 2 cores). */
  timeoutMs?: number;
}

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const LAUNCHER_DIR = join(REPO_ROOT, 'graph', 'launcher');
const CLASSES_DIR = join(LAUNCHER_DIR, 'target', 'classes');
const LIB_DIR = join(LAUNCHER_DIR, 'lib');
const MAIN_CLASS = 'org.recs.graph.Neo4jLauncher';
const MAIN_CLASS_FILE = join(CLASSES_DIR, ...MAIN_CLASS.split('.')) + '.class';
const INSTALL_HINT = 'run `bash graph/scripts/install-neo4j.sh` from the repository root';

const USER = 'neo4j';
const DEFAULT_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 20_000;
const LOG_FILE = 'launcher.log';
const LOG_TAIL_LINES = 20;
/** Launcher exit code for "port already in use" (see Neo4jLauncher.java). */
const EXIT_PORT_IN_USE = 3;
/** A port picked as free may be taken by someone else before Neo4j binds it; try a few times. */
const PORT_ATTEMPTS = 3;
const SIZE_PATTERN = /^[1-9][0-9]*[kmgKMG]?$/;

/** Children still alive, killed synchronously if this process exits before stopping them. */
const live = new Map<ChildProcess, string | undefined>();
let exitHookInstalled = false;

/**
 * Starts a private embedded Neo4j 5 (Bolt only, 127.0.0.1, auth on) from the launcher built by
 * `graph/scripts/install-neo4j.sh`, and resolves once it prints its READY line, i.e. accepts Bolt
 * connections with `neo4j`/password. Rejects with the launcher's last stderr lines if it exits or
 * misses the deadline, or with an install hint if the launcher is not built.
 */
export async function startNeo4j(opts: StartNeo4jOptions = {}): Promise<Neo4jHandle> {
  return start(opts, true);
}

/** `keepsProcessAlive: false` leaves the server to the exit hook instead of holding the event loop open. */
async function start(opts: StartNeo4jOptions, keepsProcessAlive: boolean): Promise<Neo4jHandle> {
  assertInstalled();
  const heap = checkSize('heap', opts.heap ?? '512m');
  const pagecache = checkSize('pagecache', opts.pagecache ?? '128m');
  const password = opts.password ?? `recs-${randomBytes(12).toString('hex')}`;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const ownsDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'recs-neo4j-')));
  installExitHook();

  let port = 0;
  let running: Running | undefined;
  try {
    await mkdir(dataDir, { recursive: true });
    for (let attempt = 1; running === undefined; attempt++) {
      port = opts.port ?? (await freePort());
      const args = { port, dataDir, password, heap, pagecache, timeoutMs, ownsDir, keepsProcessAlive };
      try {
        running = await launch(args);
      } catch (err) {
        const retryable = opts.port === undefined && attempt < PORT_ATTEMPTS;
        if (!retryable || !(err instanceof PortInUseError)) throw err;
      }
    }
  } catch (err) {
    if (ownsDir) await rm(dataDir, { recursive: true, force: true });
    throw err;
  }

  const current = running;
  let stopping: Promise<void> | undefined;
  return {
    uri: `bolt://127.0.0.1:${port}`,
    user: USER,
    password,
    port,
    pid: current.child.pid ?? -1,
    dataDir,
    stop() {
      stopping ??= (async () => {
        await terminate(current, STOP_TIMEOUT_MS);
        if (ownsDir) await rm(dataDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

let shared: Promise<{ uri: string; user: string; password: string }> | undefined;

/**
 * The Neo4j tests should use: the shared server named by `RECS_TEST_NEO4J_URI` / `_USER` / `_PASSWORD`
 * when the repo's test runner started one, else one private server per process, started on first call
 * and killed when the process exits.
 */
export async function testNeo4j(): Promise<{ uri: string; user: string; password: string }> {
  const uri = process.env.RECS_TEST_NEO4J_URI;
  if (uri) {
    const password = process.env.RECS_TEST_NEO4J_PASSWORD;
    if (password === undefined) {
      throw new Error(`RECS_TEST_NEO4J_URI is set (${uri}) but RECS_TEST_NEO4J_PASSWORD is not`);
    }
    return { uri, user: process.env.RECS_TEST_NEO4J_USER || USER, password };
  }
  shared ??= start({}, false).then(
    (handle) => ({ uri: handle.uri, user: handle.user, password: handle.password }),
    (err: unknown) => {
      shared = undefined;
      throw err;
    },
  );
  return shared;
}

class PortInUseError extends Error {}

interface LaunchArgs {
  port: number;
  dataDir: string;
  password: string;
  heap: string;
  pagecache: string;
  timeoutMs: number;
  ownsDir: boolean;
  keepsProcessAlive: boolean;
}

async function launch(a: LaunchArgs): Promise<Running> {
  const logPath = join(a.dataDir, LOG_FILE);
  // stderr goes to a file: nothing here has to drain it, and it survives for post-mortems.
  const log = await open(logPath, 'a');
  const javaArgs = [
    `-Xmx${a.heap}`,
    // Lets the page cache use direct buffers instead of its slower fallback (Neo4j warns otherwise).
    '--add-opens=java.base/java.nio=ALL-UNNAMED',
    '-cp',
    `${CLASSES_DIR}:${join(LIB_DIR, '*')}`,
    MAIN_CLASS,
    ...[
      '--data-dir',
      a.dataDir,
      '--port',
      String(a.port),
      '--password',
      a.password,
      '--pagecache',
      a.pagecache,
    ],
  ];
  let child: ChildProcess;
  try {
    child = spawn('java', javaArgs, { stdio: ['ignore', 'pipe', log.fd] });
  } finally {
    await log.close();
  }
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(`could not be spawned (${err.message}); is java 17 on PATH?`));
    child.once('exit', (code, signal) =>
      resolve(signal ? `was killed by ${signal}` : `exited with code ${code}`),
    );
  });
  void exited.then(() => live.delete(child));
  live.set(child, a.ownsDir ? a.dataDir : undefined);
  if (!a.keepsProcessAlive) child.unref();

  const expected = `NEO4J_READY bolt://127.0.0.1:${a.port}`;
  const stdout = child.stdout!;
  const lines = createInterface({ input: stdout });
  const ready = new Promise<'ready'>((resolve) => {
    lines.on('line', (line) => {
      if (line.trim() === expected) resolve('ready');
    });
  });
  const cancel = new AbortController();
  const timer = delay(a.timeoutMs, 'timeout' as const, { signal: cancel.signal }).catch(
    () => 'cancelled' as const,
  );
  const outcome = await Promise.race([ready, exited, timer]);
  cancel.abort();
  lines.close();
  // The launcher writes nothing else to stdout; closing the pipe lets an unref'd child not hold the loop.
  stdout.destroy();

  if (outcome === 'ready') return { child, exited };
  const where = `Neo4j launcher (pid ${child.pid ?? '?'}, port ${a.port}, data dir ${a.dataDir})`;
  if (outcome === 'timeout') {
    await terminate({ child, exited }, STOP_TIMEOUT_MS);
    throw new Error(
      `${where} did not print its READY line within ${a.timeoutMs} ms; ${await logTail(logPath, LOG_TAIL_LINES, 'stderr', ' (see logs/debug.log beside it)')}`,
    );
  }
  if (child.exitCode === EXIT_PORT_IN_USE) {
    throw new PortInUseError(
      `${where} ${outcome}: port ${a.port} is already in use; ${await logTail(logPath, LOG_TAIL_LINES, 'stderr', ' (see logs/debug.log beside it)')}`,
    );
  }
  throw new Error(
    `${where} ${outcome} before it was ready; ${await logTail(logPath, LOG_TAIL_LINES, 'stderr', ' (see logs/debug.log beside it)')}`,
  );
}

function assertInstalled(): void {
  if (!existsSync(MAIN_CLASS_FILE)) {
    throw new Error(`Neo4j launcher is not built (missing ${MAIN_CLASS_FILE}); ${INSTALL_HINT}`);
  }
  const jars = existsSync(LIB_DIR) ? readdirSync(LIB_DIR).filter((name) => name.endsWith('.jar')) : [];
  if (jars.length === 0) {
    throw new Error(`Neo4j jars are missing (no .jar in ${LIB_DIR}); ${INSTALL_HINT}`);
  }
}

function checkSize(name: string, value: string): string {
  if (!SIZE_PATTERN.test(value)) {
    throw new RangeError(`${name} must be a size such as 512m or 1g; received ${JSON.stringify(value)}`);
  }
  return value;
}

/** Kills servers left running when this process exits, including on SIGINT/SIGTERM/SIGHUP. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' listeners cannot await, so SIGKILL: the data of a server still running here is throwaway.
  const killAll = (): void => {
    for (const [child, ownedDir] of live) {
      child.kill('SIGKILL');
      // The killed JVM may still be closing files for a moment, hence the retries.
      if (ownedDir) rmSync(ownedDir, { recursive: true, force: true, maxRetries: 5 });
    }
    live.clear();
  };
  onExitOrSignal(killAll);
}
