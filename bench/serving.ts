/**
 * Benchmark: serving latency through the gateway (issue 4).
 *   node --import tsx bench/serving.ts [--rates 50,100,200] [--duration 15] [--registry DIR]
 *     [--surfaces HOME,CART] [--modes off,on] [--zipf 1.0] [--seed 1] [--probe 0.1] [--warmup 4]
 *     [--log-level info] [--json FILE] [--cpu-prof DIR: each server writes V8 CPU profiles to DIR/<name>]
 *     [--startup-timeout 240] [--neo4j-heap 512m] [--neo4j-pagecache 128m] [--neo4j-dir DIR] [--keep-logs]
 *     [--trace-gc: each server logs its garbage collections]
 *     (large catalogues: the first start bulk-loads the co-purchase graph, about 9,000 pairs/s, before the
 *     subgraph is ready; with `--neo4j-dir` the store is kept there and a later run with the same model
 *     version finds its graph loaded)
 *
 * Starts everything itself on free 127.0.0.1 ports: Redis and Neo4j (testkit), the three subgraphs and
 * the gateway as child processes (as `npm start` runs them, in production mode), with the model of
 * `--registry DIR` or one trained into a temp dir. Then an in-process open-loop load generator sends
 * the committed client operations (HomeFeed, CartRecommendations with 20 co-purchased cart items)
 * through the gateway with a service API key, at fixed rates, one bounded step per rate and surface:
 *   - cache off: RECOMMENDATIONS_CACHE_TTL_SECONDS=0 on the recommendations subgraph;
 *   - cache on: the default 120 s TTL (the subgraph is restarted between the modes).
 * Users are real customer ids drawn from a seeded Zipf distribution (rank 1 = most orders); a user's
 * cart is fixed (seeded by the user id), so a returning shopper asks the same question.
 * Latency is measured from the scheduled send time to the end of the response (no coordinated
 * omission). Per-stage breakdown: a fraction (`--probe`) of extra requests goes straight to the
 * recommendations subgraph with the same arguments, and the CPU time of every process is read from
 * /proc. The cache hit rate comes from the subgraph's /metrics (recs_cache_events_total) and from the
 * client's own model of the cache (a key seen within the TTL), which also splits hits from misses. A
 * step longer than the TTL (`--duration` over 120) also reports its steady state: the same measures
 * over the requests scheduled after its first TTL, when every key has had a full TTL to be filled.
 * Every process it started is stopped by pid at the end, on error and on Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { HEADERS, percentile, seededRandom } from '@recs/core';
import { ModelRegistry, loadPromotedBundle, type ModelArtefacts } from '@recs/pipeline';
import { startNeo4j, startRedis, type Neo4jHandle, type RedisHandle } from '@recs/testkit/services';

const root = resolve(import.meta.dirname, '..');
const DATASET = 'data/online-retail/online_retail_until_2011-11-09.csv.gz';
const SURFACES = ['HOME', 'CART'] as const;
type Surface = (typeof SURFACES)[number];
type Mode = 'off' | 'on';
const CACHE_TTL_ON = 120;
const CART_SIZE = 20;
const HOME_LIMIT = 20;
const CART_LIMIT = 10;
const REQUEST_TIMEOUT_MS = 5_000;
const MAX_IN_FLIGHT = 1_000;

// ---------------------------------------------------------------------------------------------- flags

const usage =
  'usage: bench/serving.ts [--rates 50,100,200] [--duration S] [--registry DIR] [--surfaces HOME,CART] ' +
  '[--modes off,on] [--zipf S] [--seed N] [--probe 0..1] [--guests 0..1] [--warmup S] [--log-level LEVEL] [--json FILE] [--cpu-prof DIR] ' +
  '[--startup-timeout S] [--neo4j-heap SIZE] [--neo4j-pagecache SIZE] [--neo4j-dir DIR] [--keep-logs] [--trace-gc]';
let values: Record<string, string | undefined>;
let keepLogsFlag = false;
/** --trace-gc: every server logs its garbage collections (V8 `--trace-gc`, pause times) to its log. */
let traceGc = false;
try {
  values = parseArgs({
    options: {
      ...Object.fromEntries(
        [
          'rates',
          'duration',
          'registry',
          'surfaces',
          'modes',
          'zipf',
          'seed',
          'probe',
          'guests',
          'warmup',
          'log-level',
          'json',
          'cpu-prof',
          'startup-timeout',
          'neo4j-heap',
          'neo4j-pagecache',
          'neo4j-dir',
        ].map((k) => [k, { type: 'string' as const }]),
      ),
      'keep-logs': { type: 'boolean' as const },
      'trace-gc': { type: 'boolean' as const },
    },
  }).values as Record<string, string | undefined>;
  // the one boolean flag
  keepLogsFlag = (values['keep-logs'] as unknown) === true;
  traceGc = (values['trace-gc'] as unknown) === true;
} catch (err) {
  console.error(`${(err as Error).message}\n${usage}`);
  process.exit(2);
}
const rates = (values.rates ?? '50,100,200').split(',').map(Number);
const durationS = Number(values.duration ?? 15);
const surfaces = (values.surfaces ?? 'HOME,CART').split(',').map((s) => s.trim().toUpperCase());
const modes = (values.modes ?? 'off,on').split(',').map((s) => s.trim().toLowerCase());
const zipfS = Number(values.zipf ?? 1);
const seed = Number(values.seed ?? 1);
const probeFraction = Number(values.probe ?? 0.1);
/** Share of requests from guests: a new shopper id each time, unknown to the model, with a real customer's country. */
const guestShare = Number(values.guests ?? 0);
const warmupS = Number(values.warmup ?? 4);
const logLevel = values['log-level'] ?? 'info';
const startupTimeoutS = Number(values['startup-timeout'] ?? 240);
const STARTUP_TIMEOUT_MS = startupTimeoutS * 1000;
const neo4jHeap = values['neo4j-heap'] ?? '512m';
const neo4jPagecache = values['neo4j-pagecache'] ?? '128m';
const bad =
  rates.length === 0 ||
  rates.some((r) => !Number.isFinite(r) || r <= 0 || r > 5_000) ||
  !(durationS > 0 && durationS <= 600) ||
  surfaces.some((s) => !(SURFACES as readonly string[]).includes(s)) ||
  modes.some((m) => m !== 'off' && m !== 'on') ||
  !(zipfS >= 0 && zipfS <= 5) ||
  !Number.isInteger(seed) ||
  !(probeFraction >= 0 && probeFraction <= 1) ||
  !(guestShare >= 0 && guestShare <= 1) ||
  !(warmupS >= 0 && warmupS <= 60) ||
  !(startupTimeoutS > 0 && startupTimeoutS <= 7_200) ||
  ![neo4jHeap, neo4jPagecache].every((size) => /^\d+[kmg]$/i.test(size)) ||
  !['trace', 'debug', 'info', 'warn', 'error'].includes(logLevel);
