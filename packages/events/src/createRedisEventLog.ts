import { createHash } from 'node:crypto';
import {
  closeRedisClient,
  createRedisClient,
  featureKey,
  isCluster,
  keySlot,
  type RedisClient,
} from '@recs/feature-store';
import type { RecsEvent } from './Event';
import type { Effect } from './effects';
import {
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
  clusterEventsPrefix,
  checkEventsNamespace,
  deadLetterKey,
  eventIdKey,
  streamKey,
} from './keys';

/** Options of {@link createRedisEventLog}. Reads no environment. */
export interface RedisEventLogOptions {
  /** Redis URL (`redis://` or `redis-cluster://`); the log opens (and closes) its own connection. */
  url?: string;
  /** Or an existing client (one server or a cluster), left open by `close()`. */
  client?: RedisClient;
  /**
   * Key prefix; default `recs` (stream `recs:v1:events`). On a Redis Cluster a prefix without a hash
   * tag is tagged (`recs` → `{recs}`: stream `{recs}:v1:events`), so the stream, its dead letters and
   * the event-id keys share one slot, as the append and apply scripts need.
   */
  keyPrefix?: string;
  schemaVersion?: number;
  /** How long an event id is remembered (the idempotency window); default 7 days. */
  dedupeTtlSeconds?: number;
  /** Events per append script call; default 500. */
  appendChunk?: number;
  /** Entries per apply script call; default 500, one consumer batch (bounds how long one script holds Redis: ~10 ms). */
  applyChunk?: number;
  /** Receives connection errors of connections the log owns. */
  onError?: (err: Error) => void;
}

/*
 * Idempotent append. KEYS[1] the stream, KEYS[2..n] the event-id keys; ARGV[1] TTL (s), ARGV[2..n] the
 * events' JSON in the same order. An unseen id is XADDed and its key SET NX EX <ttl> to the entry id, in
 * the same script (so atomically): a retried event is appended exactly once within the TTL. (Checking
 * with GET first, rather than SET NX before the XADD and SET again after, writes one command less to
 * the AOF per event.) Returns "a<entry id>" (appended) or "d<entry id>" (duplicate) per event.
 */
const APPEND_SCRIPT = `
local out = {}
for i = 2, #KEYS do
  local seen = redis.call('GET', KEYS[i])
  if seen then
    out[#out + 1] = 'd' .. seen
  else
    local id = redis.call('XADD', KEYS[1], '*', 'event', ARGV[i])
    redis.call('SET', KEYS[i], id, 'NX', 'EX', ARGV[1])
    out[#out + 1] = 'a' .. id
  end
end
return out
`;

/*
 * Atomic apply-and-acknowledge (the Lua twin of applyEffects/conflictOf in effects.ts).
 * KEYS[1] stream, KEYS[2] dead-letter stream, KEYS[3] the erasure marker (eraseUser sets it for ten
 * minutes), KEYS[4..] live feature records (feature-store encoding:
 * {"updatedAt":ms,"values":{"<field>":"<JSON>"}}). ARGV[1] group, ARGV[2] now (ms), then per entry: its
 * id and its effects as non-empty tokens joined by \x1f (no token can hold a control character: ids are
 * printable, queries are checked, values are JSON-encoded), so no JSON is decoded per entry:
 *   i <record> <field> <by>                     incr
 *   p <record> <field> <value> <max>            push
 *   s <record> <atField> <atJSON> <k> (<field> <valueJSON>)*k   setIfNewer
 *   k <record> <field> <from> <atField> <atJSON>  keepPrevious
 *   d <record> <field> <day> <by> <days>         dayIncr
 *   r <record> <field> <numerator> <denominator> ratio
 * where <record> is the index of the record key (1 = KEYS[4]).
 * Only an entry still pending in the group (XPENDING) and, while the erasure marker exists, still in
 * the stream (XRANGE: eraseUser may have deleted it after it was read) is applied, and it is
 * acknowledged (XACK) in the same script, so an entry redelivered after a crash or claimed by two consumers changes the state once.
 * An entry whose effects do not fit the stored fields goes to the dead-letter stream instead. Records
 * are read once, changed in Lua tables and written once at the end (SET KEEPTTL), before the XACK.
 * Returns 1 applied / 0 skipped / 2 dead per entry.
 */
