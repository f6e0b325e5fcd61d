/**
 * Benchmark: throughput of the serving stack as one process per server vs several workers (issue 7,
 * part 4).
 *   node --import tsx bench/workers.ts [--registry DIR] [--workers 1,2] [--duration 20] [--warmup 5]
 *     [--concurrency 16] [--seed 1] [--target gateway|recommendations]
 * A count may repeat (`--workers 1,2,1,2`): runs are interleaved against drifting background load and
 * the throughput ratio is taken between the means.
 *
 * Starts a private Redis (testkit) and, once per entry of `--workers`, the gateway and the three
 * subgraphs as child processes with `WORKERS=<n>`, all on 127.0.0.1 ports of their own, in production
 * mode, with the field cache off (RECOMMENDATIONS_CACHE_TTL_SECONDS=0: every request computes its list)
 * and the embedded co-purchase graph (no Neo4j). A closed loop of `--concurrency` clients in this process
 * then sends the committed client operations through the gateway with a service API key, alternating
 * HomeFeed (HOME, limit 20) and CartRecommendations (CART, limit 10, 20 cart items taken from real
 * co-purchase pairs), for seeded random real customers: `--warmup` seconds unmeasured, then `--duration`
 * seconds measured. `--target recommendations` sends the same lists straight to the recommendations
 * subgraph instead (with the headers the gateway would add), to see one server alone on the cores.
 * Throughput is completed requests per second; CPU is read from /proc: `stack` =
 * the servers, Redis and this client, `other` = the rest of the machine's busy CPU (other jobs).
 * Without `--registry` it first trains a model in process (about a minute, not part of the bound).
 * Every process it starts is stopped by pid (SIGTERM, then SIGKILL after 25 s), also on error and Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { HEADERS, percentile, seededRandom } from '@recs/core';
import { ModelRegistry, loadPromotedBundle, type ModelArtefacts } from '@recs/pipeline';
import { startRedis, type RedisHandle } from '@recs/testkit/services';
import { trainFresh } from '@recs/testkit/registry';

const root = resolve(import.meta.dirname, '..');
const SERVERS = [
  ['recommendations', 'subgraphs/recommendations/src/main.ts', 'RECOMMENDATIONS'],
  ['features', 'subgraphs/features/src/main.ts', 'FEATURES'],
  ['experiments', 'subgraphs/experiments/src/main.ts', 'EXPERIMENTS'],
  ['gateway', 'gateway/src/main.ts', 'GATEWAY'],
] as const;
const CART_SIZE = 20;
const DIRECT_QUERY =
  'query Direct($userId: ID!, $surface: Surface!, $limit: Int, $context: RecommendationContext) { user(id: $userId) { ' +
  'recommendations(surface: $surface, limit: $limit, context: $context) { requestId modelVersion fallback ' +
  'items { product { id } score position reason reasonCode } } } }';

const { values } = parseArgs({
  options: Object.fromEntries(
    ['registry', 'workers', 'duration', 'warmup', 'concurrency', 'seed', 'target'].map((k) => [
      k,
      { type: 'string' },
    ]),
  ) as Record<string, { type: 'string' }>,
});
const workerCounts = (values.workers ?? '1,2').split(',').map(Number);
const durationS = Number(values.duration ?? 20);
const warmupS = Number(values.warmup ?? 5);
const concurrency = Number(values.concurrency ?? 16);
const seed = Number(values.seed ?? 1);
const target = values.target ?? 'gateway';
if (
  workerCounts.some((n) => !Number.isInteger(n) || n < 1 || n > 16) ||
  !(durationS > 0 && durationS <= 300) ||
  !(warmupS >= 0 && warmupS <= 60) ||
  !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 256) ||
  !['gateway', 'recommendations'].includes(target)
) {
  console.error(
    'usage: bench/workers.ts [--registry DIR] [--workers 1,2] [--duration S] [--warmup S] [--concurrency N] [--seed N] ' +
      '[--target gateway|recommendations]',
  );
  process.exit(2);
}

// ------------------------------------------------------------------------------------------ processes

const running = new Set<ChildProcess>();
let redis: RedisHandle | undefined;

async function stop(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? child.signalCode!;
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  child.kill('SIGTERM');
  const kill = setTimeout(() => child.kill('SIGKILL'), 25_000);
  const [code, signal] = await exited;
  clearTimeout(kill);
  return code ?? signal ?? '?';
}

async function stopAll(): Promise<void> {
  await Promise.allSettled([...running].map(stop));
  await redis?.stop();
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => void stopAll().then(() => process.exit(130)));
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/** The pids of a process and all its descendants (the workers of a primary), from /proc. */
function tree(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(' ')
      .filter(Boolean)
      .map(Number);
  } catch {
    // gone, or no /proc
  }
  return [pid, ...children.flatMap(tree)];
}

