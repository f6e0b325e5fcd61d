import { spawn, type ChildProcess } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** A server process this test run started, and a promise of its exit (resolves with how it ended). */
export interface Running {
  child: ChildProcess;
  exited: Promise<string>;
}

/**
 * SIGTERM (the server shuts down cleanly: Redis flushes its AOF, the Neo4j launcher's shutdown hook
 * stops the database), then SIGKILL if it misses the deadline. Only ever used on our own children.
 */
export async function terminate({ child, exited }: Running, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const cancel = new AbortController();
  const timer = delay(timeoutMs, 'timeout' as const, { signal: cancel.signal }).catch(
    () => 'cancelled' as const,
  );
  const outcome = await Promise.race([exited, timer]);
  cancel.abort();
  if (outcome === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * Runs `killAll` when this process exits, and on SIGINT/SIGTERM/SIGHUP before dying by the signal as
 * it would have (unless someone else handles it). `exit` listeners cannot await: `killAll` must be
 * synchronous (SIGKILL; the servers' data is throwaway).
 */
export function onExitOrSignal(killAll: () => void): void {
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAll();
      process.removeListener(signal, onSignal);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/**
 * Starts `command` with its output appended to `logPath` (a file, not pipes: nothing here has to drain
 * it, and it survives for post-mortems); `exited` says how it ended (or that it could not start).
 */
export async function spawnLogged(
  command: string,
  args: string[],
  logPath: string,
  /** Added to the message when the command cannot be started at all, e.g. what to install. */
  spawnHint = '',
): Promise<Running> {
  const log = await open(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, { stdio: ['ignore', log.fd, log.fd] });
  } finally {
    await log.close();
  }
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(`could not be spawned (${err.message})${spawnHint}`));
    child.once('exit', (code, signal) =>
      resolve(signal ? `was killed by ${signal}` : `exited with code ${code}`),
    );
  });
  return { child, exited };
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error(`no port from ${String(address)}`))));
    });
  });
}

/** The last `lines` lines of a server's log file, for an error message (`noun`: what the file holds). */
export async function logTail(logPath: string, lines = 15, noun = 'log', emptyHint = ''): Promise<string> {
  const text = await readFile(logPath, 'utf8').catch(() => '');
  const tail = text.trimEnd().split('\n').slice(-lines);
  return tail.length > 0 && tail[0] !== ''
    ? `last ${noun} lines:\n${tail.join('\n')}`
    : `no ${noun} output in ${logPath}${emptyHint}`;
}
