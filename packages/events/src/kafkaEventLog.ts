import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { userDigest } from '@recs/core';
import {
  closeRedisClient,
  createRedisClient,
  isCluster,
  keySlot,
  type RedisClient,
} from '@recs/feature-store';
import {
  Kafka,
  Partitioners,
  logLevel,
  type Admin,
  type Consumer,
  type LogEntry as KafkaLogEntry,
  type Producer,
} from 'kafkajs';
import type { RecsEvent } from './Event';
import {
  encodeEvent,
  type AppendOutcome,
  type ApplyOutcome,
  type EventLog,
  type GroupInfo,
  type LiveTarget,
  type LogEntry,
} from './EventLog';
import { compileApply, type ApplyCompiler } from './kafkaApply';
import {
  DEFAULT_DEDUPE_TTL_SECONDS,
  DEFAULT_EVENTS_PREFIX,
  DEFAULT_EVENTS_SCHEMA_VERSION,
  checkDedupeTtl,
  checkEventsNamespace,
  clusterEventsPrefix,
  eventIdKey,
} from './keys';

/** Options of {@link createKafkaEventLog}. Reads no environment. */
export interface KafkaEventLogOptions {
  /** Bootstrap brokers, `host:port`. */
  brokers: readonly string[];
  /** The events topic; dead letters go to `<topic>.dead-letter`. */
  topic: string;
  /**
   * Redis for what Kafka cannot do: the event-id dedupe keys, the applied-offset markers and the
   * erasure cut-offs. Must be the live store's Redis (the apply script writes the live records and the
   * marker together). A URL (`redis://` or `redis-cluster://`; the log opens and closes it) or a client
   * (left open).
   */
  redis: { url: string } | { client: RedisClient };
  /** Prefix of the Redis keys (`<prefix>:v<version>:event-id:<id>`, `…:kafka:<topic>:…`); default `recs`. */
  keyPrefix?: string;
  schemaVersion?: number;
  /** How long an event id is remembered (the idempotency window); default 7 days. */
  dedupeTtlSeconds?: number;
  /** Partitions of the topic when the log creates it; default 12. An existing topic is left alone. */
  partitions?: number;
  /** Replication factor when the log creates the topics; default: the broker's default. */
  replicationFactor?: number;
  /** `retention.ms` of topics the log creates; default 7 days. Also how long erasure cut-offs are kept. */
  retentionMs?: number;
  /** Kafka client id prefix; default `recs-event-log`. */
  clientId?: string;
  /** Consumer session timeout: a consumer silent this long loses its partitions; default 30 000 ms. */
  sessionTimeoutMs?: number;
  /** Entries applied per script call; default 500. */
  applyChunk?: number;
  /** Messages a consumer buffers ahead of `read`; default 2000. */
  bufferSize?: number;
  /** Receives connection and client errors. */
  onError?: (err: Error) => void;
  /** Fault injection for tests: applies and marks, but does not commit offsets to Kafka (a crash right there). */
  skipCommit?: boolean;
}

interface Delivered {
  id: string;
  partition: number;
  offset: number;
  raw: string | null;
  key: string | null;
  consumer: string;
}

interface Member {
  name: string;
  consumer: Consumer;
  buffer: Delivered[];
  /** Partitions assigned at the last join; undefined before the first. */
  assigned: Set<number> | undefined;
  /** Last offset fetched per partition (including duplicates dropped). */
  fetched: Map<number, number>;
  wake: Set<() => void>;
  drained: Set<() => void>;
  lastSeen: number;
  started: Promise<void>;
}

interface GroupState {
  /** Delivered by this process and not yet applied, acknowledged or dead-lettered. */
  pending: Map<string, Delivered>;
  /** Highest handled offset per partition (this process). */
  handled: Map<number, number>;
  /** Applies, acks and dead letters of the group, one after another. */
  chain: Promise<unknown>;
  /** Set when an apply failed: later ones are refused until the pending entries are read again. */
  failed: boolean;
}

const DAY_MS = 86_400_000;
const SCAN_IDLE_MS = 3000;

/** `partition-offset`. */
export function kafkaEntryId(partition: number, offset: number | string): string {
  return `${partition}-${offset}`;
}

function parseEntryId(id: string): { partition: number; offset: number } | undefined {
  const m = /^(\d+)-(\d+)$/.exec(id);
  return m ? { partition: Number(m[1]), offset: Number(m[2]) } : undefined;
}

