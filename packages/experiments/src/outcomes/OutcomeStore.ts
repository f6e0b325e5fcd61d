import { experimentsPrefixOn, redisScript, type ExperimentsRedis } from '../redisScript';

/** One served list of a shopper in at least one RUNNING experiment (what the serving path logs). */
export interface Exposure {
  /** The list's `requestId`, which the shop sends back with the shopper's events. */
  requestId: string;
  userId: string;
  /** The logged assignments: experiment id and the variant whose configuration was served. */
  assignments: readonly { experimentId: string; variant: string }[];
  /** Segment keys the counts are broken down by; `all` is always added (see {@link segmentKeys}). */
  segments: readonly string[];
  itemCount: number;
  /** Serving time of the list in the subgraph, ms. */
  latencyMs: number;
  /** The products served, in order (kept with the request for offline replay). */
  items?: readonly string[];
  /** The request as served (surface, limit, context), JSON, for offline replay. */
  request?: string;
  /**
   * The shopper's pre-experiment value of a covariate (e.g. purchases before the model's cut-off) for
   * CUPED; kept from the shopper's first exposure in each variant. 0 when unknown.
   */
  covariate?: number;
}

/** What a shopper did with a list: the fields of a validated event that attribution needs. */
export interface Outcome {
  eventId: string;
  type: string;
  productId?: string;
  userId?: string;
  requestId?: string;
  quantity?: number;
  price?: number;
  timestamp: string;
}

/** One served list of the replay log. */
export interface LoggedList {
  requestId: string;
  userId: string;
  variant: string;
  /** The request as served, JSON (surface, limit, context). */
  request: string;
  items: string[];
  clicked: Set<string>;
}

export type OutcomeResult = 'attributed' | 'duplicate' | 'unattributed' | 'foreign' | 'ignored';

/** Counters of one variant in one segment. Users are the unit of analysis (assignment is per user). */
export interface VariantCounts {
  /** Lists served. */
  exposures: number;
  /** Served lists with no item. */
  empty: number;
  /** Distinct users exposed. */
  users: number;
  impressions: number;
  clicks: number;
  /** Distinct users with at least one attributed click. */
  clickUsers: number;
  addToCarts: number;
  cartUsers: number;
  /** Purchase lines attributed; `orders` are distinct (user, purchase time). */
  purchases: number;
  orders: number;
  buyers: number;
  revenue: number;
  /** Σ over users of (the user's attributed revenue)², for the revenue-per-user variance. */
  revenueSq: number;
  /** CUPED sums over users of the pre-experiment covariate x: Σx, Σx², Σx over clicking users, Σx over buyers, Σ x·revenue. */
  sumX: number;
  sumX2: number;
  sumXClick: number;
  sumXBuyer: number;
  sumXRevenue: number;
  /** Exposures per serving-latency bucket: upper bound in ms -> count. */
  latency: Map<number, number>;
}

/** Upper bounds of the serving-latency buckets, ms (the last bucket is unbounded). */
export const LATENCY_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, Infinity] as const;

/** The segment keys of an exposure: always `all`, plus country, device and new vs returning when known. */
export function segmentKeys(attrs: { country?: string; device?: string; newUser?: boolean }): string[] {
  const keys = ['all'];
  if (attrs.country) keys.push(`country:${attrs.country}`);
  if (attrs.device) keys.push(`device:${attrs.device}`);
  if (attrs.newUser !== undefined) keys.push(attrs.newUser ? 'user:new' : 'user:returning');
  return keys;
}

/** Default key prefix of everything the experiments write to Redis. */
export const EXPERIMENTS_PREFIX = 'recs-exp';
/** Separates the user id from the field's kind in `users:*` hashes: a control character no id contains. */
const SEP = '\x1f';

/**
 * Redis keys of the outcome counters. Only `users:*` (fields), `req:*` and `byuser:*` hold a user id,
 * and {@link OutcomeStore.eraseUser} removes those; event ids are kept as SHA-1 digests (`seen:*`).
 */
export function outcomeKeys(prefix: string = EXPERIMENTS_PREFIX) {
  const p = `${prefix}:`;
  return {
    prefix: p,
    request: (requestId: string) => `${p}req:${requestId}`,
    byUser: (userId: string) => `${p}byuser:${userId}`,
    agg: (experimentId: string, variant: string, segment: string) =>
      `${p}agg:${experimentId}:${variant}:${segment}`,
    users: (experimentId: string, variant: string, segment: string) =>
      `${p}users:${experimentId}:${variant}:${segment}`,
    segments: (experimentId: string) => `${p}segments:${experimentId}`,
  };
}

