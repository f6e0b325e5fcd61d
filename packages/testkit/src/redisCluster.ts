import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { onExitOrSignal, spawnLogged, terminate } from './childProcess';
import { Redis } from 'ioredis';

/** A local Redis Cluster started by {@link startRedisCluster}. */
export interface RedisClusterHandle {
  /** `redis-cluster://127.0.0.1:<p1>,127.0.0.1:<p2>,…` (every node, masters first). */
  url: string;
  /** Client ports of the masters, then of the replicas. */
  ports: number[];
  masterPorts: number[];
  replicaPorts: number[];
  /** Pids of the `redis-server` processes started here, in the order of `ports`. */
  pids: number[];
  /** Temp dir holding one sub-directory per node (`nodes.conf`, `redis.log`). */
  dataDir: string;
  /** Stops exactly the servers started here (SIGTERM, then SIGKILL after the deadline) and removes the dir. */
  stop(): Promise<void>;
}

/** Options of {@link startRedisCluster}. */
export interface StartRedisClusterOptions {
  /** Masters; default 3 (the minimum `redis-cli --cluster create` accepts). */
  masters?: number;
  /** Replicas per master; default 0. */
  replicasPerMaster?: number;
  /** Deadline for start-up (processes, `--cluster create`, `cluster_state:ok` everywhere), ms; default 20 000. */
  timeoutMs?: number;
}

interface Node {
  port: number;
  busPort: number;
  dir: string;
  child: ChildProcess;
  exited: Promise<string>;
}

/** Nodes still running, killed synchronously if this process exits without stopping them. */
const running = new Set<ChildProcess>();
const ownedDirs = new Set<string>();
let exitHookInstalled = false;

/**
 * Starts a private Redis Cluster on 127.0.0.1 from the installed `redis-server` and `redis-cli`:
 * `masters × (1 + replicasPerMaster)` servers with `--cluster-enabled yes` on free ports (client and
 * bus port each picked free), joined by `redis-cli --cluster create … --cluster-yes`, and resolves
 * once every node reports `cluster_state:ok` with all 16384 slots assigned and every node known. On
 * any failure it stops what it started before rejecting.
 */
export async function startRedisCluster(opts: StartRedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const masters = opts.masters ?? 3;
  const replicas = opts.replicasPerMaster ?? 0;
  const timeoutMs = opts.timeoutMs ?? 20_000;
  if (!Number.isInteger(masters) || masters < 3)
    throw new RangeError('a Redis Cluster needs at least 3 masters');
  if (!Number.isInteger(replicas) || replicas < 0) throw new RangeError('replicasPerMaster must be >= 0');
  const deadline = Date.now() + timeoutMs;
  installExitHook();
  const dataDir = await mkdtemp(join(tmpdir(), 'recs-redis-cluster-'));
  ownedDirs.add(dataDir);
  const nodes: Node[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => terminate(n, 5000)));
    await rm(dataDir, { recursive: true, force: true });
    ownedDirs.delete(dataDir);
  };
  try {
    const total = masters * (1 + replicas);
    const ports = await freePorts(total * 2);
    for (let i = 0; i < total; i++) {
      nodes.push(await launch(ports[2 * i]!, ports[2 * i + 1]!, join(dataDir, `node-${i}`)));
    }
    for (const node of nodes)
      await waitFor(node, deadline, async () => (await command(node.port, ['PING'])) === 'PONG');
    const create = [
      '--cluster',
      'create',
      ...nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ];
    const created = await runCli(create, deadline);
    if (created.code !== 0)
      throw new Error(`redis-cli --cluster create failed (${created.code}):\n${created.output}`);
    for (const node of nodes) {
      await waitFor(node, deadline, async () => {
        const info = (await command(node.port, ['CLUSTER', 'INFO'])) ?? '';
        return (
          /cluster_state:ok/.test(info) &&
          /cluster_slots_ok:16384/.test(info) &&
          new RegExp(`cluster_known_nodes:${total}\\b`).test(info)
        );
      });
    }
    // Replicas: wait until every node lists every replica in CLUSTER SLOTS ([start, end, master, ...replicas]),
    // as clients will see them.
    for (const node of nodes) {
      if (replicas === 0) break;
      await waitFor(node, deadline, async () => {
        const slots = (await clusterSlots(node.port)) ?? [];
        return slots.length > 0 && slots.every((range) => range.length >= 3 + replicas);
      });
    }
    const ordered = nodes.map((n) => n.port);
    return {
      url: `redis-cluster://${ordered.map((p) => `127.0.0.1:${p}`).join(',')}`,
      ports: ordered,
      masterPorts: ordered.slice(0, masters),
      replicaPorts: ordered.slice(masters),
      pids: nodes.map((n) => n.child.pid ?? -1),
      dataDir,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function launch(port: number, busPort: number, dir: string): Promise<Node> {
  await mkdir(dir, { recursive: true });
  const args = [
    ...['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'no'],
    ...['--protected-mode', 'yes', '--daemonize', 'no'],
    ...['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf')],
    ...['--cluster-port', String(busPort), '--cluster-node-timeout', '2000'],
    // Replicas: sync at once (default: wait 5 s for more replicas) and report their offset every second
    // (a replica whose offset its peers still see as 0 is left out of CLUSTER SLOTS, so no client reads it).
    ...['--repl-diskless-sync-delay', '0', '--repl-ping-replica-period', '1'],
  ];
  const { child, exited } = await spawnLogged('redis-server', args, join(dir, 'redis.log'));
  running.add(child);
  void exited.then(() => running.delete(child));
  return { port, busPort, dir, child, exited };
}

/** Polls `ready` every 50 ms until it holds; rejects with the node's log tail when it exits or the deadline passes. */
async function waitFor(node: Node, deadline: number, ready: () => Promise<boolean>): Promise<void> {
  let gone: string | undefined;
  void node.exited.then((how) => (gone = how));
  for (;;) {
    if (gone !== undefined)
      throw new Error(`redis-server on port ${node.port} ${gone}; ${await logTail(node)}`);
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new Error(`redis cluster node on port ${node.port} not ready in time; ${await logTail(node)}`);
    await delay(50);
  }
}

async function runCli(args: string[], deadline: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(1000, deadline - Date.now()));
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, output: `redis-cli could not be spawned (${err.message})` });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output });
    });
  });
}