/** The message key: per-shopper order (all of a shopper's events in one partition), else the product. */
export function kafkaKeyOf(event: RecsEvent): string {
  return event.userId ?? event.productId ?? event.eventId;
}

/*
 * Reserve event ids. KEYS: the event-id keys; ARGV[1] TTL (s), ARGV[2] this call's reservation token.
 * Returns per key '' (reserved now: produce it) or what the key holds (a duplicate: the first entry's
 * id, or another call's token while that one is still producing).
 */
const RESERVE_SCRIPT = `
local out = {}
for i = 1, #KEYS do
  local seen = redis.call('GET', KEYS[i])
  if seen then
    out[i] = seen
  else
    redis.call('SET', KEYS[i], ARGV[2], 'EX', ARGV[1])
    out[i] = ''
  end
end
return out
`;

/* KEYS: reserved keys; ARGV[1] the token, ARGV[2..] each key's entry id ('' = release). */
const SETTLE_SCRIPT = `
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then
    if ARGV[i + 1] == '' then redis.call('DEL', KEYS[i]) else redis.call('SET', KEYS[i], ARGV[i + 1], 'XX', 'KEEPTTL') end
  end
end
return 1
`;

/* KEYS[1] an erasure cut-off key; ARGV[1] the offset, ARGV[2] TTL (ms). Keeps the higher cut-off. */
const CUTOFF_SCRIPT = `
local old = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) > old then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) else redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
`;

const sha = (text: string) => createHash('sha1').update(text).digest('hex');

/**
 * The event log on a Kafka topic (kafkajs), behind the same {@link EventLog} interface; see the README
 * ("Kafka") for how each method maps. Appends are produced with `acks=all` by an idempotent producer,
 * keyed by shopper; consumer groups are Kafka consumer groups; `applyAndAck` writes the effects and a
 * per-(group, partition) applied-offset marker in one Redis script, then commits the offsets to Kafka,
 * so a redelivery after a crash changes the live state once. Event-id dedupe keys live in Redis.
 * `kind` is `redis`: the backend of its online state, dedupe keys and markers (the consumer checks the
 * live store is on the same one).
 */