if (bad) {
  console.error(usage);
  process.exit(2);
}

// ------------------------------------------------------------------------------- processes, cleanup

interface Service {
  name: string;
  child: ChildProcess;
  port: number;
  log: string;
}
const workDir = mkdtempSync(join(tmpdir(), 'recs-bench-serving-'));
const children = new Set<ChildProcess>();
let redis: RedisHandle | undefined;
let neo4j: Neo4jHandle | undefined;
let trainedDir: string | undefined;
let failure: Error | undefined;
/** Set when a step saw errors: the service logs are then kept for a look. */
let sawErrors = false;
let cleaning: Promise<void> | undefined;
let interrupted = false;

/** Stops every process this run started (SIGTERM by pid, SIGKILL after 15 s), then the backends. */
function cleanup(keepLogs: boolean): Promise<void> {
  cleaning ??= (async () => {
    await Promise.allSettled([...children].map((c) => stopChild(c)));
    await Promise.allSettled([redis?.stop(), neo4j?.stop()]);
    if (trainedDir) rmSync(trainedDir, { recursive: true, force: true });
    if (keepLogs && readdirSync(workDir).length > 0)
      console.error(`serving: service logs kept in ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  })();
  return cleaning;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

// `on`, not `once`: testkit's own signal hook re-raises the signal when no other listener is left,
// which would end this process before the children are stopped.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (cleaning) return;
    console.error(`serving: ${signal}: stopping everything it started`);
    interrupted = true;
    failure ??= new Error(`interrupted by ${signal}`);
    void cleanup(false).then(() => process.exit(130));
  });
}

/** Children whose exit is expected (the trainer, a subgraph restarted between modes). */
const expectedExits = new WeakSet<ChildProcess>();

function spawnNode(name: string, script: string, env: NodeJS.ProcessEnv, args: string[] = []): ChildProcess {
  const log = join(workDir, `${name}.log`);
  const fd = openSync(log, 'a');
  // --cpu-prof DIR: every server writes a V8 CPU profile there when it stops (for a per-function breakdown)
  const profile = values['cpu-prof']
    ? ['--cpu-prof', `--cpu-prof-dir=${join(resolve(values['cpu-prof']), name)}`]
    : [];
  // --trace-gc: the servers only (the trainer's collections would only fill its log)
  const flags = [...profile, ...(traceGc && name !== 'train' ? ['--trace-gc'] : [])];
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', join(root, script), ...args], {
    cwd: root,
    env,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  children.add(child);
  child.once('exit', (code, signal) => {
    children.delete(child);
    if (!cleaning && !expectedExits.has(child)) {
      failure ??= new Error(
        `${name} (pid ${child.pid}) exited (${signal ?? code}); see ${log}:\n${tail(log)}`,
      );
    }
  });
  return child;
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? res(port) : rej(new Error('no free port'))));
    });
  });
}

async function waitReady(name: string, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (failure) throw failure;
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} was not ready within ${timeoutMs / 1000} s (${url})`);
    await delay(250);
  }
}

/** CPU seconds (user + system) of a process so far, from /proc; undefined where /proc is missing. */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined || pid < 0) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (CLK_TCK 100)
  } catch {
    return undefined;
  }
}

/** Busy CPU seconds of the whole machine (all cores, all processes) so far, from /proc/stat. */
function machineBusySeconds(): number | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    return (total - fields[3]! - (fields[4] ?? 0)) / 100; // minus idle and iowait
  } catch {
    return undefined;
  }
}

// -------------------------------------------------------------------------------------------- helpers

const hex = (n: number) => randomBytes(n).toString('hex');

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

interface Dist {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}
function dist(latencies: number[]): Dist {
  const s = [...latencies].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: percentile(s, 50),
    p95: percentile(s, 95),
    p99: percentile(s, 99),
    max: s.at(-1) ?? NaN,
  };
}

const ms = (v: number) => (Number.isFinite(v) ? (v < 10 ? v.toFixed(1) : v.toFixed(0)) : '-');
const pct = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? '-' : `${(v * 100).toFixed(1)}%`;

function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))
    .join('\n');
}

/** Zipf(s) over ranks 1..n: returns a sampler of 0-based ranks driven by the given RNG. */
function zipfSampler(n: number, s: number): (rng: () => number) => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) cdf[k] = total += 1 / Math.pow(k + 1, s);
  return (rng) => {
    const u = rng() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

// ------------------------------------------------------------------------------------ HTTP client

const agent = new Agent({ keepAlive: true, maxSockets: 512, keepAliveMsecs: 1_000 });

interface Reply {
  ok: boolean;
  fallback: boolean;
  error?: string;
}

/** POSTs a GraphQL body; resolves (never rejects) with the outcome once the response has ended. */
function post(url: URL, headers: Record<string, string>, body: string): Promise<Reply> {
  return new Promise((done) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => done({ ok: false, fallback: false, error: err.message }));
        res.on('end', () => {
          try {
            const json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
              data?: { user?: { recommendations?: { items?: unknown[]; fallback?: boolean } } };
              errors?: { message: string; extensions?: { code?: string } }[];
            };
            const list = json.data?.user?.recommendations;
            if (res.statusCode !== 200 || json.errors?.length || !Array.isArray(list?.items)) {
              const e = json.errors?.[0];
              done({
                ok: false,
                fallback: false,
                error: `HTTP ${res.statusCode} ${e?.extensions?.code ?? ''} ${e?.message ?? 'no list'}`.slice(
                  0,
                  200,
                ),
              });
            } else done({ ok: true, fallback: list.fallback === true });
          } catch (err) {
            done({
              ok: false,
              fallback: false,
              error: `HTTP ${res.statusCode} bad JSON: ${(err as Error).message}`,
            });
          }
        });
      },
    );
    req.on('error', (err) =>
      done({ ok: false, fallback: false, error: err.name === 'AbortError' ? 'timeout' : err.message }),
    );
    req.end(body);
  });
}

