import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort, logTail, onExitOrSignal, spawnLogged, terminate, type Running } from './childProcess';

/** A running single-node Kafka (KRaft: broker and controller in one JVM) started by {@link startKafka}. */
export interface KafkaHandle {
  /** `['127.0.0.1:<port>']`: the PLAINTEXT listener, for kafkajs `brokers`. */
  brokers: string[];
  /** `kafka://127.0.0.1:<port>` (add `/<topic>` for `EVENT_LOG_URL`). */
  url: string;
  port: number;
  controllerPort: number;
  /** Pid of the broker's JVM. */
  pid: number;
  /** Holds `server.properties`, the log dirs under `data/` and the broker's output in `kafka.log`. */
  dataDir: string;
  /** SIGTERM (controlled shutdown), SIGKILL after 20 s, then removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export interface StartKafkaOptions {
  /** JVM max heap, e.g. `512m`; default `512m`. */
  heap?: string;
  /** Deadline for the broker to accept connections, in ms; default 90 000 (a start takes ~10-20 s on 2 busy cores). */
  timeoutMs?: number;
}

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Where scripts/install-kafka.sh copies the jars (git-ignored). */
const LIB_DIR = join(REPO_ROOT, 'var', 'kafka', 'lib');
export const KAFKA_INSTALL_HINT =
  'run `bash scripts/install-kafka.sh` from the repository root (or `bash scripts/setup.sh --services`)';
const DEFAULT_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 20_000;
const LOG_FILE = 'kafka.log';
const LOG_TAIL_LINES = 20;
const PORT_ATTEMPTS = 3;
const SIZE_PATTERN = /^[1-9][0-9]*[kmgKMG]?$/;
/** The line the broker logs once its listeners are up (kafka.server.KafkaRaftServer). */
const STARTED = /Kafka Server started/;

const live = new Map<ChildProcess, string | undefined>();
let exitHookInstalled = false;

class PortInUseError extends Error {}

/**
 * Starts a private single-node Kafka 3.9 in KRaft mode from the jars installed by
 * `scripts/install-kafka.sh`: picks two free ports (client and controller listener, both on 127.0.0.1
 * only), writes `server.properties` and formats a KRaft storage dir in a fresh temp dir, runs
 * `java -cp '<lib>/*' kafka.Kafka server.properties` and resolves once the broker has logged that it
 * started and its port accepts connections. Rejects with the broker's last log lines if it exits or
 * misses the deadline (after killing it), or with the install hint if the jars are missing.
 */
export async function startKafka(opts: StartKafkaOptions = {}): Promise<KafkaHandle> {
  return start(opts, true);
}

async function start(opts: StartKafkaOptions, keepsProcessAlive: boolean): Promise<KafkaHandle> {
  assertKafkaInstalled();
  const heap = opts.heap ?? '512m';
  if (!SIZE_PATTERN.test(heap)) {
    throw new RangeError(`heap must be a size such as 512m or 1g; received ${JSON.stringify(heap)}`);
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const dataDir = await mkdtemp(join(tmpdir(), 'recs-kafka-'));
  installExitHook();
  let running: Running | undefined;
  let port = 0;
  let controllerPort = 0;
  try {
    for (let attempt = 1; running === undefined; attempt++) {
      port = await freePort();
      controllerPort = await freePort();
      if (controllerPort === port) continue;
      try {
        running = await launch({ port, controllerPort, dataDir, heap, timeoutMs, keepsProcessAlive });
      } catch (err) {
        if (!(err instanceof PortInUseError) || attempt >= PORT_ATTEMPTS) throw err;
      }
    }
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true, maxRetries: 5 });
    throw err;
  }
  const current = running;
  let stopping: Promise<void> | undefined;
  return {
    brokers: [`127.0.0.1:${port}`],
    url: `kafka://127.0.0.1:${port}`,
    port,
    controllerPort,
    pid: current.child.pid ?? -1,
    dataDir,
    stop() {
      stopping ??= (async () => {
        await terminate(current, STOP_TIMEOUT_MS);
        await rm(dataDir, { recursive: true, force: true, maxRetries: 5 });
      })();
      return stopping;
    },
  };
}

let shared: Promise<{ brokers: string[] }> | undefined;

/**
 * The broker Kafka tests should use: `RECS_TEST_KAFKA_BROKERS` (comma-separated host:port) when a
 * runner started one, else one private broker per process, started on first call and killed when the
 * process exits.
 */
export async function testKafka(): Promise<{ brokers: string[] }> {
  const fromRunner = process.env.RECS_TEST_KAFKA_BROKERS;
  if (fromRunner) return { brokers: fromRunner.split(',').map((b) => b.trim()) };
  shared ??= start({}, false).then(
    (handle) => ({ brokers: handle.brokers }),
    (err: unknown) => {
      shared = undefined;
      throw err;
    },
  );
  return shared;
}