/**
 * The apply script's effect machinery (record loading, `conflict`, `apply`: the Lua twin of effects.ts),
 * shared with the Kafka log, whose script ends with its own decision (kafkaApply.ts). Expects
 * KEYS[3] (tested with EXISTS for a recent erasure) and the live records from KEYS[4] on, as
 * {@link encodeApplyItems} lays them out.
 */
export const APPLY_PRELUDE = `
local tonumber, type, pairs, ipairs, pcall, unpack = tonumber, type, pairs, ipairs, pcall, unpack
local sub, byte, format, gmatch = string.sub, string.byte, string.format, string.gmatch
local floor, abs, min = math.floor, math.abs, math.min
local decode, encode, call = cjson.decode, cjson.encode, redis.call
local group = ARGV[1]
local now = tonumber(ARGV[2])
-- Only while an erasure is recent can an entry read by a consumer have been deleted since.
local erasing = call('EXISTS', KEYS[3]) == 1
local records = {}
local function load(i)
  local r = records[i]
  if r then return r end
  r = { arrays = {}, dirty = false }
  local raw = call('GET', KEYS[i + 3])
  if raw then
    local ok, decoded = pcall(decode, raw)
    if ok and type(decoded) == 'table' and type(decoded.values) == 'table' then
      r.record = decoded
    else
      r.corrupt = true
    end
  else
    r.record = { values = {} }
  end
  records[i] = r
  return r
end
local function array(r, field)
  local a = r.arrays[field]
  if a then return a end
  local enc = r.record.values[field]
  if enc == nil then
    a = {}
  else
    if type(enc) ~= 'string' or sub(enc, 1, 1) ~= '[' then return nil end
    local ok, arr = pcall(decode, enc)
    if not ok or type(arr) ~= 'table' then return nil end
    for _, v in ipairs(arr) do
      if type(v) ~= 'string' then return nil end
    end
    a = arr
  end
  r.arrays[field] = a
  return a
end
local function number(r, field)
  local enc = r.record.values[field]
  if enc == nil then return 0 end
  if type(enc) ~= 'string' then return nil end
  return tonumber(enc)
end
-- Byte order, not the locale's collation (Lua's < on strings uses strcoll).
local function later(a, b)
  local n = min(#a, #b)
  for k = 1, n do
    local x, y = byte(a, k), byte(b, k)
    if x ~= y then return x > y end
  end
  return #a > #b
end
local function fmt(n)
  if n == floor(n) and abs(n) < 9007199254740992 then return format('%d', n) end
  return format('%.17g', n)
end
local function width(t, op, j)
  if op == 'i' then return 4 elseif op == 's' then return 5 + 2 * tonumber(t[j + 4]) elseif op == 'k' or op == 'd' then return 6 else return 5 end
end
-- The reason the effects in t cannot be applied, or nil.
local function conflict(t)
  local j = 1
  while j <= #t do
    local op = t[j]
    local ri = tonumber(t[j + 1])
    local r = load(ri)
    if r.corrupt then return 'record ' .. KEYS[ri + 3] .. ' is not a JSON feature record' end
    local field = t[j + 2]
    if op == 'i' then
      if number(r, field) == nil then return 'field "' .. field .. '" of ' .. KEYS[ri + 3] .. ' is not a number' end
    elseif op == 'p' or op == 'd' then
      if array(r, field) == nil then
        return 'field "' .. field .. '" of ' .. KEYS[ri + 3] .. ' is not an array of strings'
      end
    elseif op == 's' then
      local enc = r.record.values[field]
      if enc ~= nil and (type(enc) ~= 'string' or sub(enc, 1, 1) ~= '"') then
        return 'field "' .. field .. '" of ' .. KEYS[ri + 3] .. ' is not a time string'
      end
    end
    j = j + width(t, op, j)
  end
  return nil
end
local function apply(t)
  local j = 1
  while j <= #t do
    local op = t[j]
    local r = load(tonumber(t[j + 1]))
    local v = r.record.values
    local field = t[j + 2]
    if op == 'i' then
      v[field] = fmt(number(r, field) + tonumber(t[j + 3]))
      r.dirty = true
    elseif op == 'p' then
      local a = array(r, field)
      a[#a + 1] = t[j + 3]
      local max = tonumber(t[j + 4])
      if #a > max then
        local kept = {}
        for k = #a - max + 1, #a do kept[#kept + 1] = a[k] end
        a = kept
        r.arrays[field] = a
      end
      r.pushed = r.pushed or {}
      r.pushed[field] = true
      r.dirty = true
    elseif op == 's' then
      local stored = v[field]
      if stored == nil or not later(stored, t[j + 3]) then
        v[field] = t[j + 3]
        for k = 1, tonumber(t[j + 4]) do v[t[j + 3 + 2 * k]] = t[j + 4 + 2 * k] end
        r.dirty = true
      end
    elseif op == 'd' then
      -- a ring of "<day>:<count>", oldest first, over the last <days> days up to the newest seen
      local a = array(r, field)
      local day, by, days = tonumber(t[j + 3]), tonumber(t[j + 4]), tonumber(t[j + 5])
      local counts, order, newest = {}, {}, day
      for _, entry in ipairs(a) do
        local sep = string.find(entry, ':', 1, true)
        local d = tonumber(sub(entry, 1, sep - 1))
        counts[d] = tonumber(sub(entry, sep + 1))
        order[#order + 1] = d
        if d > newest then newest = d end
      end
      if day > newest - days then
        if counts[day] == nil then order[#order + 1] = day end
        counts[day] = (counts[day] or 0) + by
        table.sort(order)
        local kept = {}
        for _, d in ipairs(order) do
          if d > newest - days then kept[#kept + 1] = format('%d', d) .. ':' .. fmt(counts[d]) end
        end
        r.arrays[field] = kept
        r.pushed = r.pushed or {}
        r.pushed[field] = true
        r.dirty = true
      end
    elseif op == 'k' then
      local stored = v[t[j + 4]]
      local old = v[t[j + 3]]
      if old ~= nil and (stored == nil or not later(stored, t[j + 5])) then
        v[field] = old
        r.dirty = true
      end
    elseif op == 'r' then
      local num = number(r, t[j + 3])
      local den = number(r, t[j + 4])
      if num ~= nil and den ~= nil and den > 0 then
        v[field] = fmt(num / den)
        r.dirty = true
      end
    end
    j = j + width(t, op, j)
  end
end
-- Writes every changed record back, once, after the decision has computed everything.
local function writeRecords()
  for ri, r in pairs(records) do
    if r.dirty then
      if r.pushed then
        -- cjson writes an empty table as {}; a pushed array is never empty.
        for field in pairs(r.pushed) do r.record.values[field] = encode(r.arrays[field]) end
      end
      r.record.updatedAt = now
      call('SET', KEYS[ri + 3], encode(r.record), 'KEEPTTL')
    end
  end
end
`;