/** CPU seconds (user + system) of the given pids, and of the whole machine (busy, all cores). */
function cpuNow(pids: number[]): { ours: number; machine: number } {
  const ticks = (fields: string[], from: number) => Number(fields[from]) + Number(fields[from + 1]);
  let ours = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      ours += ticks(stat.slice(stat.lastIndexOf(')') + 2).split(' '), 11);
    } catch {
      // exited meanwhile
    }
  }
  const all = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  const machine = all.reduce((a, b) => a + b, 0) - all[3]! - all[4]!;
  return { ours: ours / 100, machine: machine / 100 };
}

// ------------------------------------------------------------------------------------------- workload

interface Outcome {
  ok: boolean;
  ms: number;
  error?: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: concurrency });

function post(url: URL, headers: Record<string, string>, body: string): Promise<Outcome> {
  const started = performance.now();
  return new Promise((done) => {
    const finish = (error?: string) => done({ ok: !error, ms: performance.now() - started, error });
    const req = request(url, { method: 'POST', agent, headers, timeout: 5_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        const json = JSON.parse(text) as { data?: { user?: { recommendations?: { items?: unknown[] } } } };
        const fine = res.statusCode === 200 && Array.isArray(json.data?.user?.recommendations?.items);
        finish(fine ? undefined : `HTTP ${res.statusCode} ${text.slice(0, 160)}`);
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => finish(err.message));
    req.end(body);
  });
}

interface Run {
  workers: number;
  startupS: number;
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p99: number;
  stackCores: number;
  /** Cores used by the client, Redis and each server (primary + workers) over the measured run. */
  split: string;
  otherCores: number;
  load: number[];
  exitCodes: string;
  firstError?: string;
}

async function main(): Promise<void> {
  const loadAtStart = loadavg();
  let registryDir = values.registry ? resolve(values.registry) : undefined;
  if (!registryDir) {
    console.log('workers: no --registry: training on the bundled Online Retail file (about a minute)');
    registryDir = await trainFresh();
  }
  const bundle = await loadPromotedBundle(registryDir);
  const userFeatures = await new ModelRegistry(registryDir).read<ModelArtefacts['userFeatures']>(
    bundle.version,
    'userFeatures',
  );
  const users = Object.keys(userFeatures).sort();
  const pairs = bundle.coPurchase.filter((p) => bundle.catalogue.has(p.a) && bundle.catalogue.has(p.b));
  const rng = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rng() * list.length)]!;
  const cart = () => {
    const items = new Set<string>();
    while (items.size < CART_SIZE) {
      const p = pick(pairs);
      items.add(p.a).add(p.b);
    }
    return [...items].slice(0, CART_SIZE);
  };
  const operation = (file: string) => readFileSync(join(root, 'schema', 'operations', file), 'utf8');
  const homeQuery = operation('homeFeed.graphql');
  const cartQuery = operation('cartRecommendations.graphql');
  /**
   * Request bodies made up front, so the clients spend no CPU on them while measuring. Straight to the
   * recommendations subgraph, the same lists without the other subgraphs' fields.
   */
  const bodies = Array.from({ length: 4_000 }, (_, i) => {
    const home = i % 2 === 0;
    const userId = pick(users);
    const cartProductIds = home ? [] : cart();
    if (target === 'recommendations') {
      const variables = {
        userId,
        surface: home ? 'HOME' : 'CART',
        limit: home ? 20 : 10,
        context: { cartProductIds },
      };
      return JSON.stringify({ query: DIRECT_QUERY, variables });
    }
    if (home) return JSON.stringify({ query: homeQuery, variables: { userId, limit: 20 } });
    return JSON.stringify({ query: cartQuery, variables: { userId, cart: cartProductIds, limit: 10 } });
  });

  redis = await startRedis();
  const logDir = mkdtempSync(join(tmpdir(), 'recs-bench-workers-'));
  const serviceKey = `svc-${randomBytes(16).toString('hex')}`;
  const gatewaySecret = randomBytes(24).toString('hex');
  const cpu = cpus();
  console.log('# bench/workers');
  console.log(
    `setup: ${cpu.length} x ${cpu[0]?.model ?? 'cpu'} (availableParallelism ${availableParallelism()}), ` +
      `${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, load average at start ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}`,
  );
  console.log(
    `model: ${bundle.version}, catalogue ${bundle.catalogue.size} products, ${users.length} customers; ` +
      `Redis ${redis.url} (feature store, event stream, experiments), embedded co-purchase graph, field cache off`,
  );
  console.log(
    `load: closed loop, ${concurrency} keep-alive clients in this process to the ${target}, HOME / CART lists ` +
      `alternating (${CART_SIZE} cart items), seeded random customers (seed ${seed}), ${warmupS} s warm-up + ` +
      `${durationS} s measured per run; WORKERS = ${workerCounts.join(', ')} for every server; ` +
      `server logs (LOG_LEVEL=warn) in ${logDir}, kept only when a request failed`,
  );

  const runs: Run[] = [];
  for (const workers of workerCounts) {
    const ports = await Promise.all(SERVERS.map(() => freePort()));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      WORKERS: String(workers),
      HOST: '127.0.0.1',
      RECS_ENV: 'production',
      LOG_LEVEL: 'warn',
      GATEWAY_SECRET: gatewaySecret,
      JWT_SECRET: randomBytes(32).toString('hex'),
      API_KEYS: `bench:service:${serviceKey}`,
      REDIS_URL: redis.url,
      MODEL_REGISTRY_DIR: registryDir,
      RECOMMENDATIONS_CACHE_TTL_SECONDS: '0',
      EXPERIMENT_AUTOMATION_SECONDS: '0',
      OMP_WAIT_POLICY: 'passive',
    };
    for (const key of ['NEO4J_URI', 'EXPERIMENTS_FILE', 'SUPERGRAPH_FILE']) delete env[key];
    SERVERS.forEach(([name, , prefix], i) => {
      env[`${prefix}_PORT`] = String(ports[i]);
      if (name !== 'gateway') env[`${prefix}_URL`] = `http://127.0.0.1:${ports[i]}/graphql`;
    });
    const started = Date.now();
    let stopping = false;
    const children = SERVERS.map(([name, script]) => {
      const fd = openSync(join(logDir, `${name}-workers${workers}.log`), 'a');
      const child = spawn(process.execPath, ['--import', 'tsx', join(root, script)], {
        cwd: root,
        env,
        stdio: ['ignore', fd, fd],
      });
      closeSync(fd);
      running.add(child);
      child.once('exit', (code) => {
        running.delete(child);
        if (code !== 0 && !stopping) console.error(`workers: ${name} exited early (${code})`);
      });
      return child;
    });
    for (const port of ports) {
      for (;;) {
        if (Date.now() - started > 240_000) throw new Error('the servers were not ready within 240 s');
        if (children.some((c) => c.exitCode !== null)) throw new Error('a server exited during start-up');
        const ready = await fetch(`http://127.0.0.1:${port}/ready`).then(
          (r) => r.ok,
          () => false,
        );
        if (ready) break;
        await delay(250);
      }
    }
    const startupS = (Date.now() - started) / 1000;

    // What the gateway forwards for a service key, when the clients call the subgraph themselves.
    const direct = target === 'recommendations';
    const url = new URL(`http://127.0.0.1:${ports[direct ? 0 : 3]}/graphql`);
    const headers: Record<string, string> = direct
      ? {
          [HEADERS.gatewaySecret]: gatewaySecret,
          [HEADERS.principalKind]: 'service',
          [HEADERS.principalRole]: 'service',
          [HEADERS.principalUser]: 'bench',
        }
      : { [HEADERS.apiKey]: serviceKey };
    headers['content-type'] = 'application/json';
    let next = 0;
    const loop = async (until: number, out: Outcome[]) => {
      while (performance.now() < until) out.push(await post(url, headers, bodies[next++ % bodies.length]!));
    };
    const phase = async (seconds: number): Promise<Outcome[]> => {
      const out: Outcome[] = [];
      const until = performance.now() + seconds * 1000;
      await Promise.all(Array.from({ length: concurrency }, () => loop(until, out)));
      return out;
    };
    await phase(warmupS);
    const groups = [[process.pid], [redis.pid], ...children.map((c) => tree(c.pid!))];
    const pids = groups.flat();
    const cpuBefore = cpuNow(pids);
    const groupsBefore = groups.map((g) => cpuNow(g).ours);
    const t0 = performance.now();
    const outcomes = await phase(durationS);
    const seconds = (performance.now() - t0) / 1000;
    const cpuAfter = cpuNow(pids);
    const perProcessGroup = groups.map((g, i) => ((cpuNow(g).ours - groupsBefore[i]!) / seconds).toFixed(2));
    const load = loadavg();
    stopping = true;
    const exitCodes = await Promise.all(children.map(stop));

    const ok = outcomes.filter((o) => o.ok).map((o) => o.ms);
    ok.sort((a, b) => a - b);
    const stackCores = (cpuAfter.ours - cpuBefore.ours) / seconds;
    runs.push({
      workers,
      startupS,
      requests: ok.length,
      errors: outcomes.length - ok.length,
      rps: ok.length / seconds,
      p50: percentile(ok, 50),
      p99: percentile(ok, 99),
      stackCores,
      split: ['client', 'redis', ...SERVERS.map(([name]) => name)]
        .map((name, i) => `${name} ${perProcessGroup[i]}`)
        .join(', '),
      otherCores: Math.max(0, (cpuAfter.machine - cpuBefore.machine) / seconds - stackCores),
      load,
      exitCodes: SERVERS.map(([name], i) => `${name} ${exitCodes[i]}`).join(', '),
      firstError: outcomes.find((o) => !o.ok)?.error,
    });
    console.log(`workers: WORKERS=${workers} done (${pids.length - 2} server processes)`);
  }

  console.log(
    '\nWORKERS  ready s  requests  errors    rps  p50 ms  p99 ms  stack cores  other cores  load avg (1/5/15 min) after',
  );
  for (const r of runs) {
    console.log(
      [
        String(r.workers).padEnd(7),
        r.startupS.toFixed(0).padStart(7),
        String(r.requests).padStart(8),
        String(r.errors).padStart(6),
        r.rps.toFixed(1).padStart(6),
        r.p50.toFixed(0).padStart(6),
        r.p99.toFixed(0).padStart(6),
        r.stackCores.toFixed(2).padStart(11),
        r.otherCores.toFixed(2).padStart(11),
        r.load.map((l) => l.toFixed(2)).join(' '),
      ].join('  '),
    );
  }
  for (const r of runs) {
    console.log(`WORKERS=${r.workers}: cores by process group: ${r.split}`);
    console.log(`WORKERS=${r.workers}: exit codes after SIGTERM: ${r.exitCodes}`);
    if (r.firstError) console.log(`WORKERS=${r.workers}: first error: ${r.firstError}`);
  }
  if (runs.every((r) => r.errors === 0)) rmSync(logDir, { recursive: true, force: true });
  // A count given twice (--workers 1,2,1,2: interleaved against drifting background load) is averaged.
  const meanRps = (n: number) => {
    const of = runs.filter((r) => r.workers === n);
    return of.reduce((sum, r) => sum + r.rps, 0) / of.length;
  };
  const counts = [...new Set(workerCounts)];
  for (const n of counts.slice(1)) {
    const ratio = meanRps(n) / meanRps(counts[0]!);
    console.log(`throughput WORKERS=${n} vs ${counts[0]} (mean of runs): x${ratio.toFixed(2)}`);
  }
}

try {
  await main();
} finally {
  await stopAll();
}
process.exit(0);
