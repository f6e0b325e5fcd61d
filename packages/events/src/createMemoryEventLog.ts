import { featureKey, type EntityKind, type FeatureValue } from '@recs/feature-store';
import type { RecsEvent } from './Event';
import { applyEffects, conflictOf, type Effect } from './effects';
import {
  compareIds,
  encodeEvent,
  isEntryOf,
  type AppendOutcome,
  type ApplyOutcome,
  type EventLog,
  type GroupInfo,
  type LiveTarget,
  type LogEntry,
} from './EventLog';
import {
  DEFAULT_DEDUPE_TTL_SECONDS,
  DEFAULT_EVENTS_PREFIX,
  DEFAULT_EVENTS_SCHEMA_VERSION,
  checkDedupeTtl,
  checkEventsNamespace,
  streamKey,
} from './keys';

/** Options of {@link createMemoryEventLog}. */
export interface MemoryEventLogOptions {
  keyPrefix?: string;
  schemaVersion?: number;
  /** How long an event id is remembered; default 7 days. */
  dedupeTtlSeconds?: number;
  /** Clock, epoch ms; default `Date.now`. */
  now?: () => number;
}

interface Pending {
  consumer: string;
  deliveredAt: number;
  deliveries: number;
}

interface Group {
  lastDelivered: string;
  pel: Map<string, Pending>;
  consumers: Map<string, number>;
}

const DEAD_LETTER_MAX = 100_000;

/** Removes the items failing `keep` in place, keeping the order; returns how many were removed. */
function keepOnly<T>(items: T[], keep: (item: T) => boolean): number {
  let kept = 0;
  for (const item of items) if (keep(item)) items[kept++] = item;
  const removed = items.length - kept;
  items.length = kept;
  return removed;
}

/**
 * The embedded event log: Redis Streams semantics (ids, consumer groups, pending entries, idle claims,
 * idempotent appends with a TTL) in process memory, for running without Redis. Lost when the process
 * exits. Effects are written through the live target's FeatureStore, serialised by a lock.
 */
