import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@recs/core';
import type { RecsEvent } from './Event';
import { effectsOf } from './effects';
import { decodeEvent, type EventLog, type LiveTarget, type LogEntry } from './EventLog';
import { ONLINE_STATE_GROUP } from './keys';

/** Options of {@link EventConsumer}. */
export interface EventConsumerOptions {
  log: EventLog;
  /** The live store the effects go to (prefix `recs-live` in production). */
  live: LiveTarget;
  /** Consumer group; default `online-state`. Each group sees every event once. */
  group?: string;
  /** This consumer's name, unique in the group; default `<hostname>-<pid>`. */
  name?: string;
  /** Where a newly created group starts: `0` (default) = the whole stream, `$` = only new events. */
  startId?: string;
  /** Entries per read; default 500. */
  batchSize?: number;
  /** How long a read waits for new entries; default 1000 ms (a stop interrupts it). */
  blockMs?: number;
  /** Entries pending this long belong to a dead or stuck consumer and are claimed; default 30 s. */
  claimMinIdleMs?: number;
  /** How often to look for such entries; default 5 s. */
  claimEveryMs?: number;
  /** false: acknowledge and call `onApplied` without writing the online state (e.g. a cache-invalidating group). */
  applyState?: boolean;
  /** How often to trim acknowledged entries older than `retainMs`; default 0 = never (see README). */
  trimEveryMs?: number;
  /** Acknowledged entries younger than this are kept; default 24 h. */
  retainMs?: number;
  /** Consumers idle this long without pending entries are removed from the group; default 24 h. */
  pruneIdleMs?: number;
  /**
   * Called once per event whose effects this consumer applied (after they were written and the entry
   * acknowledged), e.g. to invalidate caches. Awaited per batch; a failing hook is logged, not retried:
   * the state is already written, so a crash right here costs a hook call, never a double count.
   */
  onApplied?: (event: RecsEvent, entryId: string) => void | Promise<void>;
  /**
   * Fault injection for tests: runs before a batch is applied; resolving to `'abandon'` stops the
   * consumer at once and leaves the batch pending, as a process killed at that point would.
   */
  beforeApply?: (entries: readonly LogEntry[]) => Promise<void | 'abandon'>;
  logger?: Logger;
  /** First back-off after an error (doubles up to 5 s); default 100 ms. */
  retryDelayMs?: number;
}

/** What a consumer did since it started. */
export interface ConsumerStats {
  /** Entries this consumer applied (and acknowledged). */
  applied: number;
  /** Entries it got but another consumer had already applied. */
  skipped: number;
  /** Entries sent to the dead-letter stream. */
  dead: number;
  /** Entries it claimed from idle consumers. */
  claimed: number;
  /** Pending entries whose stream entry had been deleted. */
  deleted: number;
  batches: number;
  errors: number;
  trimmed: number;
}

/**
 * Applies the event stream to the online state: reads its consumer group (`XREADGROUP`), first its own
 * pending entries (a restart under the same name), claims entries left pending by dead consumers
 * (`XAUTOCLAIM` after `claimMinIdleMs`), and writes each entry's effects and acknowledges it in one
 * atomic step ({@link EventLog.applyAndAck}), so every event counts exactly once whatever crashes.
 * Within one consumer, events are applied in stream order; several consumers split the stream.
 */
export class EventConsumer {
  readonly group: string;
  readonly name: string;
  readonly stats: ConsumerStats = {
    applied: 0,
    skipped: 0,
    dead: 0,
    claimed: 0,
    deleted: 0,
    batches: 0,
    errors: 0,
    trimmed: 0,
  };
  private readonly opts: EventConsumerOptions;
  private running = false;
  private loop: Promise<void> | undefined;
  private abort = new AbortController();