const APPLY_SCRIPT =
  APPLY_PRELUDE +
  `-- Decide and compute first (reads only), write at the end: an error while computing leaves nothing
-- written and every entry pending, so nothing is acknowledged without its effects.
local out, acks, dead, seen = {}, {}, {}, {}
for i = 3, #ARGV, 2 do
  local id = ARGV[i]
  if seen[id] or #call('XPENDING', KEYS[1], group, id, id, 1) == 0 then
    out[#out + 1] = 0
  elseif erasing and #call('XRANGE', KEYS[1], id, id) == 0 then
    -- deleted since it was read (a forgotten shopper's event): acknowledged without its effects
    seen[id] = true
    acks[#acks + 1] = id
    out[#out + 1] = 0
  else
    seen[id] = true
    local t = {}
    for token in gmatch(ARGV[i + 1], '[^\\31]+') do t[#t + 1] = token end
    local reason = conflict(t)
    if reason then
      dead[#dead + 1] = { id, reason }
      out[#out + 1] = 2
    else
      apply(t)
      out[#out + 1] = 1
    end
    acks[#acks + 1] = id
  end
end
writeRecords()
for _, d in ipairs(dead) do
  local found = call('XRANGE', KEYS[1], d[1], d[1])[1]
  local raw = ''
  if found then raw = found[2][2] end
  call('XADD', KEYS[2], 'MAXLEN', '~', 100000, '*', 'entry', d[1], 'group', group, 'reason', d[2], 'event', raw)
end
if #acks > 0 then call('XACK', KEYS[1], group, unpack(acks)) end
return out
`;