const EXPOSE = redisScript(`
local p = ARGV[8]
local rid, user, ttl, items, lat = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local x = tonumber(ARGV[9])
local req = p .. 'req:' .. rid
if redis.call('EXISTS', req) == 1 then return 0 end
local asg = cjson.decode(ARGV[6])
local segs = cjson.decode(ARGV[7])
redis.call('HSET', req, 'u', user, 'a', ARGV[6], 's', ARGV[7], 'i', ARGV[10], 'q', ARGV[11])
redis.call('EXPIRE', req, ttl)
redis.call('XADD', p .. 'served', 'MAXLEN', '~', ARGV[12], '*', 'r', rid)
local idx = p .. 'byuser:' .. user
redis.call('SADD', idx, req)
for _, a in ipairs(asg) do
  redis.call('SADD', p .. 'segments:' .. a[1], unpack(segs))
  for _, s in ipairs(segs) do
    local base = a[1] .. ':' .. a[2] .. ':' .. s
    local agg = p .. 'agg:' .. base
    local users = p .. 'users:' .. base
    redis.call('HINCRBY', agg, 'exposures', 1)
    if items == 0 then redis.call('HINCRBY', agg, 'empty', 1) end
    redis.call('HINCRBY', agg, 'lat:' .. lat, 1)
    if redis.call('HSETNX', users, user .. '\\31e', 1) == 1 then
      redis.call('HINCRBY', agg, 'users', 1)
      if x ~= 0 then
        redis.call('HSET', users, user .. '\\31x', ARGV[9])
        redis.call('HINCRBYFLOAT', agg, 'sumX', ARGV[9])
        redis.call('HINCRBYFLOAT', agg, 'sumX2', string.format('%.17g', x * x))
      end
    end
    redis.call('SADD', idx, users)
  end
end
return 1
`);

const ATTRIBUTE = redisScript(`
local p = ARGV[8]
if not redis.call('SET', p .. 'seen:' .. redis.sha1hex(ARGV[1]), 1, 'NX', 'EX', tonumber(ARGV[7])) then return 'duplicate' end
local rec = redis.call('HMGET', p .. 'req:' .. ARGV[4], 'u', 'a', 's')
if not rec[1] then return 'unattributed' end
local user, t = ARGV[3], ARGV[2]
if rec[1] ~= user then return 'foreign' end
local revenue = tonumber(ARGV[5])
for _, a in ipairs(cjson.decode(rec[2])) do
  for _, s in ipairs(cjson.decode(rec[3])) do
    local base = a[1] .. ':' .. a[2] .. ':' .. s
    local agg = p .. 'agg:' .. base
    local users = p .. 'users:' .. base
    local x = tonumber(redis.call('HGET', users, user .. '\\31x') or '0')
    if t == 'impression' then
      redis.call('HINCRBY', agg, 'impressions', 1)
    elseif t == 'click' then
      redis.call('HINCRBY', agg, 'clicks', 1)
      if ARGV[9] ~= '' then redis.call('HSET', p .. 'req:' .. ARGV[4], 'k:' .. ARGV[9], 1) end
      if redis.call('HSETNX', users, user .. '\\31c', 1) == 1 then
        redis.call('HINCRBY', agg, 'clickUsers', 1)
        if x ~= 0 then redis.call('HINCRBYFLOAT', agg, 'sumXClick', string.format('%.17g', x)) end
      end
    elseif t == 'add_to_cart' then
      redis.call('HINCRBY', agg, 'addToCarts', 1)
      if redis.call('HSETNX', users, user .. '\\31a', 1) == 1 then redis.call('HINCRBY', agg, 'cartUsers', 1) end
    elseif t == 'purchase' then
      redis.call('HINCRBY', agg, 'purchases', 1)
      redis.call('HINCRBYFLOAT', agg, 'revenue', revenue)
      local old = tonumber(redis.call('HGET', users, user .. '\\31r') or '0')
      local new = old + revenue
      redis.call('HSET', users, user .. '\\31r', string.format('%.17g', new))
      redis.call('HINCRBYFLOAT', agg, 'revenueSq', string.format('%.17g', new * new - old * old))
      if x ~= 0 then redis.call('HINCRBYFLOAT', agg, 'sumXRevenue', string.format('%.17g', x * revenue)) end
      if redis.call('HSETNX', users, user .. '\\31b', 1) == 1 then
        redis.call('HINCRBY', agg, 'buyers', 1)
        if x ~= 0 then redis.call('HINCRBYFLOAT', agg, 'sumXBuyer', string.format('%.17g', x)) end
      end
      if redis.call('HSETNX', users, user .. '\\31o' .. ARGV[6], 1) == 1 then redis.call('HINCRBY', agg, 'orders', 1) end
    end
  end
end
return 'attributed'
`);