export function createKafkaEventLog(opts: KafkaEventLogOptions): EventLog {
  const givenPrefix = opts.keyPrefix ?? DEFAULT_EVENTS_PREFIX;
  const version = opts.schemaVersion ?? DEFAULT_EVENTS_SCHEMA_VERSION;
  checkEventsNamespace(givenPrefix, version);
  const ttl = opts.dedupeTtlSeconds ?? DEFAULT_DEDUPE_TTL_SECONDS;
  checkDedupeTtl(ttl);
  if (opts.brokers.length === 0) throw new TypeError('createKafkaEventLog needs at least one broker');
  if (!/^[a-zA-Z0-9._-]{1,200}$/.test(opts.topic)) {
    throw new TypeError(
      `topic must be 1..200 characters of [a-zA-Z0-9._-]; received ${JSON.stringify(opts.topic)}`,
    );
  }
  const topic = opts.topic;
  const deadTopic = `${topic}.dead-letter`;
  const applyChunk = opts.applyChunk ?? 500;
  const bufferSize = opts.bufferSize ?? 2000;
  const retentionMs = opts.retentionMs ?? 7 * DAY_MS;
  const sessionTimeout = opts.sessionTimeoutMs ?? 30_000;
  const clientId = opts.clientId ?? 'recs-event-log';
  const onError = opts.onError ?? (() => undefined);

  const ownsRedis = 'url' in opts.redis;
  const redis: RedisClient =
    'url' in opts.redis
      ? createRedisClient(opts.redis.url, {
          connectionName: 'recs-kafka-event-log',
          redis: { maxRetriesPerRequest: 2 },
        })
      : opts.redis.client;
  if (ownsRedis) redis.on('error', onError);
  const clustered = isCluster(redis);
  // One slot for the markers, the cut-offs and the live records on a Redis Cluster (as the Redis log).
  const prefix = clustered ? clusterEventsPrefix(givenPrefix) : givenPrefix;
  const base = `${prefix}:v${version}:kafka:${topic}`;
  const markerKey = (group: string) => `${base}:applied:${group}`;
  const cutoffKey = (digest: string, partition: number) => `${base}:erased:${digest}:${partition}`;
  /** A consumer group of this log: its start offsets per partition (createGroup). */
  const groupKey = (group: string) => `${base}:group:${group}`;
  const starts = new Map<string, Map<number, number>>();
  /** The group's start offsets (cached; empty when the group was never created). */
  async function startOf(group: string): Promise<Map<number, number>> {
    const known = starts.get(group);
    if (known) return known;
    const raw = await redis.get(groupKey(group));
    const parsed = new Map<number, number>(
      Object.entries(raw ? (JSON.parse(raw) as Record<string, number>) : {}).map(([p, o]) => [Number(p), o]),
    );
    if (raw) starts.set(group, parsed);
    return parsed;
  }

  // kafkajs logs through this: errors go to onError, the rest is dropped.
  const logCreator = () => (entry: KafkaLogEntry) => {
    if (entry.level <= logLevel.ERROR) onError(new Error(`kafkajs ${entry.namespace}: ${entry.log.message}`));
  };
  const client = (id: string) =>
    new Kafka({
      clientId: id,
      brokers: [...opts.brokers],
      logLevel: logLevel.ERROR,
      logCreator,
      retry: { retries: 5, initialRetryTime: 100 },
    });
  const kafka = client(clientId);
  const partitioner = Partitioners.DefaultPartitioner();

  let closed = false;
  const open = (): void => {
    if (closed) throw new Error(`kafka event log (${topic}) is closed`);
  };

  let compiler: Promise<ApplyCompiler & { sha: string }> | undefined;
  const applyScript = () => (compiler ??= compileApply().then((c) => ({ ...c, sha: sha(c.script) })));

  async function run(text: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(sha(text), keys.length, ...keys, ...args);
    } catch (err) {
      if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
      return redis.eval(text, keys.length, ...keys, ...args);
    }
  }

  // --- topics, producer, admin ------------------------------------------------------------------
  let admin: Promise<Admin> | undefined;
  const getAdmin = () =>
    (admin ??= (async () => {
      const a = kafka.admin();
      await a.connect();
      return a;
    })().catch((err: unknown) => {
      admin = undefined;
      throw err;
    }));
  let partitionCount: Promise<number> | undefined;
  /** Creates both topics if missing and resolves to the events topic's partition count. */
  const ensureTopics = () =>
    (partitionCount ??= (async () => {
      const a = await getAdmin();
      const configEntries = [{ name: 'retention.ms', value: String(retentionMs) }];
      const rf = opts.replicationFactor === undefined ? {} : { replicationFactor: opts.replicationFactor };
      await a.createTopics({
        waitForLeaders: true,
        topics: [
          { topic, numPartitions: opts.partitions ?? 12, ...rf, configEntries },
          // One partition: dead letters in the order they happened.
          { topic: deadTopic, numPartitions: 1, ...rf, configEntries },
        ],
      });
      const meta = await a.fetchTopicMetadata({ topics: [topic] });
      return meta.topics[0]!.partitions.length;
    })().catch((err: unknown) => {
      partitionCount = undefined;
      throw err;
    }));
  let producer: Promise<Producer> | undefined;
  const getProducer = () =>
    (producer ??= (async () => {
      await ensureTopics();
      // Idempotent: a retried produce request is written once per partition (needs acks=all and
      // at most 5 in flight; kafkajs supports 1).
      const p = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await p.connect();
      return p;
    })().catch((err: unknown) => {
      producer = undefined;
      throw err;
    }));
  const partitionOf = (key: string, count: number): number =>
    partitioner({
      topic,
      partitionMetadata: Array.from({ length: count }, (_, i) => ({
        partitionId: i,
        leader: 0,
        replicas: [0],
        isr: [0],
        offlineReplicas: [],
        partitionErrorCode: 0,
      })),
      message: { key, value: null },
    });

  // --- consumer groups ----------------------------------------------------------------------------
  const groups = new Map<string, GroupState>();
  const members = new Map<string, Member>();
  const groupState = (group: string): GroupState => {
    let g = groups.get(group);
    if (!g) {
      g = { pending: new Map(), handled: new Map(), chain: Promise.resolve(), failed: false };
      groups.set(group, g);
    }
    return g;
  };

  function wakeAll(m: Member, set: Set<() => void>): void {
    const fns = [...set];
    set.clear();
    for (const fn of fns) fn();
    void m;
  }

  function member(group: string, name: string): Member {
    const key = `${group}\u0000${name}`;
    let m = members.get(key);
    if (m) return m;
    const consumer = client(name).consumer({
      groupId: group,
      sessionTimeout: sessionTimeout,
      heartbeatInterval: Math.max(100, Math.floor(sessionTimeout / 10)),
      rebalanceTimeout: Math.max(sessionTimeout, 10_000),
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 500,
      retry: { retries: 5, initialRetryTime: 100 },
    });
    const state = groupState(group);
    const created: Member = {
      name,
      consumer,
      buffer: [],
      assigned: undefined,
      fetched: new Map(),
      wake: new Set(),
      drained: new Set(),
      lastSeen: Date.now(),
      started: Promise.resolve(),
    };
    m = created;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const assigned = new Set((e.payload.memberAssignment[topic] ?? []).map(Number));
      created.assigned = assigned;
      created.fetched.clear();
      // Revoked partitions: their undelivered messages are the new owner's now.
      created.buffer = created.buffer.filter((d) => assigned.has(d.partition));
      wakeAll(created, created.wake);
    });
    consumer.on(consumer.events.CRASH, (e) => {
      onError(e.payload.error);
      // kafkajs restarts the consumer after a retriable crash; otherwise it is gone: forget it, so the
      // next read starts a new one (what it delivered stays pending here, its offsets uncommitted).
      if (!e.payload.restart && members.get(key) === created) {
        members.delete(key);
        void consumer.disconnect().catch(() => undefined);
      }
    });
    let from = new Map<number, number>();
    created.started = (async () => {
      await ensureTopics();
      // A group's first consumer reads from the earliest offset (fromBeginning) and skips what lies
      // before the group's start (createGroup with '$'); once offsets are committed it starts there.
      from = await startOf(group);
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: true,
        eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
          const p = batch.partition;
          for (const message of batch.messages) {
            const offset = Number(message.offset);
            created.fetched.set(p, offset);
            const id = kafkaEntryId(p, offset);
            // After a rebalance Kafka re-delivers from the committed offset: drop what this process
            // already holds or handled (the applied-offset marker guards the rest).
            if ((state.handled.get(p) ?? -1) >= offset || state.pending.has(id)) continue;
            if (offset < (from.get(p) ?? 0)) continue;
            if (created.buffer.some((d) => d.id === id)) continue;
            created.buffer.push({
              id,
              partition: p,
              offset,
              raw: message.value === null ? null : message.value.toString(),
              key: message.key === null ? null : message.key.toString(),
              consumer: name,
            });
          }
          wakeAll(created, created.wake);
          while (created.buffer.length >= bufferSize && isRunning() && !isStale() && !closed) {
            await Promise.race([
              new Promise<void>((resolve) => created.drained.add(resolve)),
              sleep(Math.max(100, Math.floor(sessionTimeout / 10))),
            ]);
            await heartbeat();
          }
        },
      });
    })();
    created.started.catch((err: unknown) => {
      // Connecting or joining failed (broker unreachable): the read that waits on it fails, the next starts afresh.
      if (members.get(key) === created) members.delete(key);
      void consumer.disconnect().catch(() => undefined);
      onError(err as Error);
    });
    members.set(key, created);
    return created;
  }

  /** Waits until `m` has joined (or `until`), or aborted. */
  async function joined(m: Member, until: number, signal?: AbortSignal): Promise<void> {
    await m.started;
    while (m.assigned === undefined && Date.now() < until && !signal?.aborted && !closed) {
      await waitFor(m, until - Date.now(), signal);
    }
  }

  function waitFor(m: Member, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        m.wake.delete(finish);
        signal?.removeEventListener('abort', finish);
        resolve();
      };
      const timer = setTimeout(finish, Math.max(0, ms));
      m.wake.add(finish);
      signal?.addEventListener('abort', finish, { once: true });
    });
  }

  function take(m: Member, group: string, count: number): LogEntry[] {
    const state = groupState(group);
    const out = m.buffer.splice(0, count);
    for (const d of out) state.pending.set(d.id, d);
    if (m.buffer.length < bufferSize) wakeAll(m, m.drained);
    m.lastSeen = Date.now();
    return out.map((d) => ({ id: d.id, raw: d.raw }));
  }

  /** Where the group stands: the topic's end offsets and the group's committed ones, per partition. */
  async function positions(
    group: string,
  ): Promise<{ high: Map<number, number>; committed: Map<number, number> }> {
    const a = await getAdmin();
    const [ends, committed] = await Promise.all([
      a.fetchTopicOffsets(topic),
      a.fetchOffsets({ groupId: group, topics: [topic] }),
    ]);
    const low = new Map(ends.map((e) => [e.partition, Number(e.low)]));
    const high = new Map(ends.map((e) => [e.partition, Number(e.high)]));
    const start = await startOf(group);
    const c = new Map<number, number>();
    for (const p of committed[0]?.partitions ?? []) {
      const n = Number(p.offset);
      const first = Math.max(low.get(p.partition) ?? 0, start.get(p.partition) ?? 0);
      c.set(p.partition, n < 0 ? first : Math.max(n, low.get(p.partition) ?? 0));
    }
    return { high, committed: c };
  }

  /** Commits each partition up to its lowest entry still pending here (or past the highest handled). */
  async function commit(group: string, partitions: Set<number>, via: Set<string>): Promise<void> {
    if (opts.skipCommit) return;
    const state = groupState(group);
    const offsets: { topic: string; partition: number; offset: string }[] = [];
    for (const p of partitions) {
      let next = (state.handled.get(p) ?? -1) + 1;
      for (const d of state.pending.values()) if (d.partition === p && d.offset < next) next = d.offset;
      if (next > 0) offsets.push({ topic, partition: p, offset: String(next) });
    }
    if (offsets.length === 0) return;
    for (const name of via) {
      const m = members.get(`${group}\u0000${name}`);
      if (!m) continue;
      const mine = offsets.filter((o) => m.assigned?.has(o.partition));
      if (mine.length === 0) continue;
      try {
        await m.consumer.commitOffsets(mine);
      } catch (err) {
        // Rebalancing: the new owner re-reads from the last commit and the markers skip what was applied.
        onError(err as Error);
      }
    }
  }

  function handle(state: GroupState, d: Delivered): void {
    state.pending.delete(d.id);
    if ((state.handled.get(d.partition) ?? -1) < d.offset) state.handled.set(d.partition, d.offset);
  }

  /** Runs `fn` after the group's previous apply/ack/dead letter, in order. */
  function serial<T>(group: string, fn: () => Promise<T>): Promise<T> {
    const state = groupState(group);
    const next = state.chain.then(fn, fn);
    state.chain = next.catch(() => undefined);
    return next;
  }

  async function produceDead(items: { d: Delivered; group: string; reason: string }[]): Promise<void> {
    if (items.length === 0) return;
    const p = await getProducer();
    await p.send({
      topic: deadTopic,
      acks: -1,
      messages: items.map(({ d, group, reason }) => ({
        key: d.key,
        value: JSON.stringify({ entryId: d.id, group, reason, event: d.raw }),
      })),
    });
  }

  /** Reads a whole topic from the start up to its end offsets at call time, with a throwaway group. */
  async function scan(
    name: string,
    visit: (partition: number, offset: number, value: string | null) => boolean | void,
  ): Promise<void> {
    await ensureTopics();
    const a = await getAdmin();
    const ends = await a.fetchTopicOffsets(name);
    const todo = new Map<number, number>();
    for (const e of ends) if (Number(e.high) > Number(e.low)) todo.set(e.partition, Number(e.high) - 1);
    if (todo.size === 0) return;
    const groupId = `${clientId}-scan-${randomBytes(6).toString('hex')}`;
    const c = client(`${clientId}-scan`).consumer({
      groupId,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
    });
    let stop = false;
    let finished: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (finished = resolve));
    let last = Date.now();
    try {
      await c.connect();
      await c.subscribe({ topics: [name], fromBeginning: true });
      await c.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          last = Date.now();
          const end = todo.get(batch.partition);
          if (end === undefined || stop) return;
          for (const m of batch.messages) {
            const offset = Number(m.offset);
            if (offset > end) break;
            if (visit(batch.partition, offset, m.value === null ? null : m.value.toString()) === false)
              stop = true;
            if (stop) break;
          }
          if (stop || Number(batch.lastOffset()) >= end) todo.delete(batch.partition);
          if (stop || todo.size === 0) finished();
        },
      });
      // Ends when every partition reached its end, or nothing came for a while (e.g. retention removed the rest).
      while (!(await Promise.race([done.then(() => true), sleep(200).then(() => false)]))) {
        if (Date.now() - last > SCAN_IDLE_MS * 5 || closed) break;
      }
    } finally {
      await c.disconnect().catch(onError);
      await a.deleteGroups([groupId]).catch(() => undefined);
    }
  }

  const log: EventLog = {
    kind: 'kafka',
    stateBackend: 'redis',
    stream: topic,

    async append(events: readonly RecsEvent[]): Promise<AppendOutcome[]> {
      open();
      if (events.length === 0) return [];
      const token = `producing:${randomBytes(9).toString('base64url')}`;
      const keys = events.map((e) => eventIdKey(prefix, version, e.eventId));
      const seen = (await run(RESERVE_SCRIPT, keys, [ttl, token])) as string[];
      const first = new Map<string, number>();
      const fresh: number[] = [];
      seen.forEach((s, i) => {
        if (s === '') {
          fresh.push(i);
          first.set(events[i]!.eventId, i);
        }
      });
      const entryIds = new Map<number, string>();
      if (fresh.length > 0) {
        try {
          const p = await getProducer();
          const count = await ensureTopics();
          const byPartition = new Map<number, number[]>();
          const messages = fresh.map((i) => {
            const key = kafkaKeyOf(events[i]!);
            const partition = partitionOf(key, count);
            byPartition.set(partition, [...(byPartition.get(partition) ?? []), i]);
            return { key, value: encodeEvent(events[i]!), partition };
          });
          const meta = await p.send({ topic, acks: -1, messages });
          // One send: each partition's messages are written in order from its base offset.
          for (const m of meta) {
            const base = Number(m.baseOffset);
            (byPartition.get(m.partition) ?? []).forEach((i, k) =>
              entryIds.set(i, kafkaEntryId(m.partition, base + k)),
            );
          }
          await run(
            SETTLE_SCRIPT,
            fresh.map((i) => keys[i]!),
            [token, ...fresh.map((i) => entryIds.get(i) ?? '')],
          );
        } catch (err) {
          // Release the ids, so the client's retry is recorded (a produce that timed out may still
          // have been written: at-least-once in that window, see the README).
          await run(
            SETTLE_SCRIPT,
            fresh.map((i) => keys[i]!),
            [token, ...fresh.map(() => '')],
          ).catch(() => undefined);
          throw err;
        }
      }
      return events.map((e, i) => {
        if (seen[i] === '') return { eventId: e.eventId, status: 'appended', entryId: entryIds.get(i) ?? '' };
        const stored = seen[i]!;
        const entryId =
          stored === token
            ? (entryIds.get(first.get(e.eventId) ?? -1) ?? '')
            : stored.startsWith('producing:')
              ? ''
              : stored;
        return { eventId: e.eventId, status: 'duplicate', entryId };
      });
    },

    async createGroup(group: string, startId = '0'): Promise<boolean> {
      open();
      if (startId !== '0' && startId !== '$') {
        throw new Error(
          `kafka event log: createGroup supports startId '0' or '$' only; received ${JSON.stringify(startId)}`,
        );
      }
      await ensureTopics();
      // The group's start, per partition, in Redis: Kafka creates a group on its first join, and
      // committing a start position for a group nobody joined yet costs kafkajs a consumer start (~5 s).
      const ends = await (await getAdmin()).fetchTopicOffsets(topic);
      const start = Object.fromEntries(
        ends.map((e) => [e.partition, Number(startId === '$' ? e.high : e.low)]),
      );
      const created = await redis.set(groupKey(group), JSON.stringify(start), 'NX');
      if (created === 'OK') starts.set(group, new Map(Object.entries(start).map(([p, o]) => [Number(p), o])));
      return created === 'OK';
    },

    async read(group, consumer, { count, blockMs, ownPending, signal }): Promise<LogEntry[]> {
      open();
      const state = groupState(group);
      if (ownPending) {
        state.failed = false;
        return [...state.pending.values()]
          .filter((d) => d.consumer === consumer)
          .sort((x, y) => x.partition - y.partition || x.offset - y.offset)
          .slice(0, count)
          .map((d) => ({ id: d.id, raw: d.raw }));
      }
      const m = member(group, consumer);
      m.lastSeen = Date.now();
      if (signal?.aborted) return [];
      if (blockMs && blockMs > 0) {
        const until = Date.now() + blockMs;
        await joined(m, until, signal);
        while (m.buffer.length === 0 && Date.now() < until && !signal?.aborted && !closed) {
          await waitFor(m, until - Date.now(), signal);
        }
        return signal?.aborted || closed ? [] : take(m, group, count);
      }
      // Non-blocking: what the log holds now for this consumer's partitions, like XREADGROUP without
      // BLOCK; waits (at most 10 s) for the join and the fetches up to the current end offsets.
      const until = Date.now() + 10_000;
      await joined(m, until, signal);
      const { high, committed } = await positions(group);
      for (;;) {
        if (m.buffer.length >= count || closed || Date.now() > until) break;
        const behind = [...(m.assigned ?? [])].some((p) => {
          const end = (high.get(p) ?? 0) - 1;
          const at = Math.max(
            m.fetched.get(p) ?? -1,
            (committed.get(p) ?? 0) - 1,
            state.handled.get(p) ?? -1,
          );
          return at < end;
        });
        if (!behind) break;
        await waitFor(m, 50);
      }
      return take(m, group, count);
    },

    async claimIdle(): Promise<LogEntry[]> {
      open();
      // Kafka moves a dead consumer's partitions to the live ones (session timeout, rebalance), and
      // they re-read from the last committed offset: nothing to claim by hand.
      return [];
    },

    async applyAndAck(group, items, target: LiveTarget): Promise<ApplyOutcome[]> {
      open();
      const c = await applyScript();
      return serial(group, async () => {
        const state = groupState(group);
        if (state.failed) {
          throw new Error(
            `kafka event log: an earlier applyAndAck of group ${group} failed; read the consumer's pending entries again (read with ownPending) before applying later ones`,
          );
        }
        const out: ApplyOutcome[] = [];
        const touched = new Set<number>();
        const via = new Set<string>();
        try {
          for (let start = 0; start < items.length; start += applyChunk) {
            const chunk = items.slice(start, start + applyChunk);
            const known = chunk.map((item) => state.pending.get(item.id));
            const live = chunk.filter((_, i) => known[i] !== undefined);
            const codes = new Map<string, number | string>();
            if (live.length > 0) {
              const { recordKeys, tokens } = await c.encode(live, target);
              const cutoffs: string[] = [];
              const cutoffAt = new Map<string, number>();
              const args: (string | number)[] = [group, Date.now()];
              live.forEach((item, i) => {
                const d = state.pending.get(item.id)!;
                let ek = 0;
                if (d.key !== null) {
                  const k = cutoffKey(userDigest(d.key), d.partition);
                  let at = cutoffAt.get(k);
                  if (at === undefined) {
                    at = cutoffs.push(k) - 1;
                    cutoffAt.set(k, at);
                  }
                  ek = 4 + recordKeys.length + at;
                }
                args.push(tokens[i]!, d.partition, d.offset, ek);
              });
              const marker = markerKey(group);
              const keys = [marker, marker, marker, ...recordKeys, ...cutoffs];
              if (clustered) {
                const slot = keySlot(marker);
                const stray = keys.find((k) => keySlot(k) !== slot);
                if (stray !== undefined) {
                  throw new Error(
                    `on a Redis Cluster the live records must share the event log's hash slot (${marker}); ${stray} does not: give the live store the prefix "${prefix}-live"`,
                  );
                }
              }
              let reply: (number | string)[];
              try {
                reply = (await redis.evalsha(c.sha, keys.length, ...keys, ...args)) as (number | string)[];
              } catch (err) {
                if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
                reply = (await redis.eval(c.script, keys.length, ...keys, ...args)) as (number | string)[];
              }
              live.forEach((item, i) => codes.set(item.id, reply[i]!));
            }
            const dead: { d: Delivered; group: string; reason: string }[] = [];
            chunk.forEach((item, i) => {
              const d = known[i];
              const code = codes.get(item.id);
              if (!d || code === undefined) {
                out.push('skipped');
                return;
              }
              if (typeof code === 'string') {
                dead.push({ d, group, reason: code });
                out.push('dead');
              } else out.push(code === 1 ? 'applied' : 'skipped');
            });
            await produceDead(dead);
            for (const d of known) {
              if (!d) continue;
              handle(state, d);
              touched.add(d.partition);
              via.add(d.consumer);
            }
          }
        } catch (err) {
          state.failed = true;
          throw err;
        }
        await commit(group, touched, via);
        return out;
      });
    },

    async ack(group, ids): Promise<number> {
      open();
      return serial(group, async () => {
        const state = groupState(group);
        const touched = new Set<number>();
        const via = new Set<string>();
        let n = 0;
        for (const id of ids) {
          const d = state.pending.get(id);
          if (!d) continue;
          handle(state, d);
          touched.add(d.partition);
          via.add(d.consumer);
          n++;
        }
        await commit(group, touched, via);
        return n;
      });
    },

    async deadLetter(group, id, reason): Promise<boolean> {
      open();
      return serial(group, async () => {
        const state = groupState(group);
        const d = state.pending.get(id);
        if (!d) return false;
        await produceDead([{ d, group, reason }]);
        handle(state, d);
        await commit(group, new Set([d.partition]), new Set([d.consumer]));
        return true;
      });
    },

    async deadLetters(count = 100) {
      open();
      const out: { entryId: string; group: string; reason: string; raw: string | null }[] = [];
      await scan(deadTopic, (_p, _o, value) => {
        try {
          const v = JSON.parse(value ?? '{}') as {
            entryId?: string;
            group?: string;
            reason?: string;
            event?: string | null;
          };
          out.push({
            entryId: v.entryId ?? '',
            group: v.group ?? '',
            reason: v.reason ?? '',
            raw: v.event ?? null,
          });
        } catch {
          out.push({ entryId: '', group: '', reason: 'unreadable dead letter', raw: value });
        }
        return out.length < count;
      });
      return out;
    },

    async range(start = '-', end = '+', count?: number): Promise<LogEntry[]> {
      open();
      const lo = start === '-' ? undefined : parseEntryId(start);
      const hi = end === '+' ? undefined : parseEntryId(end);
      const after = (x: { partition: number; offset: number }, y: { partition: number; offset: number }) =>
        x.partition - y.partition || x.offset - y.offset;
      const out: (LogEntry & { partition: number; offset: number })[] = [];
      await scan(topic, (partition, offset, value) => {
        const at = { partition, offset };
        if ((lo && after(at, lo) < 0) || (hi && after(at, hi) > 0)) return;
        out.push({ id: kafkaEntryId(partition, offset), raw: value, partition, offset });
      });
      out.sort(after);
      return out.slice(0, count ?? out.length).map(({ id, raw }) => ({ id, raw }));
    },

    async length(): Promise<number> {
      open();
      await ensureTopics();
      const ends = await (await getAdmin()).fetchTopicOffsets(topic);
      return ends.reduce((n, e) => n + Number(e.high) - Number(e.low), 0);
    },

    async groupInfo(group): Promise<GroupInfo | undefined> {
      open();
      await ensureTopics();
      if ((await redis.exists(groupKey(group))) === 0) return undefined;
      const { high, committed } = await positions(group);
      const state = groupState(group);
      let behind = 0;
      let lastDeliveredId = '';
      for (const [p, h] of high) behind += Math.max(0, h - (committed.get(p) ?? 0));
      for (const d of state.pending.values())
        if (!lastDeliveredId || d.offset > Number(lastDeliveredId.split('-')[1])) lastDeliveredId = d.id;
      const pending = state.pending.size;
      const names = new Map<string, { pending: number; idleMs: number }>();
      for (const m of members.values()) {
        if (!members.has(`${group}\u0000${m.name}`)) continue;
        names.set(m.name, { pending: 0, idleMs: Date.now() - m.lastSeen });
      }
      for (const d of state.pending.values()) {
        const n = names.get(d.consumer) ?? { pending: 0, idleMs: 0 };
        n.pending++;
        names.set(d.consumer, n);
      }
      return {
        name: group,
        pending,
        lastDeliveredId,
        // Entries past the committed offsets that this process does not hold pending.
        lag: Math.max(0, behind - pending),
        consumers: [...names].map(([name, n]) => ({ name, ...n })),
      };
    },

    async trim(): Promise<number> {
      open();
      // Kafka deletes whole segments older than the topic's retention.ms itself; see the README.
      return 0;
    },

    async pruneConsumers(): Promise<string[]> {
      open();
      // A Kafka consumer leaves its group when it disconnects or misses its session timeout.
      return [];
    },

    async eraseUser(userId: string): Promise<number> {
      open();
      // Kafka cannot delete one record. All of a shopper's events are in one partition (keyed by user
      // id): record the partition's end offset as a cut-off, below which the apply script drops the
      // shopper's events; the records themselves leave with the topic's retention.
      const count = await ensureTopics();
      const partition = partitionOf(userId, count);
      const ends = await (await getAdmin()).fetchTopicOffsets(topic);
      const end = Number(ends.find((e) => e.partition === partition)?.high ?? 0);
      await run(CUTOFF_SCRIPT, [cutoffKey(userDigest(userId), partition)], [end, retentionMs]);
      return 0;
    },

    async ping(): Promise<boolean> {
      if (closed) return false;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), 2000);
      });
      try {
        const check = (async () => {
          const [pong] = await Promise.all([
            redis.ping(),
            (await getAdmin()).fetchTopicMetadata({ topics: [topic] }),
          ]);
          return pong === 'PONG';
        })().catch(() => false);
        return await Promise.race([check, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const m of members.values()) {
        wakeAll(m, m.wake);
        wakeAll(m, m.drained);
      }
      await Promise.allSettled(
        [...members.values()].map((m) => m.started.then(() => m.consumer.disconnect())),
      );
      members.clear();
      await Promise.allSettled([producer?.then((p) => p.disconnect()), admin?.then((a) => a.disconnect())]);
      if (ownsRedis) await closeRedisClient(redis);
    },
  };
  return log;
}