  constructor(opts: EventConsumerOptions) {
    if (opts.log.stateBackend !== opts.live.store.kind) {
      throw new TypeError(
        `the event log (${opts.log.kind}) applies to ${opts.log.stateBackend}; the live store is on ${opts.live.store.kind}`,
      );
    }
    this.opts = opts;
    this.group = opts.group ?? ONLINE_STATE_GROUP;
    this.name = opts.name ?? `${hostname()}-${process.pid}`;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Creates the group if needed and starts consuming in the background. */
  async start(): Promise<void> {
    if (this.running) return;
    await this.opts.log.createGroup(this.group, this.opts.startId ?? '0');
    this.running = true;
    this.abort = new AbortController();
    this.loop = this.run();
  }

  /** Stops after the batch in progress (which is applied and acknowledged, or left pending). */
  /**
   * Stops reading and resolves when the loop has ended, or after `waitMs` at most: a batch stuck on an
   * unreachable Redis stays pending (a later consumer claims it) and the loop ends once its log closes.
   */
  async stop(waitMs = Infinity): Promise<void> {
    this.running = false;
    this.abort.abort();
    if (!Number.isFinite(waitMs)) {
      await this.loop;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.loop, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
  }

  /** True when the group has nothing pending and nothing undelivered (every event so far is applied). */
  async caughtUp(): Promise<boolean> {
    const info = await this.opts.log.groupInfo(this.group);
    return info !== undefined && info.pending === 0 && info.lag === 0;
  }

  private async run(): Promise<void> {
    const { log } = this.opts;
    const count = this.opts.batchSize ?? 500;
    const blockMs = this.opts.blockMs ?? 1000;
    const claimEveryMs = this.opts.claimEveryMs ?? 5000;
    const minIdleMs = this.opts.claimMinIdleMs ?? 30_000;
    const trimEveryMs = this.opts.trimEveryMs ?? 0;
    const baseDelay = this.opts.retryDelayMs ?? 100;
    let ownPending = true;
    let lastClaim = 0;
    let lastTrim = Date.now();
    let delay = baseDelay;
    // Two-stage pipeline: while Redis applies batch N, batch N+1 is read and prepared here. Applies go
    // out on one connection in order, so the stream order is kept; each entry is still applied once.
    let inflight: Promise<void> | undefined;
    let readAhead: Promise<LogEntry[]> | undefined;
    const settle = async (): Promise<void> => {
      const pending = [inflight, readAhead];
      inflight = undefined;
      readAhead = undefined;
      for (const p of pending) await p?.catch(() => undefined);
    };
    while (this.running) {
      try {
        let entries: LogEntry[] = [];
        if (readAhead) {
          const ahead = readAhead;
          readAhead = undefined;
          entries = await ahead;
        }
        if (entries.length === 0 && ownPending) {
          entries = await log.read(this.group, this.name, { count, ownPending: true });
          if (entries.length === 0) ownPending = false;
        }
        if (entries.length === 0 && Date.now() - lastClaim >= claimEveryMs) {
          lastClaim = Date.now();
          entries = await log.claimIdle(this.group, this.name, { minIdleMs, count });
          this.stats.claimed += entries.length;
          if (entries.length > 0) {
            this.opts.logger?.info(
              { claimed: entries.length, group: this.group },
              'claimed idle event entries',
            );
          }
        }
        if (entries.length === 0) {
          if (inflight) {
            const done = inflight;
            inflight = undefined;
            await done;
          }
          entries = await log.read(this.group, this.name, { count, blockMs, signal: this.abort.signal });
        }
        if (entries.length > 0) {
          // A full batch suggests a backlog: ask for the next one before this one is applied.
          if (entries.length === count && !ownPending && this.running) {
            readAhead = log.read(this.group, this.name, { count });
          }
          const job = this.process(entries);
          const previous = inflight;
          inflight = job;
          await previous;
        }
        if (trimEveryMs > 0 && Date.now() - lastTrim >= trimEveryMs && this.running) {
          lastTrim = Date.now();
          this.stats.trimmed += await log.trim({ retainMs: this.opts.retainMs ?? 24 * 3600_000 });
          await log.pruneConsumers(this.group, this.opts.pruneIdleMs ?? 24 * 3600_000);
        }
        delay = baseDelay;
      } catch (err) {
        await settle();
        if (!this.running) break;
        this.stats.errors++;
        this.opts.logger?.warn(
          { err, group: this.group, retryInMs: delay },
          'event consumer error; retrying',
        );
        await sleep(delay, undefined, { signal: this.abort.signal }).catch(() => undefined);
        delay = Math.min(delay * 2, 5000);
        // Whatever was read before the error is still pending for this consumer: read it again first.
        ownPending = true;
      }
    }
    try {
      await inflight;
    } catch (err) {
      this.opts.logger?.warn(
        { err, group: this.group },
        'event consumer stopped with a failed batch; it stays pending',
      );
    }
    // Entries read ahead and not processed stay pending for this consumer name (or a claimer).
    await readAhead?.catch(() => undefined);
  }

  private async process(entries: LogEntry[]): Promise<void> {
    const { log, live } = this.opts;
    if (this.opts.beforeApply && (await this.opts.beforeApply(entries)) === 'abandon') {
      this.running = false;
      return;
    }
    const items: { id: string; effects: ReturnType<typeof effectsOf> }[] = [];
    const events: RecsEvent[] = [];
    const deleted: string[] = [];
    for (const entry of entries) {
      if (entry.raw === null) {
        deleted.push(entry.id);
        continue;
      }
      const event = decodeEvent(entry.raw);
      if (event === undefined) {
        if (await log.deadLetter(this.group, entry.id, 'not a readable event')) this.stats.dead++;
        this.opts.logger?.warn({ entryId: entry.id }, 'unreadable event entry sent to dead letters');
        continue;
      }
      items.push({ id: entry.id, effects: this.opts.applyState === false ? [] : effectsOf(event) });
      events.push(event);
    }
    if (deleted.length > 0) {
      this.stats.deleted += await log.ack(this.group, deleted);
      this.opts.logger?.warn(
        { entries: deleted.length },
        'pending event entries had been deleted from the stream',
      );
    }
    if (items.length === 0) return;
    const outcomes = await log.applyAndAck(this.group, items, live);
    this.stats.batches++;
    const hooks: Promise<void>[] = [];
    outcomes.forEach((outcome, i) => {
      if (outcome === 'applied') {
        this.stats.applied++;
        if (this.opts.onApplied)
          hooks.push(Promise.resolve().then(() => this.opts.onApplied!(events[i]!, items[i]!.id)));
      } else if (outcome === 'skipped') {
        this.stats.skipped++;
      } else {
        this.stats.dead++;
        this.opts.logger?.warn(
          { entryId: items[i]!.id },
          'event entry conflicts with the stored state; sent to dead letters',
        );
      }
    });
    for (const result of await Promise.allSettled(hooks)) {
      if (result.status === 'rejected')
        this.opts.logger?.warn({ err: result.reason }, 'onApplied hook failed');
    }
  }
}