const ATTRIBUTED_TYPES = new Set(['impression', 'click', 'add_to_cart', 'purchase']);

export interface OutcomeStoreOptions {
  /** How long a served list can be attributed to, seconds. Default 7 days. */
  attributionWindowSeconds?: number;
  /** Key prefix (default `recs-exp`); tests use their own. */
  prefix?: string;
  /** Served lists kept in the replay log (a capped stream of request ids). Default 200,000. */
  servedLogLength?: number;
}

/**
 * Exposure and outcome counters on Redis. The serving path logs an exposure per served list of a user
 * in a RUNNING experiment ({@link OutcomeStore.recordExposure}); a consumer group of the event stream
 * attributes the shopper's events carrying that list's `requestId` ({@link OutcomeStore.recordOutcome}),
 * once per event id, to each experiment and variant the list was served under, in every segment. Each
 * write is one Lua script, so counters never see half an update.
 */
export class OutcomeStore {
  private readonly window: number;
  private readonly servedLogLength: number;
  readonly keys: ReturnType<typeof outcomeKeys>;

  constructor(
    private readonly client: ExperimentsRedis,
    opts: OutcomeStoreOptions = {},
  ) {
    this.window = opts.attributionWindowSeconds ?? 7 * 24 * 3600;
    this.keys = outcomeKeys(experimentsPrefixOn(client, opts.prefix ?? EXPERIMENTS_PREFIX));
    this.servedLogLength = opts.servedLogLength ?? 200_000;
  }

  /** Logs one served list; false when that request id was logged already. */
  async recordExposure(e: Exposure): Promise<boolean> {
    if (e.assignments.length === 0) return false;
    const bucket = LATENCY_BUCKETS_MS.find((b) => e.latencyMs <= b) ?? Infinity;
    const segments = e.segments.includes('all') ? e.segments : ['all', ...e.segments];
    const result = await EXPOSE(
      this.client,
      // No key is declared by the script; this one routes it to the experiments' slot on a cluster.
      [`${this.keys.prefix}served`],
      [
        e.requestId,
        e.userId,
        String(this.window),
        String(e.itemCount),
        Number.isFinite(bucket) ? String(bucket) : 'inf',
        JSON.stringify(e.assignments.map((a) => [a.experimentId, a.variant])),
        JSON.stringify(segments),
        this.keys.prefix,
        String(Number.isFinite(e.covariate) ? e.covariate : 0),
        JSON.stringify(e.items ?? []),
        e.request ?? '',
        String(this.servedLogLength),
      ],
    );
    return result === 1;
  }

  /**
   * Logs one served list that no experiment logged (the impression log of all traffic): request id,
   * surface, model version and the products in order, on a capped stream. No user id: the shop's events
   * carry the request id, which links them.
   */
  async recordImpression(i: {
    requestId: string;
    surface: string;
    modelVersion: string;
    items: readonly string[];
  }): Promise<void> {
    await this.client.xadd(
      `${this.keys.prefix}impressions`,
      'MAXLEN',
      '~',
      String(this.servedLogLength),
      '*',
      'r',
      i.requestId,
      's',
      i.surface,
      'm',
      i.modelVersion,
      'i',
      JSON.stringify(i.items),
    );
  }

  /** The newest entries of the impression log, newest first. */
  async recentImpressions(
    max = 100,
  ): Promise<{ requestId: string; surface: string; modelVersion: string; items: string[] }[]> {
    const rows = (await this.client.xrevrange(`${this.keys.prefix}impressions`, '+', '-', 'COUNT', max)) as [
      string,
      string[],
    ][];
    return rows.map(([, f]) => {
      const m = new Map<string, string>();
      for (let k = 0; k < f.length; k += 2) m.set(f[k]!, f[k + 1]!);
      return {
        requestId: m.get('r')!,
        surface: m.get('s')!,
        modelVersion: m.get('m')!,
        items: JSON.parse(m.get('i') ?? '[]') as string[],
      };
    });
  }

  /** Attributes one event to the list it names; each event id counts once. */
  async recordOutcome(o: Outcome): Promise<OutcomeResult> {
    if (!o.requestId || !o.userId || !ATTRIBUTED_TYPES.has(o.type)) return 'ignored';
    const revenue = o.type === 'purchase' ? (o.quantity ?? 1) * (o.price ?? 0) : 0;
    return (await ATTRIBUTE(
      this.client,
      // No key is declared by the script; this one routes it to the experiments' slot on a cluster.
      [`${this.keys.prefix}served`],
      [
        o.eventId,
        o.type,
        o.userId,
        o.requestId,
        String(revenue),
        o.timestamp,
        String(this.window),
        this.keys.prefix,
        o.productId ?? '',
      ],
    )) as OutcomeResult;
  }