/*
 * Acknowledge one entry and copy it to the dead-letter stream. KEYS[1] stream, KEYS[2] dead letters;
 * ARGV[1] group, ARGV[2] entry id, ARGV[3] reason. Returns 1, or 0 when it was not pending.
 */
const DEAD_LETTER_SCRIPT = `
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
local found = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])[1]
local raw = ''
if found then raw = found[2][2] end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', 100000, '*', 'entry', ARGV[2], 'group', ARGV[1], 'reason', ARGV[3], 'event', raw)
return 1
`;

/*
 * Safe trimming. KEYS[1] stream; ARGV[1] the retention floor id ("<now - retain>-0"), ARGV[2] "~" or "=".
 * The cut is the lowest of: the floor, every group's last-delivered id and every group's oldest pending
 * id; XTRIM MINID removes only entries below it, so nothing pending or undelivered is ever removed.
 * No group: nothing is removed. Returns the number of entries removed.
 */
const TRIM_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function less(a, b)
  local am, as = parse(a)
  local bm, bs = parse(b)
  return am < bm or (am == bm and as < bs)
end
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
if #groups == 0 then return 0 end
local cut = ARGV[1]
for _, g in ipairs(groups) do
  local name, last
  for j = 1, #g, 2 do
    if g[j] == 'name' then name = g[j + 1] elseif g[j] == 'last-delivered-id' then last = g[j + 1] end
  end
  if less(last, cut) then cut = last end
  local p = redis.call('XPENDING', KEYS[1], name)
  if p[1] > 0 and less(p[2], cut) then cut = p[2] end
