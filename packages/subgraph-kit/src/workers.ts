import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { ConfigError, env, type Env, type Logger } from '@recs/core';

/** The variable the primary hands each worker its slot in (not configuration: set by the primary only). */
const SLOT_VARIABLE = 'RECS_WORKER_SLOT';
const MAX_WORKERS = 64;

/** What this process is among the server's workers. */
export interface WorkerRole {
  /** 1..workers; a restarted worker keeps the slot of the one it replaces. */
  slot: number;
  workers: number;
  /** Slot 1: runs what must run once per server (e.g. the experiment automation timer). */
  lead: boolean;
}

export interface WorkersOptions {
  log: Logger;
  /**
   * The server keeps state in process memory (embedded mode, no REDIS_URL): workers would each hold
   * their own copy, so more than one worker is refused.
   */
  memoryState?: boolean;
  /** Unexpected worker exits tolerated within `crashWindowMs` before the primary gives up; default 5. */
  maxRestarts?: number;
  /** Default 60 s. */
  crashWindowMs?: number;
  /** Delay before the first restart, doubled per recent crash up to 5 s; default 250 ms. */
  restartDelayMs?: number;
  /** How long workers may drain after SIGTERM before they are killed; default 20 s. */
  stopTimeoutMs?: number;
}

/**
 * `WORKERS`: how many processes serve the server's port, an integer in [1, 64] or `auto` (one per
 * core); default 1, a single process. More than one is refused when `memoryState` is set.
 */
export function readWorkers(e: Env, opts: { memoryState?: boolean } = {}): number {
  const raw = env.optStr(e, 'WORKERS');
  const n =
    raw === undefined
      ? 1
      : raw.toLowerCase() === 'auto'
        ? Math.min(availableParallelism(), MAX_WORKERS)
        : Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS) {
    throw new ConfigError('WORKERS', `an integer in [1, ${MAX_WORKERS}] or auto`, raw);
  }
  if (n > 1 && opts.memoryState) {
    throw new ConfigError(
      'WORKERS',
      `1 when REDIS_URL is unset (the embedded in-memory stores live in one process, ${n} workers would not ` +
        'share them); set REDIS_URL or WORKERS=1',
      raw,
    );
  }
  return n;
}

/**
 * Runs the server as `WORKERS` processes sharing its port (node:cluster; Linux hands connections to
 * the workers round-robin). Call it at the top of a server's main, after reading its configuration
 * and before any start-up work:
 * - with one worker (the default), and in a worker, it resolves at once to this process's role and the
 *   main goes on as a single process would;
 * - in the primary of several workers it never resolves: the primary only supervises. It starts slot 1
 *   first and the others once slot 1 listens, so one-time start-up work (publishing features, loading
 *   the graph) is done by one process and found done by the rest; it restarts a worker that dies, in
 *   the same slot, after a growing delay; it forwards SIGTERM/SIGINT to the workers as SIGTERM (each
 *   drains, see `serveUntilSignal`) and exits 0 when all stopped cleanly, 1 otherwise; when workers keep
 *   crashing (more than `maxRestarts` exits within `crashWindowMs`) it stops the rest and exits 1.
 */
export async function startWorkers(e: Env, opts: WorkersOptions): Promise<WorkerRole> {
  const workers = readWorkers(e, opts);
  if (cluster.isWorker) {
    const slot = Number(e[SLOT_VARIABLE] ?? 1);
    return { slot, workers, lead: slot === 1 };
  }
  if (workers === 1) return { slot: 1, workers, lead: true };
  supervise(workers, opts);
  return new Promise<never>(() => {
    // The primary ends through process.exit once its workers are gone; the workers keep it alive.
  });
}

function supervise(count: number, opts: WorkersOptions): void {
  const log = opts.log.child({ component: 'cluster' });
  const maxRestarts = opts.maxRestarts ?? 5;
  const crashWindowMs = opts.crashWindowMs ?? 60_000;
  const restartDelayMs = opts.restartDelayMs ?? 250;
  const slots = new Map<Worker, number>();
  const crashes: number[] = [];
  let restarting = 0;
  let othersStarted = false;
  let stopping = false;
  let exitCode = 0;

  const fork = (slot: number) => slots.set(cluster.fork({ [SLOT_VARIABLE]: String(slot) }), slot);
  const finishIfDone = () => {
    if (!stopping || slots.size > 0 || restarting > 0) return;
    log.info({ exitCode }, 'all workers stopped');
    process.exit(exitCode);
  };
  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ reason, workers: slots.size }, 'stopping workers');
    for (const worker of slots.keys()) worker.process.kill('SIGTERM');
    setTimeout(() => {
      for (const worker of slots.keys()) worker.process.kill('SIGKILL');
    }, opts.stopTimeoutMs ?? 20_000).unref();
    finishIfDone();
  };

  cluster.on('listening', (worker, address) => {
    log.info({ slot: slots.get(worker), pid: worker.process.pid, port: address.port }, 'worker listening');
    if (othersStarted || stopping) return;
    othersStarted = true;
    for (let slot = 2; slot <= count; slot++) fork(slot);
  });
  cluster.on('exit', (worker, code, signal) => {
    const slot = slots.get(worker) ?? 0;
    slots.delete(worker);
    if (stopping) {
      if (code !== 0) {
        exitCode = 1;
        log.warn({ slot, pid: worker.process.pid, code, signal }, 'worker did not stop cleanly');
      }
      finishIfDone();
      return;
    }
    const now = Date.now();
    crashes.push(now);
    while (crashes[0]! < now - crashWindowMs) crashes.shift();
    const exit = { slot, pid: worker.process.pid, code, signal };
    if (crashes.length > maxRestarts) {
      log.error(
        { ...exit, crashes: crashes.length, windowMs: crashWindowMs },
        'workers keep crashing: giving up',
      );
      exitCode = 1;
      stop('crash loop');
      return;
    }
    const delayMs = Math.min(restartDelayMs * 2 ** (crashes.length - 1), 5_000);
    log.warn({ ...exit, restartInMs: delayMs }, 'worker died: restarting it');
    restarting++;
    setTimeout(() => {
      restarting--;
      if (stopping) finishIfDone();
      else fork(slot);
    }, delayMs);
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => stop(signal));
  log.info({ workers: count, pid: process.pid }, 'starting workers');
  fork(1);
}