async function getText(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return res.text();
}

/** Sum of recs_cache_events_total for User.recommendations by event, from a subgraph's /metrics. */
async function cacheCounters(metricsUrl: string): Promise<Record<string, number>> {
  const text = await getText(metricsUrl);
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('recs_cache_events_total{') || !line.includes('field="User.recommendations"'))
      continue;
    const event = /event="(\w+)"/.exec(line)?.[1];
    if (event) out[event] = (out[event] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  for (const line of text.split('\n')) {
    const event = line.startsWith('recs_shared_rankings_total{') && /event="(\w+)"/.exec(line)?.[1];
    if (event) out[`shared_${event}`] = Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return out;
}

// ------------------------------------------------------------------------------------------- main

interface StepResult {
  mode: Mode;
  surface: Surface;
  rate: number;
  durationS: number;
  scheduled: number;
  ok: number;
  errors: number;
  fallbacks: number;
  achievedRps: number;
  maxSendLagMs: number;
  gateway: Dist;
  direct: Dist;
  directErrors: number;
  /** Cache on only: the client's classification of gateway requests (repeat key within the TTL). */
  gatewayHit?: Dist;
  gatewayMiss?: Dist;
  directHit?: Dist;
  clientHitRate?: number;
  /** Cache on only: from the subgraph's /metrics over the step (gateway and direct requests). */
  server?: { hits: number; misses: number; errors: number; hitRate: number };
  /** Cache on, with guests: rankings shared by shoppers the model does not know, from /metrics. */
  shared?: { hits: number; misses: number };
  /**
   * Cache on, steps longer than the TTL: the same measures over the requests scheduled after the
   * step's first TTL, when every key has had a full TTL to be filled (the steady state of a cache that
   * keeps serving this mix).
   */
  steady?: {
    fromS: number;
    server?: { hits: number; misses: number; hitRate: number };
    clientHitRate: number;
    gatewayHit: Dist;
  };
  cpuPercent: Record<string, number>;
  errorSamples: string[];
}

async function main(): Promise<void> {
  const loadAtStart = loadavg();
  const began = Date.now();
  console.log('# bench/serving');

  // The model: a given registry or one trained now with the pipeline CLI.
  let registryDir = values.registry ? resolve(values.registry) : undefined;
  if (!registryDir) {
    trainedDir = mkdtempSync(join(tmpdir(), 'recs-bench-registry-'));
    registryDir = join(trainedDir, 'models');
    console.log(`serving: no --registry: training on ${DATASET} into ${registryDir} (about a minute)`);
    const trainer = spawnNode('train', 'pipeline/src/cli.ts', process.env, [
      ...['train', '--dataset', 'online-retail', '--input', join(root, DATASET)],
      ...['--until', '2011-11-09', '--registry', registryDir],
    ]);
    expectedExits.add(trainer);
    const code = await new Promise<number>((r) => trainer.once('exit', (c) => r(c ?? 1)));
    if (code !== 0) throw new Error(`training failed (exit ${code}):\n${tail(join(workDir, 'train.log'))}`);
  }

  // The workload: real customers (Zipf by order count) and carts of co-purchased products.
  const bundle = await loadPromotedBundle(registryDir);
  const registry = new ModelRegistry(registryDir);
  const userFeatures = await registry.read<ModelArtefacts['userFeatures']>(bundle.version, 'userFeatures');
  const users = Object.entries(userFeatures)
    .sort(([a, fa], [b, fb]) => fb.orderCount - fa.orderCount || (a < b ? -1 : 1))
    .map(([id]) => id);
  const neighbours = new Map<string, { id: string; count: number }[]>();
  for (const p of bundle.coPurchase) {
    for (const [x, y] of [
      [p.a, p.b],
      [p.b, p.a],
    ] as const) {
      if (!bundle.catalogue.has(x) || !bundle.catalogue.has(y)) continue;
      let list = neighbours.get(x);
      if (!list) neighbours.set(x, (list = []));
      list.push({ id: y, count: p.count });
    }
  }
  for (const list of neighbours.values()) {
    list.sort((a, b) => b.count - a.count);
    list.length = Math.min(list.length, 30);
  }
  const pairs = bundle.coPurchase.filter((p) => neighbours.has(p.a) && neighbours.has(p.b));
  const carts = new Map<string, string[]>();
  /** A user's cart: 20 distinct products grown along co-purchase edges, seeded by the user id. */
  const cartOf = (user: string): string[] => {
    let cart = carts.get(user);
    if (cart) return cart;
    const rng = seededRandom(hashString(user) ^ seed);
    const items = new Set<string>();
    while (items.size < CART_SIZE) {
      const start = pairs[Math.floor(rng() * pairs.length)]!;
      items.add(start.a).add(start.b);
      for (let tries = 0; tries < 40 && items.size < CART_SIZE; tries++) {
        const inCart = [...items];
        const from = neighbours.get(inCart[Math.floor(rng() * inCart.length)]!)!;
        items.add(from[Math.floor(rng() * from.length)]!.id);
      }
    }
    cart = [...items].slice(0, CART_SIZE);
    carts.set(user, cart);
    return cart;
  };
  const zipf = zipfSampler(users.length, zipfS);

  // Backends and servers.
  const neo4jVersion =
    readdirSync(join(root, 'graph', 'launcher', 'lib'))
      .map((f) => /^neo4j-kernel-(\d[\d.]*)\.jar$/.exec(f)?.[1])
      .find(Boolean) ?? '?';
  const backends = await Promise.allSettled([
    startRedis().then((h) => (redis = h)),
    startNeo4j({
      timeoutMs: 180_000,
      heap: neo4jHeap,
      pagecache: neo4jPagecache,
      ...(values['neo4j-dir'] ? { dataDir: resolve(values['neo4j-dir']) } : {}),
    }).then((h) => (neo4j = h)),
  ]);
  for (const b of backends) if (b.status === 'rejected') throw b.reason;
  if (!redis || !neo4j) throw new Error('backends did not start');
  const redisHandle = redis;
  const neo4jHandle = neo4j;
  const [gatewayPort, recPort, featPort, expPort] = await Promise.all([1, 2, 3, 4].map(() => freePort()));
  const serviceKey = `svc-${hex(16)}`;
  const gatewaySecret = hex(24);
  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    HOST: '127.0.0.1',
    RECS_ENV: 'production',
    LOG_LEVEL: logLevel,
    GATEWAY_SECRET: gatewaySecret,
    JWT_SECRET: hex(32),
    API_KEYS: `bench:service:${serviceKey}`,
    GATEWAY_PORT: String(gatewayPort),
    RECOMMENDATIONS_PORT: String(recPort),
    FEATURES_PORT: String(featPort),
    EXPERIMENTS_PORT: String(expPort),
    RECOMMENDATIONS_URL: `http://127.0.0.1:${recPort}/graphql`,
    FEATURES_URL: `http://127.0.0.1:${featPort}/graphql`,
    EXPERIMENTS_URL: `http://127.0.0.1:${expPort}/graphql`,
    REDIS_URL: redisHandle.url,
    NEO4J_URI: neo4jHandle.uri,
    NEO4J_USER: neo4jHandle.user,
    NEO4J_PASSWORD: neo4jHandle.password,
    MODEL_REGISTRY_DIR: registryDir,
    APOLLO_TELEMETRY_DISABLED: '1',
    OMP_WAIT_POLICY: 'passive',
  };
  delete baseEnv.EXPERIMENTS_FILE;
  delete baseEnv.SUPERGRAPH_FILE;

  const services = new Map<string, Service>();
  const startService = (name: string, script: string, port: number, env: NodeJS.ProcessEnv): Service => {
    const service = { name, child: spawnNode(name, script, env), port, log: join(workDir, `${name}.log`) };
    services.set(name, service);
    return service;
  };
  const recEnv = (mode: Mode): NodeJS.ProcessEnv => ({
    ...baseEnv,
    RECOMMENDATIONS_CACHE_TTL_SECONDS: String(mode === 'on' ? CACHE_TTL_ON : 0),
    // rankings shared by guests are a cache too: off with the cache
    RECOMMENDATIONS_SHARED_RANKING_SECONDS: mode === 'on' ? '60' : '0',
  });
  let recMode = modes[0] as Mode;
  const t0 = Date.now();
  startService('recommendations', 'subgraphs/recommendations/src/main.ts', recPort, recEnv(recMode));
  startService('features', 'subgraphs/features/src/main.ts', featPort, baseEnv);
  startService('experiments', 'subgraphs/experiments/src/main.ts', expPort, baseEnv);
  startService('gateway', 'gateway/src/main.ts', gatewayPort, baseEnv);
  for (const [name, port] of [
    ['recommendations', recPort],
    ['features', featPort],
    ['experiments', expPort],
    ['gateway', gatewayPort],
  ] as const) {
    await waitReady(name, `http://127.0.0.1:${port}/ready`, STARTUP_TIMEOUT_MS);
  }
  const startupS = (Date.now() - t0) / 1000;

  const gatewayUrl = new URL(`http://127.0.0.1:${gatewayPort}/graphql`);
  const directUrl = new URL(`http://127.0.0.1:${recPort}/graphql`);
  const recMetrics = `http://127.0.0.1:${recPort}/metrics`;
  const gatewayHeaders = { [HEADERS.apiKey]: serviceKey };
  // What the gateway forwards for a service key (gateway/src/subgraphDataSource.ts).
  const directHeaders = {
    [HEADERS.gatewaySecret]: gatewaySecret,
    [HEADERS.principalKind]: 'service',
    [HEADERS.principalRole]: 'service',
    [HEADERS.principalUser]: 'bench',
  };
  const operation = (file: string) => readFileSync(join(root, 'schema', 'operations', file), 'utf8');
  const documents: Record<Surface, { name: string; gateway: string; direct: string }> = {
    HOME: {
      name: 'HomeFeed',
      gateway: operation('homeFeed.graphql'),
      direct:
        'query HomeFeedDirect($userId: ID!, $limit: Int = 20, $context: RecommendationContext) { user(id: $userId) { id ' +
        'recommendations(surface: HOME, limit: $limit, context: $context) { requestId modelVersion fallback fallbackReason ' +
        'items { product { id } score position reason reasonCode } } } }',
    },
    CART: {
      name: 'CartRecommendations',
      gateway: operation('cartRecommendations.graphql'),
      direct:
        'query CartDirect($userId: ID!, $cart: [ID!]!, $limit: Int = 10, $country: String) { user(id: $userId) { id ' +
        'recommendations(surface: CART, limit: $limit, context: { cartProductIds: $cart, country: $country }) { ' +
        'requestId modelVersion fallback experiment variant items { product { id } score position reason reasonCode } } } }',
    },
  };
  /** Variables of one request; `warm` changes the limit so warm-up never fills the measured keys. */
  const variables = (surface: Surface, user: string, warm: boolean, country?: string) =>
    surface === 'HOME'
      ? { userId: user, limit: HOME_LIMIT - (warm ? 1 : 0), ...(country ? { context: { country } } : {}) }
      : {
          userId: user,
          cart: cartOf(user),
          limit: CART_LIMIT - (warm ? 1 : 0),
          ...(country ? { country } : {}),
        };
  /** A guest: a shopper id never seen before, with the country of a customer drawn uniformly. */
  let guests = 0;
  const countries = users.map((u) => userFeatures[u]?.country ?? undefined);
  const guest = (rng: () => number) => ({
    user: `guest-${seed}-${++guests}`,
    country: countries[Math.floor(rng() * countries.length)],
  });

  // Setup, printed before any number.
  const cpu = cpus();
  const customers = users.length;
  console.log(
    `setup: ${cpu.length} x ${cpu[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ` +
      `load average at start ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}`,
  );
  console.log(`code: ${await codeIdentity()}`);
  console.log(
    `model: ${bundle.version} (${bundle.manifest.dataset}, data before ${bundle.manifest.until}), ` +
      `catalogue ${bundle.catalogue.size} products, ${customers} customers, ${bundle.coPurchase.length} co-purchase pairs`,
  );
  console.log(
    `stack: gateway + recommendations + features + experiments as child processes (RECS_ENV=production, ` +
      `LOG_LEVEL=${logLevel}), Redis ${/v=(\S+)/.exec(await output('redis-server', ['--version']))?.[1] ?? '?'} (feature store + field cache), ` +
      `Neo4j ${neo4jVersion} embedded (co-purchase graph; heap ${neo4jHeap}, page cache ${neo4jPagecache}), all on 127.0.0.1; ready in ${startupS.toFixed(0)} s`,
  );
  console.log(
    `load: open loop, evenly spaced arrivals, ${rates.join(', ')} rps x ${durationS} s per step, ` +
      `surfaces ${surfaces.join(', ')}, modes ${modes.map((m) => `cache ${m}`).join(', ')}, ` +
      `${warmupS} s warm-up per surface and mode (other keys); ` +
      `HOME = HomeFeed (limit ${HOME_LIMIT}, + features + experiments), CART = CartRecommendations ` +
      `(limit ${CART_LIMIT}, ${CART_SIZE} co-purchased cart items fixed per user); users Zipf s=${zipfS} over ` +
      `${customers} customers by order count` +
      (guestShare > 0
        ? `, plus ${guestShare * 100}% guests (a new id per request, a customer's country drawn uniformly, their own cart)`
        : '') +
      `, seed ${seed}; keep-alive node:http client in the bench process, ` +
      `timeout ${REQUEST_TIMEOUT_MS / 1000} s, at most ${MAX_IN_FLIGHT} in flight`,
  );
  console.log(
    `measure: latency = end of response - scheduled send time, ms; direct = extra ${probeFraction * 100}% of the ` +
      `rate sent straight to the recommendations subgraph (same arguments); CPU = % of one core per process over the ` +
      `step, other = the rest of the machine's busy CPU (work that is not this benchmark)`,
  );

  const results: StepResult[] = [];
  for (const mode of modes as Mode[]) {
    if (mode !== recMode) {
      const rec = services.get('recommendations')!;
      expectedExits.add(rec.child);
      await stopChild(rec.child);
      startService('recommendations', 'subgraphs/recommendations/src/main.ts', recPort, recEnv(mode));
      await waitReady('recommendations', `http://127.0.0.1:${recPort}/ready`, STARTUP_TIMEOUT_MS);
      await waitReady('gateway', `http://127.0.0.1:${gatewayPort}/ready`, 30_000);
      recMode = mode;
    }
    console.log(
      `\n## cache ${mode} (RECOMMENDATIONS_CACHE_TTL_SECONDS=${mode === 'on' ? CACHE_TTL_ON : 0})` +
        (mode === 'on'
          ? `; the cache is not flushed between steps, so each step starts with the keys of the previous steps of its surface that are younger than ${CACHE_TTL_ON} s`
          : ''),
    );
    /** Client model of the field cache: when each key's entry expires (set when a miss completes). */
    const expiry = new Map<string, number>();
    const pending = new Set<string>();
    for (const surface of surfaces as Surface[]) {
      const doc = documents[surface];
      if (warmupS > 0) {
        const rng = seededRandom(seed ^ 0x5eed);
        await runStep(Math.min(50, rates[0]!), warmupS, () => {
          const user = users[zipf(rng)]!;
          const v = variables(surface, user, true);
          return post(
            gatewayUrl,
            gatewayHeaders,
            JSON.stringify({ query: doc.gateway, operationName: doc.name, variables: v }),
          );
        });
      }
      for (const rate of rates) {
        const rng = seededRandom(hashString(`${seed}:${mode}:${surface}:${rate}`));
        const gw: number[] = [];
        const gwHit: number[] = [];
        const gwMiss: number[] = [];
        const direct: number[] = [];
        const directHit: number[] = [];
        let ok = 0;
        let errors = 0;
        let fallbacks = 0;
        let directErrors = 0;
        let predictedHits = 0;
        let classified = 0;
        // the steady state: requests scheduled after the step's first TTL (steps longer than the TTL)
        const steadyFromS = mode === 'on' && durationS > CACHE_TTL_ON ? CACHE_TTL_ON : undefined;
        let steadyFrom = Infinity;
        let steadyHits = 0;
        let steadyClassified = 0;
        const steadyGwHit: number[] = [];
        let steadyCounters: Promise<Record<string, number> | undefined> | undefined;
        const errorSamples = new Set<string>();
        const pids = {
          gateway: services.get('gateway')!.child.pid,
          recommendations: services.get('recommendations')!.child.pid,
          features: services.get('features')!.child.pid,
          experiments: services.get('experiments')!.child.pid,
          redis: redisHandle.pid,
          neo4j: neo4jHandle.pid,
        };
        const cpuBefore = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
        const clientBefore = process.cpuUsage();
        const machineBefore = machineBusySeconds();
        const countersBefore = mode === 'on' ? await cacheCounters(recMetrics) : undefined;

        const step = await runStep(rate, durationS, (scheduled) => {
          if (steadyFromS !== undefined && steadyFrom === Infinity) {
            // the first request sets the clock; the counters are read when the steady part begins
            steadyFrom = scheduled + steadyFromS * 1000;
            const timer = setTimeout(() => {
              // a failed read leaves the steady state without server counters, never an unhandled rejection
              steadyCounters = cacheCounters(recMetrics).catch(() => undefined);
            }, steadyFrom - performance.now());
            timer.unref();
          }
          const g = guestShare > 0 && rng() < guestShare ? guest(rng) : undefined;
          const user = g?.user ?? users[zipf(rng)]!;
          const v = variables(surface, user, false, g?.country);
          const key = `${surface}:${user}`;
          const probe = probeFraction > 0 && rng() < probeFraction;
          // Client model of the field cache: a hit when the key has a live entry; a miss for the first
          // request of a key without one (it fills the entry when it completes: the "owner"); the
          // requests for that key sent meanwhile wait for the same computation (pending).
          let cls: 'hit' | 'miss' | 'pending' = 'miss';
          let owner: 'probe' | 'gateway' | undefined;
          if (mode === 'on') {
            if ((expiry.get(key) ?? 0) > scheduled) cls = 'hit';
            else if (pending.has(key)) cls = 'pending';
            else {
              pending.add(key);
              owner = probe ? 'probe' : 'gateway';
            }
          }
          const fill = (ok: boolean) => {
            pending.delete(key);
            if (ok) expiry.set(key, performance.now() + CACHE_TTL_ON * 1000);
          };
          if (probe) {
            const probeCls = cls;
            void post(directUrl, directHeaders, JSON.stringify({ query: doc.direct, variables: v })).then(
              (r) => {
                const latency = performance.now() - scheduled;
                if (owner === 'probe') fill(r.ok);
                if (!r.ok) {
                  directErrors++;
                  if (r.error) errorSamples.add(`direct: ${r.error}`);
                  return;
                }
                direct.push(latency);
                if (probeCls === 'hit') directHit.push(latency);
              },
            );
          }
          const gatewayCls = owner === 'probe' ? 'pending' : cls;
          const body = JSON.stringify({ query: doc.gateway, operationName: doc.name, variables: v });
          return post(gatewayUrl, gatewayHeaders, body).then((r) => {
            const latency = performance.now() - scheduled;
            if (owner === 'gateway') fill(r.ok);
            if (!r.ok) {
              errors++;
              if (r.error) errorSamples.add(r.error);
              return r;
            }
            ok++;
            if (r.fallback) fallbacks++;
            gw.push(latency);
            if (mode === 'on') {
              classified++;
              if (gatewayCls === 'hit') {
                predictedHits++;
                gwHit.push(latency);
              } else gwMiss.push(latency);
              if (scheduled >= steadyFrom) {
                steadyClassified++;
                if (gatewayCls === 'hit') {
                  steadyHits++;
                  steadyGwHit.push(latency);
                }
              }
            }
            return r;
          });
        });
        const clientCpu = process.cpuUsage(clientBefore);
        const cpuPercent: Record<string, number> = {};
        for (const [k, pid] of Object.entries(pids)) {
          const before = cpuBefore[k];
          const after = cpuSeconds(pid);
          if (before !== undefined && after !== undefined)
            cpuPercent[k] = ((after - before) / step.wallS) * 100;
        }
        cpuPercent.client = ((clientCpu.user + clientCpu.system) / 1e6 / step.wallS) * 100;
        const machineAfter = machineBusySeconds();
        if (machineBefore !== undefined && machineAfter !== undefined) {
          // Everything else on the machine (other users' work): busy CPU minus this benchmark's processes.
          const ours = Object.values(cpuPercent).reduce((a, b) => a + b, 0);
          cpuPercent.other = Math.max(0, ((machineAfter - machineBefore) / step.wallS) * 100 - ours);
        }
        let server: StepResult['server'];
        let shared: StepResult['shared'];
        let steady: StepResult['steady'];
        if (countersBefore) {
          const after = await cacheCounters(recMetrics);
          if (steadyFromS !== undefined) {
            const mid = await steadyCounters;
            const hits = mid ? (after.hit ?? 0) - (mid.hit ?? 0) : 0;
            const misses = mid ? (after.miss ?? 0) - (mid.miss ?? 0) : 0;
            steady = {
              fromS: steadyFromS,
              ...(mid ? { server: { hits, misses, hitRate: hits / Math.max(1, hits + misses) } } : {}),
              clientHitRate: steadyHits / Math.max(1, steadyClassified),
              gatewayHit: dist(steadyGwHit),
            };
          }
          const hits = (after.hit ?? 0) - (countersBefore.hit ?? 0);
          const misses = (after.miss ?? 0) - (countersBefore.miss ?? 0);
          const cacheErrors = (after.error ?? 0) - (countersBefore.error ?? 0);
          server = { hits, misses, errors: cacheErrors, hitRate: hits / Math.max(1, hits + misses) };
          const delta = (k: string) => (after[k] ?? 0) - (countersBefore[k] ?? 0);
          if (guestShare > 0) shared = { hits: delta('shared_hit'), misses: delta('shared_miss') };
          if (cacheErrors > 0) {
            errorSamples.add(
              `the field cache reported ${cacheErrors} errors (answered without cache); see recommendations.log`,
            );
          }
        }
        errors += step.dropped;
        if (step.dropped)
          errorSamples.add(`${step.dropped} not sent: ${MAX_IN_FLIGHT} requests already in flight`);
        const result: StepResult = {
          mode,
          surface,
          rate,
          durationS,
          scheduled: step.scheduled,
          ok,
          errors,
          fallbacks,
          achievedRps: ok / step.wallS,
          maxSendLagMs: step.maxLagMs,
          gateway: dist(gw),
          direct: dist(direct),
          directErrors,
          ...(mode === 'on'
            ? {
                gatewayHit: dist(gwHit),
                gatewayMiss: dist(gwMiss),
                directHit: dist(directHit),
                clientHitRate: predictedHits / Math.max(1, classified),
                server,
                ...(shared ? { shared } : {}),
                ...(steady ? { steady } : {}),
              }
            : {}),
          cpuPercent,
          errorSamples: [...errorSamples].slice(0, 5),
        };
        if (result.errors > 0 || result.directErrors > 0 || (server?.errors ?? 0) > 0) sawErrors = true;
        results.push(result);
        printStep(result);
        // After an overloaded step the servers may still work off abandoned requests: let them settle.
        await delay(result.errors > 0 ? 5_000 : 1_000);
      }
    }
  }

  printSummary(results);
  if (values.json) {
    writeFileSync(
      values.json,
      JSON.stringify(
        {
          setup: {
            cpu: `${cpu.length} x ${cpu[0]?.model ?? 'cpu'}`,
            memoryGiB: totalmem() / 2 ** 30,
            node: process.version,
            loadAverageAtStart: loadAtStart,
            loadAverageAtEnd: loadavg(),
            modelVersion: bundle.version,
            catalogueProducts: bundle.catalogue.size,
            customers,
            rates,
            durationS,
            surfaces,
            modes,
            zipf: zipfS,
            seed,
            probeFraction,
            guestShare,
            logLevel,
          },
          steps: results,
        },
        null,
        2,
      ),
    );
    console.log(`\nserving: results written to ${values.json}`);
  }
  console.log(
    `\nload average at end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; total wall time ${((Date.now() - began) / 1000).toFixed(0)} s`,
  );
}