end
return redis.call('XTRIM', KEYS[1], 'MINID', ARGV[2], cut)
`;

/*
 * Deletes idle consumers without pending entries (deleting one with pending entries would drop them).
 * KEYS[1] stream; ARGV[1] group, ARGV[2] idle threshold (ms). Returns the deleted names.
 */
const PRUNE_SCRIPT = `
local out = {}
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local name, pending, idle
  for j = 1, #c, 2 do
    if c[j] == 'name' then name = c[j + 1] elseif c[j] == 'pending' then pending = c[j + 1] elseif c[j] == 'idle' then idle = c[j + 1] end
  end
  if pending == 0 and idle > tonumber(ARGV[2]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], name)
    out[#out + 1] = name
  end
end
return out
`;

/*
 * Deletes idempotency keys that still point at the given entries. KEYS: the event-id keys; ARGV: the
 * entry id each must hold (a key reused by a later event elsewhere is left alone). Returns the count.
 */
const FORGET_IDS_SCRIPT = `
local n = 0
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[i] then n = n + redis.call('DEL', KEYS[i]) end
end
return n
`;

const sha = (script: string) => createHash('sha1').update(script).digest('hex');
const SCRIPTS = {
  append: { text: APPEND_SCRIPT, sha: sha(APPEND_SCRIPT) },
  apply: { text: APPLY_SCRIPT, sha: sha(APPLY_SCRIPT) },
  deadLetter: { text: DEAD_LETTER_SCRIPT, sha: sha(DEAD_LETTER_SCRIPT) },
  trim: { text: TRIM_SCRIPT, sha: sha(TRIM_SCRIPT) },
  prune: { text: PRUNE_SCRIPT, sha: sha(PRUNE_SCRIPT) },
  forgetIds: { text: FORGET_IDS_SCRIPT, sha: sha(FORGET_IDS_SCRIPT) },
};

/** Entries read per XRANGE while erasing a shopper. */
const ERASE_SLICE = 1000;
/**
 * How long after an erasure the apply script still checks that entries exist: far longer than an
 * entry stays read but not applied (a consumer that fails re-reads its pending entries from Redis).
 */
const ERASING_MARKER_MS = 10 * 60_000;
type Script = (typeof SCRIPTS)[keyof typeof SCRIPTS];

type RawEntry = [string, string[] | null];

/** Flat [k1, v1, k2, v2] reply -> record. */
function pairs(flat: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}

function field(fields: string[] | null, name: string): string | null {
  if (!fields) return null;
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1]!;
  return null;
}

const toEntry = ([id, fields]: RawEntry): LogEntry => ({ id, raw: field(fields, 'event') });

/**
 * Entries' effects as the apply script's arguments: the live records they touch (KEYS[4..], each once)
 * and per entry its effects as flat tokens joined by \x1f, record keys replaced by their index.
 */
export function encodeApplyItems(
  items: readonly { effects: readonly Effect[] }[],
  target: LiveTarget,
): { recordKeys: string[]; tokens: string[] } {
  const schema = target.schemaVersion ?? 1;
  const recordKeys: string[] = [];
  const indexOf = new Map<string, number>();
  const index = (kind: Effect['kind'], id: string): number => {
    const key = featureKey(target.keyPrefix, schema, kind, id);
    let i = indexOf.get(key);
    if (i === undefined) {
      recordKeys.push(key);
      i = recordKeys.length;
      indexOf.set(key, i);
    }
    return i;
  };
  return { recordKeys, tokens: items.map((item) => effectTokens(item.effects, index).join('\x1f')) };
}

/** Effects as the apply script's flat tokens, with record keys replaced by their index in KEYS[3..]. */
function effectTokens(
  effects: readonly Effect[],
  index: (kind: Effect['kind'], id: string) => number,
): (string | number)[] {
  const out: (string | number)[] = [];
  for (const e of effects) {
    const r = index(e.kind, e.id);
    switch (e.op) {
      case 'incr':
        out.push('i', r, e.field, e.by);
        break;
      case 'push':
        out.push('p', r, e.field, e.value, e.max);
        break;
      case 'setIfNewer': {
        const pairs = Object.entries(e.values);
        out.push('s', r, e.atField, JSON.stringify(e.at), pairs.length);
        for (const [k, v] of pairs) out.push(k, JSON.stringify(v));
        break;
      }
      case 'keepPrevious':
        out.push('k', r, e.field, e.from, e.atField, JSON.stringify(e.at));
        break;
      case 'dayIncr':
        out.push('d', r, e.field, String(e.day), String(e.by), String(e.days));
        break;
      case 'ratio':
        out.push('r', r, e.field, e.numerator, e.denominator);
        break;
    }
  }
  return out;
}

/** The connection of each log made here, for {@link redisClientOf}. */
const clients = new WeakMap<EventLog, RedisClient>();

/**
 * The Redis connection of a log made by {@link createRedisEventLog}, for what must live on the same
 * server (the features subgraph's erasers and rate limits); undefined for any other log. Closed with
 * the log when the log opened it.
 */
export function redisClientOf(log: EventLog): RedisClient | undefined {
  return clients.get(log);
}

/**
 * The production event log on Redis Streams: `XADD` behind an idempotency key (one Lua script),
 * consumer groups (`XREADGROUP`, `XAUTOCLAIM`), apply-and-`XACK` in one Lua script, dead letters in a
 * second stream, and trimming that only ever removes entries every group has acknowledged. Never trims
 * on append. Each blocking read uses a connection of its own (one per consumer name).
 */
export function createRedisEventLog(opts: RedisEventLogOptions): EventLog {
  const givenPrefix = opts.keyPrefix ?? DEFAULT_EVENTS_PREFIX;
  const version = opts.schemaVersion ?? DEFAULT_EVENTS_SCHEMA_VERSION;
  checkEventsNamespace(givenPrefix, version);
  const ttl = opts.dedupeTtlSeconds ?? DEFAULT_DEDUPE_TTL_SECONDS;
  checkDedupeTtl(ttl);
  const appendChunk = opts.appendChunk ?? 500;
  const applyChunk = opts.applyChunk ?? 500;
  for (const [name, n] of [
    ['appendChunk', appendChunk],
    ['applyChunk', applyChunk],
  ] as const) {
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new TypeError(`${name} must be a positive integer; received ${JSON.stringify(n)}`);
    }
  }
  if (opts.client === undefined && !opts.url) {
    throw new TypeError('createRedisEventLog needs a url or a client; received neither');
  }
  const ownsClient = opts.client === undefined;
  // Fail a command after two reconnect attempts rather than ioredis' default of 20 (~10 s): a caller
  // recording events gets BACKEND_UNAVAILABLE quickly and retries; the consumer backs off.
  const client =
    opts.client ??
    createRedisClient(opts.url!, { connectionName: 'recs-event-log', redis: { maxRetriesPerRequest: 2 } });
  const clustered = isCluster(client);
  // One slot for everything a script of this log touches (see RedisEventLogOptions.keyPrefix).
  const prefix = clustered ? clusterEventsPrefix(givenPrefix) : givenPrefix;
  // Connection errors surface as failed commands (the consumer logs and retries them); without a
  // listener ioredis would print every reconnect attempt.
  if (ownsClient) client.on('error', opts.onError ?? (() => undefined));
  const stream = streamKey(prefix, version);
  const dead = deadLetterKey(prefix, version);
  /** Set while (and ten minutes after) a shopper's entries are erased; see the apply script. */
  const erasing = `${stream}:erasing`;
  const streamSlot = keySlot(stream);
  const blocking = new Map<string, RedisClient>();
  const claimCursor = new Map<string, string>();
  let closed = false;

  const open = (): void => {
    if (closed) throw new Error(`redis event log (${stream}) is closed`);
  };

  /** On a cluster the apply script's live records must be in the stream's slot: say how to get there. */
  function checkColocated(recordKeys: readonly string[], livePrefix: string): void {
    const stray = recordKeys.find((key) => keySlot(key) !== streamSlot);
    if (stray === undefined) return;
    throw new Error(
      `on a Redis Cluster the live records must share the event stream's hash slot (${stream}); ` +
        `${stray} does not: give the live store the stream's hash tag (e.g. keyPrefix "${prefix}-live" ` +
        `instead of ${JSON.stringify(livePrefix)}; the default is CLUSTER_LIVE_KEY_PREFIX "{recs}-live")`,
    );
  }

  async function run(script: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await client.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
      return client.eval(script.text, keys.length, ...keys, ...args);
    }
  }

  function blockingConnection(consumer: string): RedisClient {
    let conn = blocking.get(consumer);
    if (!conn) {
      // A blocking read waits by design: no command timeout, and queue while (re)connecting, whatever
      // the injected client does for serving.
      const blockingOptions = {
        connectionName: `recs-event-consumer-${consumer}`.slice(0, 100),
        commandTimeout: undefined,
        maxRetriesPerRequest: null,
      };
      conn = isCluster(client)
        ? client.duplicate(undefined, {
            enableOfflineQueue: true,
            enableAutoPipelining: false,
            // XREADGROUP writes (it moves the group's cursor): masters only.
            scaleReads: 'master',
            redisOptions: { ...client.options.redisOptions, ...blockingOptions },
          })
        : client.duplicate({ ...blockingOptions, enableOfflineQueue: true, enableAutoPipelining: false });
      if (opts.onError) conn.on('error', opts.onError);
      else conn.on('error', () => undefined);
      blocking.set(consumer, conn);
    }
    return conn;
  }

  const log: EventLog = {
    kind: 'redis',
    stateBackend: 'redis',
    stream,

    async append(events: readonly RecsEvent[]): Promise<AppendOutcome[]> {
      open();
      const out: AppendOutcome[] = [];
      for (let start = 0; start < events.length; start += appendChunk) {
        const chunk = events.slice(start, start + appendChunk);
        const keys = [stream, ...chunk.map((e) => eventIdKey(prefix, version, e.eventId))];
        const reply = (await run(SCRIPTS.append, keys, [ttl, ...chunk.map(encodeEvent)])) as string[];
        reply.forEach((r, i) =>
          out.push({
            eventId: chunk[i]!.eventId,
            status: r.startsWith('a') ? 'appended' : 'duplicate',
            entryId: r.slice(1),
          }),
        );
      }
      return out;
    },

    async createGroup(group: string, startId = '0'): Promise<boolean> {
      open();
      try {
        await client.xgroup('CREATE', stream, group, startId, 'MKSTREAM');
        return true;
      } catch (err) {
        if (String((err as Error).message).startsWith('BUSYGROUP')) return false;
        throw err;
      }
    },

    async read(group, consumer, { count, blockMs, ownPending, signal }): Promise<LogEntry[]> {
      open();
      const args: (string | number)[] = ['GROUP', group, consumer, 'COUNT', count];
      if (ownPending) {
        const reply = (await client.call('XREADGROUP', ...args, 'STREAMS', stream, '0')) as
          [string, RawEntry[]][] | null;
        return (reply?.[0]?.[1] ?? []).map(toEntry);
      }
      if (!blockMs || blockMs <= 0) {
        const reply = (await client.call('XREADGROUP', ...args, 'STREAMS', stream, '>')) as
          [string, RawEntry[]][] | null;
        return (reply?.[0]?.[1] ?? []).map(toEntry);
      }
      if (signal?.aborted) return [];
      const conn = blockingConnection(consumer);
      let abort = (): void => undefined;
      // Resolves on abort: a command queued while Redis is unreachable may never settle, even after
      // disconnect(), and a stop must not wait for it.
      const aborted = new Promise<null>((resolve) => {
        abort = () => {
          // A BLOCK cannot be cancelled on its connection: drop the connection, a new one comes next time.
          blocking.delete(consumer);
          conn.disconnect();
          resolve(null);
        };
      });
      signal?.addEventListener('abort', abort, { once: true });
      const command = (
        conn.call('XREADGROUP', ...args, 'BLOCK', blockMs, 'STREAMS', stream, '>') as Promise<
          [string, RawEntry[]][] | null
        >
      ).catch((err: unknown) => {
        if (signal?.aborted || closed) return null;
        throw err;
      });
      try {
        const reply = await Promise.race([command, aborted]);
        return (reply?.[0]?.[1] ?? []).map(toEntry);
      } finally {
        signal?.removeEventListener('abort', abort);
      }
    },

    async claimIdle(group, consumer, { minIdleMs, count }): Promise<LogEntry[]> {
      open();
      const out: LogEntry[] = [];
      const cursorKey = `${group}\u0000${consumer}`;
      let cursor = claimCursor.get(cursorKey) ?? '0-0';
      // XAUTOCLAIM scans a bounded slice of the pending list per call: continue from where the last
      // call stopped, at most one full pass per claimIdle.
      for (let pass = 0; pass < 20 && out.length < count; pass++) {
        const [next, claimed, deleted] = (await client.xautoclaim(
          stream,
          group,
          consumer,
          minIdleMs,
          cursor,
          'COUNT',
          count - out.length,
        )) as [string, RawEntry[], string[] | undefined];
        out.push(...claimed.filter(([, fields]) => fields !== null).map(toEntry));
        out.push(...(deleted ?? []).map((id) => ({ id, raw: null })));
        const wrapped = next === '0-0';
        cursor = next;
        if (wrapped) break;
      }
      claimCursor.set(cursorKey, cursor);
      return out;
    },

    async applyAndAck(group, items, target: LiveTarget): Promise<ApplyOutcome[]> {
      open();
      const out: ApplyOutcome[] = [];
      for (let start = 0; start < items.length; start += applyChunk) {
        const chunk = items.slice(start, start + applyChunk);
        const { recordKeys, tokens } = encodeApplyItems(chunk, target);
        const args: (string | number)[] = [group, Date.now()];
        chunk.forEach((item, k) => args.push(item.id, tokens[k]!));
        if (clustered) checkColocated(recordKeys, target.keyPrefix);
        const reply = (await run(SCRIPTS.apply, [stream, dead, erasing, ...recordKeys], args)) as number[];
        for (const code of reply) out.push(code === 1 ? 'applied' : code === 2 ? 'dead' : 'skipped');
      }
      return out;
    },

    async ack(group, ids): Promise<number> {
      open();
      if (ids.length === 0) return 0;
      return client.xack(stream, group, ...ids);
    },

    async deadLetter(group, id, reason): Promise<boolean> {
      open();
      return (await run(SCRIPTS.deadLetter, [stream, dead], [group, id, reason])) === 1;
    },

    async deadLetters(count = 100) {
      open();
      const reply = (await client.xrange(dead, '-', '+', 'COUNT', count)) as RawEntry[];
      return reply.map(([, fields]) => ({
        entryId: field(fields, 'entry') ?? '',
        group: field(fields, 'group') ?? '',
        reason: field(fields, 'reason') ?? '',
        raw: field(fields, 'event') || null,
      }));
    },

    async range(start = '-', end = '+', count?: number): Promise<LogEntry[]> {
      open();
      const reply = (
        count === undefined
          ? await client.xrange(stream, start, end)
          : await client.xrange(stream, start, end, 'COUNT', count)
      ) as RawEntry[];
      return reply.map(toEntry);
    },

    async length(): Promise<number> {
      open();
      return client.xlen(stream);
    },

    async groupInfo(group): Promise<GroupInfo | undefined> {
      open();
      let groups: unknown[][];
      try {
        groups = (await client.xinfo('GROUPS', stream)) as unknown[][];
      } catch (err) {
        if (/no such key/i.test(String((err as Error).message))) return undefined;
        throw err;
      }
      const info = groups.map(pairs).find((g) => g.name === group);
      if (!info) return undefined;
      const consumers = ((await client.xinfo('CONSUMERS', stream, group)) as unknown[][]).map(pairs);
      const lastDeliveredId = String(info['last-delivered-id']);
      let lag = info.lag === null || info.lag === undefined ? null : Number(info.lag);
      if (lag === null) {
        // Redis cannot count the lag after deletions; at least tell "caught up" from "behind".
        const next = (await client.xrange(stream, `(${lastDeliveredId}`, '+', 'COUNT', 1)) as RawEntry[];
        if (next.length === 0) lag = 0;
      }
      return {
        name: group,
        pending: Number(info.pending),
        lastDeliveredId,
        lag,
        consumers: consumers.map((c) => ({
          name: String(c.name),
          pending: Number(c.pending),
          idleMs: Number(c.idle),
        })),
      };
    },

    async trim({ retainMs }): Promise<number> {
      open();
      const floor = `${Math.max(0, Date.now() - retainMs)}-0`;
      return Number(await run(SCRIPTS.trim, [stream], [floor, '~']));
    },

    async pruneConsumers(group, idleMs): Promise<string[]> {
      open();
      return (await run(SCRIPTS.prune, [stream], [group, idleMs])) as string[];
    },

    async eraseUser(userId: string): Promise<number> {
      open();
      // Before any XDEL: from now on the apply script checks that each entry still exists.
      await client.set(erasing, '1', 'PX', ERASING_MARKER_MS);
      let removed = 0;
      for (const key of [stream, dead]) {
        let start = '-';
        for (;;) {
          const slice = (await client.xrange(key, start, '+', 'COUNT', ERASE_SLICE)) as RawEntry[];
          if (slice.length === 0) break;
          const mine = slice.filter(([, fields]) => isEntryOf(field(fields, 'event'), userId));
          if (mine.length > 0) {
            removed += await client.xdel(key, ...mine.map(([id]) => id));
            if (key === stream) {
              const ids = mine.map(([id, fields]) => ({
                entryId: id,
                eventId: (JSON.parse(field(fields, 'event')!) as { eventId: string }).eventId,
              }));
              removed += Number(
                await run(
                  SCRIPTS.forgetIds,
                  ids.map((i) => eventIdKey(prefix, version, i.eventId)),
                  ids.map((i) => i.entryId),
                ),
              );
            }
          }
          if (slice.length < ERASE_SLICE) break;
          start = `(${slice.at(-1)![0]}`;
        }
      }
      return removed;
    },

    async ping(): Promise<boolean> {
      if (closed) return false;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), 1000);
      });
      try {
        return await Promise.race([
          client.ping().then(
            (r) => r === 'PONG',
            () => false,
          ),
          timeout,
        ]);
      } finally {
        clearTimeout(timer);
      }
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const conn of blocking.values()) conn.disconnect();
      blocking.clear();
      if (!ownsClient) return;
      await closeRedisClient(client);
    },
  };
  clients.set(log, client);
  return log;
}