/** CLUSTER SLOTS of one node (one short-lived connection), or undefined while it does not answer. */
async function clusterSlots(port: number): Promise<unknown[][] | undefined> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.call('CLUSTER', 'SLOTS')) as unknown[][];
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

/**
 * Sends one command over a raw connection and resolves to its simple-string or bulk-string reply
 * (undefined on an error reply, a timeout or a refused connection).
 */
async function command(port: number, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buffered = Buffer.alloc(0);
    const finish = (reply: string | undefined): void => {
      socket.destroy();
      resolve(reply);
    };
    socket.setTimeout(1000, () => finish(undefined));
    socket.once('error', () => finish(undefined));
    socket.once('close', () => finish(undefined));
    socket.once('connect', () =>
      socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`),
    );
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const lineEnd = buffered.indexOf('\r\n');
      if (lineEnd < 0) return;
      const first = buffered.subarray(0, lineEnd).toString();
      if (first.startsWith('+')) return finish(first.slice(1));
      if (!first.startsWith('$')) return finish(undefined);
      const length = Number(first.slice(1));
      if (length < 0) return finish(undefined);
      if (buffered.length < lineEnd + 2 + length) return undefined;
      return finish(buffered.subarray(lineEnd + 2, lineEnd + 2 + length).toString());
    });
  });
}

/** `n` distinct free ports on the loopback interface (all held open until every one is picked). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.unref();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    return typeof address === 'object' && address ? address.port : 0;
  });
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  if (new Set(ports).size !== n || ports.some((p) => p <= 0))
    throw new Error(`could not pick ${n} free ports`);
  return ports;
}

async function logTail(node: Node): Promise<string> {
  const text = await readFile(join(node.dir, 'redis.log'), 'utf8').catch(() => '');
  const lines = text.trimEnd().split('\n').slice(-15);
  return lines.length > 0 && lines[0] !== '' ? `last log lines:\n${lines.join('\n')}` : 'no log output';
}

/** Kills the nodes still running when this process exits (also on SIGINT/SIGTERM/SIGHUP). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = (): void => {
    for (const child of running) child.kill('SIGKILL');
    running.clear();
    for (const dir of ownedDirs) rmSync(dir, { recursive: true, force: true });
    ownedDirs.clear();
  };
  onExitOrSignal(killAll);
}