/** Throws with the install hint unless the broker jars are installed. */
export function assertKafkaInstalled(): void {
  const jars = existsSync(LIB_DIR) ? readdirSync(LIB_DIR) : [];
  if (!jars.some((name) => /^kafka_2\.13-.*\.jar$/.test(name))) {
    throw new Error(
      `Kafka broker jars are missing (no kafka_2.13-*.jar in ${LIB_DIR}); ${KAFKA_INSTALL_HINT}`,
    );
  }
}

function serverProperties(port: number, controllerPort: number, dataDir: string): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${join(dataDir, 'data')}`,
    'num.partitions=1',
    'auto.create.topics.enable=false',
    'offsets.topic.replication.factor=1',
    // 50 offsets partitions by default: slow to create on first use, and a test needs few.
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=4',
    'group.initial.rebalance.delay.ms=0',
    // Lets tests use short consumer session timeouts (a dead consumer's partitions move sooner).
    'group.min.session.timeout.ms=1000',
    'num.network.threads=2',
    'num.io.threads=2',
    'background.threads=2',
    '',
  ].join('\n');
}

const LOG4J = [
  'log4j.rootLogger=INFO, stdout',
  'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
  'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
  'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
  // The request and state-change chatter of a broker under test is noise.
  'log4j.logger.kafka.request.logger=WARN',
  'log4j.logger.state.change.logger=WARN',
  'log4j.logger.org.apache.kafka.controller=WARN',
  'log4j.logger.kafka.log.LogCleaner=WARN',
  '',
].join('\n');

async function launch(a: {
  port: number;
  controllerPort: number;
  dataDir: string;
  heap: string;
  timeoutMs: number;
  keepsProcessAlive: boolean;
}): Promise<Running> {
  const props = join(a.dataDir, 'server.properties');
  const log4j = join(a.dataDir, 'log4j.properties');
  const logPath = join(a.dataDir, LOG_FILE);
  await rm(join(a.dataDir, 'data'), { recursive: true, force: true });
  await writeFile(props, serverProperties(a.port, a.controllerPort, a.dataDir));
  await writeFile(log4j, LOG4J);
  const classpath = ['-cp', join(LIB_DIR, '*')];
  const logging = `-Dlog4j.configuration=file:${log4j}`;
  // A KRaft cluster id is 16 random bytes, base64url without padding (what StorageTool random-uuid prints).
  const clusterId = randomBytes(16).toString('base64url');
  const format = await spawnLogged(
    'java',
    [
      '-Xmx256m',
      '-XX:+UseSerialGC',
      logging,
      ...classpath,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      props,
    ],
    logPath,
    '; is java 17 on PATH?',
  );
  const formatted = await format.exited;
  if (formatted !== 'exited with code 0') {
    throw new Error(
      `formatting the KRaft storage in ${a.dataDir} ${formatted}; ${await logTail(logPath, LOG_TAIL_LINES)}`,
    );
  }

  const { child, exited } = await spawnLogged(
    'java',
    [
      `-Xmx${a.heap}`,
      '-XX:+UseSerialGC',
      '-Djava.awt.headless=true',
      logging,
      ...classpath,
      'kafka.Kafka',
      props,
    ],
    logPath,
    '; is java 17 on PATH?',
  );
  let gone: string | undefined;
  void exited.then((how) => {
    gone = how;
    live.delete(child);
  });
  live.set(child, a.dataDir);
  if (!a.keepsProcessAlive) child.unref();

  const where = `Kafka broker (pid ${child.pid ?? '?'}, port ${a.port}, dir ${a.dataDir})`;
  const deadline = Date.now() + a.timeoutMs;
  for (;;) {
    if (gone !== undefined) {
      const tail = await logTail(logPath, LOG_TAIL_LINES);
      if (/Address already in use/i.test(tail))
        throw new PortInUseError(`${where} ${gone}: port in use; ${tail}`);
      throw new Error(`${where} ${gone} before it was ready; ${tail}`);
    }
    const text = await readFile(logPath, 'utf8').catch(() => '');
    if (STARTED.test(text) && (await accepts(a.port))) return { child, exited };
    if (Date.now() > deadline) {
      await terminate({ child, exited }, STOP_TIMEOUT_MS);
      throw new Error(
        `${where} did not start within ${a.timeoutMs} ms; ${await logTail(logPath, LOG_TAIL_LINES)}`,
      );
    }
    await delay(100);
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Kills brokers left running when this process exits, including on SIGINT/SIGTERM/SIGHUP. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = (): void => {
    for (const [child, dir] of live) {
      child.kill('SIGKILL');
      if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    }
    live.clear();
  };
  onExitOrSignal(killAll);
}