  /** The counters of one experiment: segment -> variant -> counts (variants without data are absent). */
  async counts(
    experimentId: string,
    variants: readonly string[],
  ): Promise<Map<string, Map<string, VariantCounts>>> {
    const segments = (await this.client.smembers(this.keys.segments(experimentId))).sort();
    const pipeline = this.client.pipeline();
    for (const s of segments) for (const v of variants) pipeline.hgetall(this.keys.agg(experimentId, v, s));
    const rows = (await pipeline.exec()) ?? [];
    const out = new Map<string, Map<string, VariantCounts>>();
    let i = 0;
    for (const s of segments) {
      const bySegment = new Map<string, VariantCounts>();
      for (const v of variants) {
        const [err, hash] = rows[i++] as [Error | null, Record<string, string>];
        if (err) throw err;
        if (Object.keys(hash).length > 0) bySegment.set(v, parseCounts(hash));
      }
      out.set(s, bySegment);
    }
    return out;
  }

  /**
   * The served lists of one experiment still in the replay log and the attribution window, newest
   * first: request, variant, products served and products clicked.
   */
  async loggedLists(experimentId: string, max = 10_000): Promise<LoggedList[]> {
    const out: LoggedList[] = [];
    let end = '+';
    while (out.length < max) {
      const rows = (await this.client.xrevrange(`${this.keys.prefix}served`, end, '-', 'COUNT', 1000)) as [
        string,
        string[],
      ][];
      if (rows.length === 0) break;
      const pipeline = this.client.pipeline();
      for (const [, fields] of rows) pipeline.hgetall(this.keys.request(fields[1]!));
      const records = (await pipeline.exec()) ?? [];
      records.forEach(([err, rec], j) => {
        if (err || out.length >= max) return;
        const r = rec as Record<string, string>;
        if (!r.a || !r.q) return;
        const assignment = (JSON.parse(r.a) as [string, string][]).find(([e]) => e === experimentId);
        if (!assignment) return;
        out.push({
          requestId: rows[j]![1][1]!,
          userId: r.u!,
          variant: assignment[1],
          request: r.q,
          items: JSON.parse(r.i ?? '[]') as string[],
          clicked: new Set(
            Object.keys(r)
              .filter((k) => k.startsWith('k:'))
              .map((k) => k.slice(2)),
          ),
        });
      });
      end = `(${rows[rows.length - 1]![0]}`; // exclusive: the next page starts below the last id
      if (rows.length < 1000) break;
    }
    return out;
  }

  /** Removes every exposure record and per-user counter of one shopper (aggregates keep no id). */
  async eraseUser(userId: string): Promise<number> {
    const idx = this.keys.byUser(userId);
    const keys = await this.client.smembers(idx);
    let removed = 0;
    for (const key of keys) {
      if (key.startsWith(`${this.keys.prefix}req:`)) {
        removed += await this.client.del(key);
        continue;
      }
      let cursor = '0';
      do {
        const [next, flat] = await this.client.hscan(key, cursor, 'COUNT', 500);
        cursor = next;
        const fields = flat.filter((f, j) => j % 2 === 0 && f.startsWith(`${userId}${SEP}`));
        if (fields.length > 0) removed += await this.client.hdel(key, ...fields);
      } while (cursor !== '0');
    }
    removed += await this.client.del(idx);
    return removed;
  }
}

function parseCounts(hash: Record<string, string>): VariantCounts {
  const n = (k: string): number => Number(hash[k] ?? 0);
  const latency = new Map<number, number>();
  for (const [k, v] of Object.entries(hash)) {
    if (k.startsWith('lat:')) latency.set(k === 'lat:inf' ? Infinity : Number(k.slice(4)), Number(v));
  }
  return {
    exposures: n('exposures'),
    empty: n('empty'),
    users: n('users'),
    impressions: n('impressions'),
    clicks: n('clicks'),
    clickUsers: n('clickUsers'),
    addToCarts: n('addToCarts'),
    cartUsers: n('cartUsers'),
    purchases: n('purchases'),
    orders: n('orders'),
    buyers: n('buyers'),
    revenue: n('revenue'),
    revenueSq: n('revenueSq'),
    sumX: n('sumX'),
    sumX2: n('sumX2'),
    sumXClick: n('sumXClick'),
    sumXBuyer: n('sumXBuyer'),
    sumXRevenue: n('sumXRevenue'),
    latency,
  };
}