/** Stdout of a short command ('' when it fails). */
function output(cmd: string, args: string[]): Promise<string> {
  return new Promise((res) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('close', (code) => res(code === 0 ? out.trim() : ''));
    child.once('error', () => res(''));
  });
}

/** The commit the stack runs and whether its serving code has uncommitted changes (run as they are). */
async function codeIdentity(): Promise<string> {
  const commit = await output('git', ['-C', root, 'rev-parse', '--short', 'HEAD']);
  if (!commit) return `${root} (not a git checkout)`;
  const dirs = ['gateway', 'subgraphs', 'packages', 'pipeline', 'schema', 'graph'];
  const changed = (await output('git', ['-C', root, 'status', '--porcelain', '--', ...dirs]))
    .split('\n')
    .filter(Boolean).length;
  return changed === 0
    ? `commit ${commit}, serving code clean`
    : `commit ${commit} + uncommitted changes in ${changed} files of ${dirs.join('/, ')}/ (run as they are)`;
}

/**
 * One open-loop step: `rate * duration` requests at evenly spaced scheduled times, never waiting for
 * answers (at most MAX_IN_FLIGHT outstanding; the rest are counted as dropped), then waits for every
 * outstanding request (each bounded by the request timeout).
 */
async function runStep(
  rate: number,
  seconds: number,
  send: (scheduled: number) => Promise<unknown>,
): Promise<{ scheduled: number; dropped: number; wallS: number; maxLagMs: number }> {
  const total = Math.max(1, Math.round(rate * seconds));
  const interval = 1000 / rate;
  const start = performance.now() + 5;
  const outstanding = new Set<Promise<unknown>>();
  let dropped = 0;
  let maxLagMs = 0;
  for (let i = 0; i < total;) {
    if (failure) throw failure;
    const now = performance.now();
    while (i < total && start + i * interval <= now) {
      const scheduled = start + i * interval;
      maxLagMs = Math.max(maxLagMs, now - scheduled);
      i++;
      if (outstanding.size >= MAX_IN_FLIGHT) {
        dropped++;
        continue;
      }
      const p = send(scheduled).finally(() => outstanding.delete(p));
      outstanding.add(p);
    }
    if (i < total) await delay(Math.max(0, start + i * interval - performance.now()));
  }
  await Promise.all(outstanding);
  if (failure) throw failure;
  return { scheduled: total, dropped, wallS: (performance.now() - start) / 1000, maxLagMs };
}