export function createMemoryEventLog(opts: MemoryEventLogOptions = {}): EventLog {
  const prefix = opts.keyPrefix ?? DEFAULT_EVENTS_PREFIX;
  const version = opts.schemaVersion ?? DEFAULT_EVENTS_SCHEMA_VERSION;
  checkEventsNamespace(prefix, version);
  const ttlMs = (opts.dedupeTtlSeconds ?? DEFAULT_DEDUPE_TTL_SECONDS) * 1000;
  checkDedupeTtl(ttlMs / 1000);
  const now = opts.now ?? Date.now;

  const entries: { id: string; raw: string }[] = [];
  const dedupe = new Map<string, { entryId: string; expiresAt: number }>();
  const groups = new Map<string, Group>();
  const dead: { entryId: string; group: string; reason: string; raw: string | null }[] = [];
  const waiters = new Set<() => void>();
  let lastMs = 0;
  let lastSeq = 0;
  let appendsSinceSweep = 0;
  let lock: Promise<unknown> = Promise.resolve();
  let closed = false;

  const open = (): void => {
    if (closed) throw new Error(`memory event log (${streamKey(prefix, version)}) is closed`);
  };
  const group = (name: string): Group => {
    const g = groups.get(name);
    if (!g) throw new Error(`NOGROUP no consumer group "${name}" on ${streamKey(prefix, version)}`);
    return g;
  };
  /** Index of the first entry with an id greater than `id`. */
  const after = (id: string): number => {
    let lo = 0;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareIds(entries[mid]!.id, id) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const rawOf = (id: string): string | null => {
    const i = after(id) - 1;
    return i >= 0 && entries[i]!.id === id ? entries[i]!.raw : null;
  };
  const nextId = (): string => {
    const ms = now();
    if (ms > lastMs) {
      lastMs = ms;
      lastSeq = 0;
    } else {
      lastSeq++;
    }
    return `${lastMs}-${lastSeq}`;
  };
  const sweep = (): void => {
    const t = now();
    for (const [id, d] of dedupe) if (d.expiresAt <= t) dedupe.delete(id);
  };
  const wake = (): void => {
    for (const w of [...waiters]) w();
  };
  const wait = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  const deliver = (g: Group, consumer: string, ids: string[]): LogEntry[] => {
    const t = now();
    return ids.map((id) => {
      const p = g.pel.get(id);
      g.pel.set(id, { consumer, deliveredAt: t, deliveries: (p?.deliveries ?? 0) + 1 });
      return { id, raw: rawOf(id) };
    });
  };
  const withLock = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = lock.then(fn, fn);
    lock = run.catch(() => undefined);
    return run;
  };

  return {
    kind: 'memory',
    stateBackend: 'memory',
    stream: streamKey(prefix, version),

    async append(events: readonly RecsEvent[]): Promise<AppendOutcome[]> {
      open();
      const t = now();
      const out = events.map((event): AppendOutcome => {
        const seen = dedupe.get(event.eventId);
        if (seen && seen.expiresAt > t) {
          return { eventId: event.eventId, status: 'duplicate', entryId: seen.entryId };
        }
        const id = nextId();
        entries.push({ id, raw: encodeEvent(event) });
        dedupe.set(event.eventId, { entryId: id, expiresAt: t + ttlMs });
        return { eventId: event.eventId, status: 'appended', entryId: id };
      });
      appendsSinceSweep += events.length;
      if (appendsSinceSweep >= 10_000) {
        appendsSinceSweep = 0;
        sweep();
      }
      if (out.some((o) => o.status === 'appended')) wake();
      return out;
    },

    async createGroup(name: string, startId = '0'): Promise<boolean> {
      open();
      if (groups.has(name)) return false;
      const start = startId === '$' ? (entries.at(-1)?.id ?? '0-0') : startId === '0' ? '0-0' : startId;
      groups.set(name, { lastDelivered: start, pel: new Map(), consumers: new Map() });
      return true;
    },

    async read(name, consumer, { count, blockMs, ownPending, signal }): Promise<LogEntry[]> {
      open();
      const g = group(name);
      g.consumers.set(consumer, now());
      if (ownPending) {
        const ids = [...g.pel]
          .filter(([, p]) => p.consumer === consumer)
          .map(([id]) => id)
          .sort(compareIds)
          .slice(0, count);
        return deliver(g, consumer, ids);
      }
      const deadline = now() + (blockMs ?? 0);
      for (;;) {
        const start = after(g.lastDelivered);
        if (start < entries.length) {
          const ids = entries.slice(start, start + count).map((e) => e.id);
          g.lastDelivered = ids.at(-1)!;
          return deliver(g, consumer, ids);
        }
        const left = deadline - now();
        if (left <= 0 || signal?.aborted || closed) return [];
        await wait(left, signal);
        if (closed) return [];
      }
    },

    async claimIdle(name, consumer, { minIdleMs, count }): Promise<LogEntry[]> {
      open();
      const g = group(name);
      g.consumers.set(consumer, now());
      const t = now();
      const ids = [...g.pel]
        .filter(([, p]) => t - p.deliveredAt >= minIdleMs)
        .map(([id]) => id)
        .sort(compareIds)
        .slice(0, count);
      const out: LogEntry[] = [];
      for (const entry of deliver(g, consumer, ids)) {
        // Like XAUTOCLAIM: an entry deleted meanwhile leaves the pending list and comes back empty.
        if (entry.raw === null) g.pel.delete(entry.id);
        out.push(entry);
      }
      return out;
    },

    applyAndAck(name, items, target: LiveTarget): Promise<ApplyOutcome[]> {
      open();
      const g = group(name);
      return withLock(async () => {
        const keyOf = (kind: EntityKind, id: string) => `${kind}\u0000${id}`;
        const wanted = new Map<string, { kind: EntityKind; id: string }>();
        for (const item of items) for (const e of item.effects) wanted.set(keyOf(e.kind, e.id), e);
        const records = new Map<string, FeatureValue | 'corrupt'>();
        for (const kind of ['user', 'product'] as const) {
          const ids = [...wanted.values()].filter((w) => w.kind === kind).map((w) => w.id);
          const read = async (some: string[]): Promise<void> => {
            const got = await target.store.getMany(kind, some);
            got.forEach((record, i) =>
              records.set(keyOf(kind, some[i]!), record ? { ...record.values } : {}),
            );
          };
          try {
            await read(ids);
          } catch {
            // One undecodable record fails the whole read: find it, so only its entries go to dead letters.
            for (const id of ids) await read([id]).catch(() => records.set(keyOf(kind, id), 'corrupt'));
          }
        }
        const get = (kind: EntityKind, id: string): FeatureValue =>
          records.get(keyOf(kind, id)) as FeatureValue;
        const touched = new Map<string, Set<string>>();
        const out: ApplyOutcome[] = [];
        for (const item of items) {
          // not pending (applied elsewhere), or deleted from the stream since it was read (forgotten)
          if (!g.pel.delete(item.id) || rawOf(item.id) === null) {
            out.push('skipped');
            continue;
          }
          const corrupt = item.effects.find((e: Effect) => records.get(keyOf(e.kind, e.id)) === 'corrupt');
          const reason = corrupt
            ? `record ${featureKey(target.keyPrefix, target.schemaVersion ?? 1, corrupt.kind, corrupt.id)} is not a JSON feature record`
            : conflictOf(get, item.effects);
          if (reason !== undefined) {
            dead.push({ entryId: item.id, group: name, reason, raw: rawOf(item.id) });
            if (dead.length > DEAD_LETTER_MAX) dead.splice(0, dead.length - DEAD_LETTER_MAX);
            out.push('dead');
            continue;
          }
          applyEffects(get, item.effects, (kind, id, field) => {
            const key = keyOf(kind, id);
            if (!touched.has(key)) touched.set(key, new Set());
            touched.get(key)!.add(field);
          });
          out.push('applied');
        }
        for (const [key, fields] of touched) {
          const { kind, id } = wanted.get(key)!;
          const values = get(kind, id);
          const patch: FeatureValue = {};
          for (const field of fields) patch[field] = values[field]!;
          await target.store.merge(kind, id, patch);
        }
        return out;
      });
    },

    async ack(name, ids): Promise<number> {
      open();
      const g = group(name);
      return ids.filter((id) => g.pel.delete(id)).length;
    },

    async deadLetter(name, id, reason): Promise<boolean> {
      open();
      const g = group(name);
      if (!g.pel.delete(id)) return false;
      dead.push({ entryId: id, group: name, reason, raw: rawOf(id) });
      return true;
    },

    async deadLetters(count = 100) {
      open();
      return dead.slice(0, count).map((d) => ({ ...d }));
    },

    async range(start = '-', end = '+', count = Infinity): Promise<LogEntry[]> {
      open();
      const lo = start === '-' ? '0-0' : start;
      return entries
        .filter((e) => compareIds(e.id, lo) >= 0 && (end === '+' || compareIds(e.id, end) <= 0))
        .slice(0, count)
        .map((e) => ({ ...e }));
    },

    async length(): Promise<number> {
      open();
      return entries.length;
    },

    async groupInfo(name): Promise<GroupInfo | undefined> {
      open();
      const g = groups.get(name);
      if (!g) return undefined;
      const t = now();
      const pendingBy = new Map<string, number>();
      for (const p of g.pel.values()) pendingBy.set(p.consumer, (pendingBy.get(p.consumer) ?? 0) + 1);
      return {
        name,
        pending: g.pel.size,
        lastDeliveredId: g.lastDelivered,
        lag: entries.length - after(g.lastDelivered),
        consumers: [...g.consumers].map(([consumer, seen]) => ({
          name: consumer,
          pending: pendingBy.get(consumer) ?? 0,
          idleMs: t - seen,
        })),
      };
    },

    async trim({ retainMs }): Promise<number> {
      open();
      if (groups.size === 0) return 0;
      let minId = `${Math.max(0, now() - retainMs)}-0`;
      for (const g of groups.values()) {
        if (compareIds(g.lastDelivered, minId) < 0) minId = g.lastDelivered;
        for (const id of g.pel.keys()) if (compareIds(id, minId) < 0) minId = id;
      }
      let n = 0;
      while (n < entries.length && compareIds(entries[n]!.id, minId) < 0) n++;
      entries.splice(0, n);
      return n;
    },

    async pruneConsumers(name, idleMs): Promise<string[]> {
      open();
      const g = group(name);
      const t = now();
      const busy = new Set([...g.pel.values()].map((p) => p.consumer));
      const gone = [...g.consumers].filter(([c, seen]) => !busy.has(c) && t - seen > idleMs).map(([c]) => c);
      for (const c of gone) g.consumers.delete(c);
      return gone;
    },

    eraseUser(userId: string): Promise<number> {
      open();
      // under the apply lock, so no batch is between reading its records and writing them
      return withLock(async () => {
        const goneIds = new Set(entries.filter((e) => isEntryOf(e.raw, userId)).map((e) => e.id));
        let removed = keepOnly(entries, (e) => !goneIds.has(e.id));
        removed += keepOnly(dead, (d) => !isEntryOf(d.raw, userId));
        for (const [eventId, d] of dedupe) {
          if (goneIds.has(d.entryId)) {
            dedupe.delete(eventId);
            removed++;
          }
        }
        return removed;
      });
    },

    async ping(): Promise<boolean> {
      return !closed;
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      wake();
    },
  };
}