function printStep(r: StepResult): void {
  const line = [
    `cache ${r.mode} ${r.surface} ${r.rate} rps: ${r.ok}/${r.scheduled} ok, ${r.errors} errors, ${r.fallbacks} fallback, ` +
      `${r.achievedRps.toFixed(1)} rps achieved; gateway p50/p95/p99/max ${ms(r.gateway.p50)}/${ms(r.gateway.p95)}/` +
      `${ms(r.gateway.p99)}/${ms(r.gateway.max)} ms; direct p50/p99 ${ms(r.direct.p50)}/${ms(r.direct.p99)} ms (n ${r.direct.n})`,
  ];
  if (r.mode === 'on') {
    line.push(
      `  hit rate: server ${pct(r.server?.hitRate)} (${r.server?.hits ?? '-'} hits / ${r.server?.misses ?? '-'} misses), ` +
        `client model ${pct(r.clientHitRate)}; gateway hits p50/p99 ${ms(r.gatewayHit?.p50 ?? NaN)}/${ms(r.gatewayHit?.p99 ?? NaN)} ms`,
    );
  }
  if (r.steady) {
    line.push(
      `  after the first ${r.steady.fromS} s: hit rate server ${pct(r.steady.server?.hitRate)}, client model ` +
        `${pct(r.steady.clientHitRate)}; gateway hits p50/p99 ${ms(r.steady.gatewayHit.p50)}/${ms(r.steady.gatewayHit.p99)} ms`,
    );
  }
  if (r.shared) {
    line.push(
      `  guests' shared rankings: ${r.shared.hits} hits / ${r.shared.misses} misses ` +
        `(${pct(r.shared.hits / Math.max(1, r.shared.hits + r.shared.misses))})`,
    );
  }
  line.push(
    `  CPU %: ${Object.entries(r.cpuPercent)
      .map(([k, v]) => `${k} ${v.toFixed(0)}`)
      .join(', ')}; max send lag ${ms(r.maxSendLagMs)} ms`,
  );
  for (const e of r.errorSamples) line.push(`  error: ${e}`);
  console.log(line.join('\n'));
}

function printSummary(results: StepResult[]): void {
  for (const mode of ['off', 'on'] as const) {
    const rows = results.filter((r) => r.mode === mode);
    if (rows.length === 0) continue;
    console.log(`\n### cache ${mode}: latency through the gateway (ms)`);
    console.log(
      table(
        ['surface', 'rps', 'sent', 'ok', 'err', 'fallback', 'achieved', 'p50', 'p95', 'p99', 'max'],
        rows.map((r) => [
          r.surface,
          r.rate,
          r.scheduled,
          r.ok,
          r.errors,
          r.fallbacks,
          r.achievedRps.toFixed(1),
          ms(r.gateway.p50),
          ms(r.gateway.p95),
          ms(r.gateway.p99),
          ms(r.gateway.max),
        ]),
      ),
    );
    console.log(`\n### cache ${mode}: per stage (ms; CPU in % of one core over the step)`);
    console.log(
      table(
        [
          'surface',
          'rps',
          'gw p50',
          'gw p99',
          'recs direct p50',
          'p99',
          '(n)',
          'gw-direct p50',
          'cpu gw',
          'recs',
          'feat',
          'exp',
          'redis',
          'neo4j',
          'client',
          'other',
        ],
        rows.map((r) => {
          const c = (k: string) => (r.cpuPercent[k] === undefined ? '-' : r.cpuPercent[k].toFixed(0));
          return [
            r.surface,
            r.rate,
            ms(r.gateway.p50),
            ms(r.gateway.p99),
            ms(r.direct.p50),
            ms(r.direct.p99),
            r.direct.n,
            ms(r.gateway.p50 - r.direct.p50),
            c('gateway'),
            c('recommendations'),
            c('features'),
            c('experiments'),
            c('redis'),
            c('neo4j'),
            c('client'),
            c('other'),
          ];
        }),
      ),
    );
    if (mode === 'on') {
      console.log(`\n### cache on: hits and misses (ms; hit = key asked within the TTL, client model)`);
      console.log(
        table(
          [
            'surface',
            'rps',
            'hit rate (server)',
            'hit rate (client)',
            'gw hit p50',
            'p95',
            'p99',
            'gw miss p50',
            'p99',
            'direct hit p50',
            'p99',
            '(n)',
          ],
          rows.map((r) => [
            r.surface,
            r.rate,
            pct(r.server?.hitRate),
            pct(r.clientHitRate),
            ms(r.gatewayHit?.p50 ?? NaN),
            ms(r.gatewayHit?.p95 ?? NaN),
            ms(r.gatewayHit?.p99 ?? NaN),
            ms(r.gatewayMiss?.p50 ?? NaN),
            ms(r.gatewayMiss?.p99 ?? NaN),
            ms(r.directHit?.p50 ?? NaN),
            ms(r.directHit?.p99 ?? NaN),
            r.directHit?.n ?? 0,
          ]),
        ),
      );
      const steadyRows = rows.filter((r) => r.steady);
      if (steadyRows.length > 0) {
        console.log(
          `\n### cache on: steady state (requests scheduled after the step's first ${CACHE_TTL_ON} s, the TTL)`,
        );
        console.log(
          table(
            ['surface', 'rps', 'hit rate (server)', 'hit rate (client)', 'gw hit p50', 'p95', 'p99', '(n)'],
            steadyRows.map((r) => [
              r.surface,
              r.rate,
              pct(r.steady!.server?.hitRate),
              pct(r.steady!.clientHitRate),
              ms(r.steady!.gatewayHit.p50),
              ms(r.steady!.gatewayHit.p95),
              ms(r.steady!.gatewayHit.p99),
              r.steady!.gatewayHit.n,
            ]),
          ),
        );
      }
    }
  }

  console.log('\n### targets');
  const at200 = (mode: Mode) => results.filter((r) => r.mode === mode && r.rate === 200);
  const off = at200('off');
  if (off.length === 0) console.log('p99 <= 50 ms at 200 rps, cache off: not measured (200 not in --rates)');
  for (const r of off) {
    const met = r.errors === 0 && r.gateway.p99 <= 50;
    console.log(
      `p99 <= 50 ms at 200 rps, cache off, ${r.surface}: ${met ? 'MET' : 'NOT MET'} (p99 ${ms(r.gateway.p99)} ms, ` +
        `${r.errors} errors, ${r.achievedRps.toFixed(1)} rps achieved)`,
    );
  }
  for (const r of results.filter((x) => x.mode === 'on')) {
    const gwHit = r.gatewayHit?.p99 ?? NaN;
    const directHit = r.directHit?.p99 ?? NaN;
    console.log(
      `cache on ${r.surface} ${r.rate} rps: hit p99 <= 10 ms: gateway ${gwHit <= 10 ? 'MET' : 'NOT MET'} (${ms(gwHit)} ms), ` +
        `recommendations subgraph ${directHit <= 10 ? 'MET' : 'NOT MET'} (${ms(directHit)} ms, n ${r.directHit?.n ?? 0}); ` +
        `hit rate >= 80%: ${(r.server?.hitRate ?? 0) >= 0.8 ? 'MET' : 'NOT MET'} (${pct(r.server?.hitRate)})` +
        (r.steady?.server
          ? `; after the first ${r.steady.fromS} s: ${r.steady.server.hitRate >= 0.8 ? 'MET' : 'NOT MET'} ` +
            `(${pct(r.steady.server.hitRate)}, gateway hit p99 ${ms(r.steady.gatewayHit.p99)} ms)`
          : ''),
    );
  }
}

try {
  await main();
  await cleanup(sawErrors || keepLogsFlag);
  process.exit(0);
} catch (err) {
  if (interrupted) {
    await cleanup(false);
    process.exit(130);
  }
  console.error(`serving: ${(err as Error).stack ?? String(err)}`);
  await cleanup(true);
  process.exit(1);
}
