/**
 * Benchmark: event ingestion through the features subgraph's `POST /events` (JSON lines) into a Redis
 * stream, with the in-process consumer applying every event to the live store.
 *   node --import tsx bench/events.ts [--events N] [--batch B] [--concurrency C] [--paced R1,R2] [--redis URL]
 * Measures (1) saturated: N events as fast as the producer can send them; ingestion throughput (last
 * response) and applied throughput (the consumer has applied and acknowledged all N), and (2) paced: R
 * events/s for 10 s (one POST every 10 ms), the loads the latency numbers are quoted at; "drained" is
 * how long after the last POST the consumer had applied everything. Event-to-visible latency = from the
 * moment the batch's POST starts to the moment the consumer's apply script has committed the event
 * (the `onApplied` hook: from then on every read sees it). The producer runs in a worker thread.
 * Starts a private Redis with AOF on (appendfsync everysec) unless --redis is given.
 * Prints the setup with the numbers; results go to docs/benchmarks.md ("Event ingestion").
 */
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { Redis } from 'ioredis';
import { HEADERS, createLogger } from '@recs/core';
import { LIVE_KEY_PREFIX, createRedisEventLog, type RecsEvent } from '@recs/events';
import { createRedisFeatureStore } from '@recs/feature-store';
import { buildFeaturesApp } from '@recs/subgraph-features';
import { startRedis, unlinkPrefix } from '@recs/testkit/services';

const { values } = parseArgs({
  options: {
    events: { type: 'string' },
    batch: { type: 'string' },
    concurrency: { type: 'string' },
    paced: { type: 'string' },
    redis: { type: 'string' },
    worker: { type: 'boolean' },
  },
});
const N = Number(values.events ?? 200_000);
const BATCH = Number(values.batch ?? 1000);
const CONCURRENCY = Number(values.concurrency ?? 4);
const PACED = (values.paced ?? '2000,20000').split(',').map(Number);
if (![N, BATCH, CONCURRENCY, ...PACED].every((n) => Number.isInteger(n) && n > 0)) {
  console.error(
    'usage: bench/events.ts [--events N] [--batch B] [--concurrency C] [--paced R1,R2] [--redis URL]',
  );
  process.exit(2);
}
const PRODUCTS = 4000;
const USERS = 20_000;
const SECRET = 'bench-gateway-secret-0123456789';

/** The producer: posts JSON-lines batches and reports when each one was sent. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { url, headers, products, users } = workerData;
let prefix = '';
const TYPES = ['impression','impression','impression','impression','view','view','view','click','click','add_to_cart','remove_from_cart','purchase','search'];
let seed = 12345;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
// Zipf-like popularity: a few hot products and shoppers, a long tail.
const zipf = (n) => Math.min(n - 1, Math.floor(Math.pow(n + 1, rand()) - 1));
function line(id, now) {
  const type = TYPES[Math.floor(rand() * TYPES.length)];
  const e = { eventId: id, type, userId: 'U' + zipf(users), timestamp: now, sessionId: 'S' + zipf(users) };
  if (type === 'search') e.query = 'query ' + zipf(50);
  else e.productId = 'P' + zipf(products);
  if (type === 'purchase') e.quantity = 1 + Math.floor(rand() * 3);
  return JSON.stringify(e);
}
async function send(batch, size) {
  const now = new Date().toISOString();
  const lines = [];
  for (let i = 0; i < size; i++) lines.push(line(prefix + batch + '-' + i, now));
  const body = lines.join('\\n');
  const sentAt = performance.timeOrigin + performance.now();
  const res = await fetch(url, { method: 'POST', headers, body });
  const result = await res.json();
  if (res.status !== 200 || result.accepted !== size) throw new Error('batch ' + batch + ': ' + res.status + ' ' + JSON.stringify(result).slice(0, 300));
  parentPort.postMessage({ kind: 'sent', batch, sentAt, doneAt: performance.timeOrigin + performance.now() });
}
parentPort.on('message', async (msg) => {
  prefix = msg.prefix;
  try {
    if (msg.kind === 'saturate') {
      let next = 0;
      const lane = async () => { while (next < msg.batches) await send(next++, msg.size); };
      await Promise.all(Array.from({ length: msg.concurrency }, lane));
    } else {
      const start = performance.now();
      const inflight = [];
      for (let b = 0; b < msg.batches; b++) {
        const due = start + b * msg.intervalMs;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        inflight.push(send(b, msg.size));
      }
      await Promise.all(inflight);
    }
    parentPort.postMessage({ kind: 'done' });
  } catch (err) {
    parentPort.postMessage({ kind: 'error', message: String(err && err.stack || err) });
  }
});
`;

const redisVersion = (() => {
  try {
    return (
      execFileSync('redis-server', ['--version'])
        .toString()
        .match(/v=(\S+)/)?.[1] ?? '?'
    );
  } catch {
    return '?';
  }
})();
const redis = values.redis ? undefined : await startRedis({ appendOnly: true });
const url = values.redis ?? redis!.url;
const keyPrefix = `bench-${process.pid}`;
const store = createRedisFeatureStore({ url, keyPrefix });
const live = createRedisFeatureStore({ url, keyPrefix: `${keyPrefix}-${LIVE_KEY_PREFIX}` });
const log = createRedisEventLog({ url, keyPrefix });
const admin = new Redis(url);
/** Redis' own CPU time (user + sys), seconds. */
async function redisCpu(): Promise<number> {
  const info = await admin.info('cpu');
  const get = (k: string) => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return get('used_cpu_user') + get('used_cpu_sys');
}

/** Per run: batch -> POST start time; per event: applied time. */
let sentAt = new Map<number, number>();
let latencies: number[] = [];
let applied = 0;
let runPrefix = 'sat';
const onApplied = (event: RecsEvent): void => {
  applied++;
  const at = performance.timeOrigin + performance.now();
  // eventId = <run prefix><batch>-<i>
  const batch = Number(event.eventId.slice(runPrefix.length, event.eventId.indexOf('-')));
  const sent = sentAt.get(batch);
  if (sent !== undefined) latencies.push(at - sent);
  else pendingLatency.push({ batch, at });
};
/** Applied before the worker's "sent" message arrived (the message is asynchronous). */
let pendingLatency: { batch: number; at: number }[] = [];

const app = await buildFeaturesApp({
  store,
  gatewaySecret: SECRET,
  logger: createLogger('bench-events', 'warn'),
  events: {
    log,
    live: { store: live, keyPrefix: `${keyPrefix}-${LIVE_KEY_PREFIX}` },
    onApplied,
    maxLines: 10_000,
  },
});
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;
const worker = new Worker(WORKER, {
  eval: true,
  workerData: {
    url: `http://127.0.0.1:${port}/events`,
    headers: {
      'content-type': 'application/x-ndjson',
      [HEADERS.gatewaySecret]: SECRET,
      [HEADERS.principalKind]: 'service',
      [HEADERS.principalRole]: 'service',
      [HEADERS.principalUser]: 'bench',
    },
    products: PRODUCTS,
    users: USERS,
  },
});

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function runPhase(
  prefix: string,
  msg: Record<string, unknown>,
  total: number,
): Promise<{ sendMs: number; appliedMs: number; p50: number; p99: number; max: number; redisUs: number }> {
  runPrefix = prefix;
  sentAt = new Map();
  latencies = [];
  pendingLatency = [];
  applied = 0;
  const cpu0 = await redisCpu();
  worker.postMessage({ ...msg, prefix });
  const t0 = performance.now();
  let lastSent = t0;
  await new Promise<void>((resolve, reject) => {
    const onMessage = (m: {
      kind: string;
      batch: number;
      sentAt: number;
      doneAt: number;
      message?: string;
    }) => {
      if (m.kind === 'sent') {
        sentAt.set(m.batch, m.sentAt);
        lastSent = m.doneAt - performance.timeOrigin;
      } else if (m.kind === 'done') {
        worker.off('message', onMessage);
        resolve();
      } else if (m.kind === 'error') {
        worker.off('message', onMessage);
        reject(new Error(m.message));
      }
    };
    worker.on('message', onMessage);
  });
  while (applied < total) await new Promise((r) => setTimeout(r, 2));
  const appliedMs = performance.now() - t0;
  const redisUs = ((await redisCpu()) - cpu0) * 1e6;
  for (const { batch, at } of pendingLatency) latencies.push(at - sentAt.get(batch)!);
  latencies.sort((a, b) => a - b);
  return {
    sendMs: lastSent - t0,
    appliedMs,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    max: latencies.at(-1)!,
    redisUs: redisUs / total,
  };
}

console.log('# bench/events');
console.log(
  `setup: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ` +
    `Redis ${redisVersion} (${values.redis ? `given: ${values.redis}` : 'private, appendonly yes, appendfsync everysec'})`,
);
console.log(
  `path: worker thread -> HTTP POST /events (JSON lines) -> features subgraph (validate, authorise, append script: GET id key, XADD, SET NX EX) ` +
    `-> Redis stream -> in-process consumer (XREADGROUP 500, one apply + XACK script per batch) -> live store`,
);
console.log(
  `data: synthetic, Zipf over ${PRODUCTS} products and ${USERS} shoppers; 31% impressions, 23% views, 15% clicks, ` +
    `8% add_to_cart, 8% remove_from_cart, 8% purchases, 8% searches`,
);

// Warm-up (JIT, script cache, connections), not reported.
await runPhase('warm', { kind: 'saturate', batches: 10, size: BATCH, concurrency: CONCURRENCY }, 10 * BATCH);

const batches = Math.ceil(N / BATCH);
const sat = await runPhase(
  'sat',
  { kind: 'saturate', batches, size: BATCH, concurrency: CONCURRENCY },
  batches * BATCH,
);
const total = batches * BATCH;
console.log(
  `saturated: ${total} events in batches of ${BATCH}, ${CONCURRENCY} requests in flight: ` +
    `ingested ${Math.round(total / (sat.sendMs / 1000))} events/s (last response after ${(sat.sendMs / 1000).toFixed(2)} s), ` +
    `applied ${Math.round(total / (sat.appliedMs / 1000))} events/s (all applied after ${(sat.appliedMs / 1000).toFixed(2)} s); ` +
    `Redis CPU ${sat.redisUs.toFixed(0)} µs/event`,
);
console.log(
  `saturated latency, POST start -> applied: p50 ${sat.p50.toFixed(0)} ms, p99 ${sat.p99.toFixed(0)} ms, max ${sat.max.toFixed(0)} ms (includes queueing behind the backlog)`,
);

for (const rate of PACED) {
  const size = Math.max(1, Math.round(rate / 100));
  const pacedBatches = Math.round((rate * 10) / size);
  const paced = await runPhase(
    `pace${rate}x`,
    { kind: 'paced', batches: pacedBatches, size, intervalMs: (1000 * size) / rate },
    pacedBatches * size,
  );
  console.log(
    `paced: ${rate} events/s for 10 s (${size} per POST every ${((1000 * size) / rate).toFixed(0)} ms): ` +
      `event -> visible p50 ${paced.p50.toFixed(1)} ms, p99 ${paced.p99.toFixed(1)} ms, max ${paced.max.toFixed(1)} ms; ` +
      `drained ${Math.max(0, paced.appliedMs - paced.sendMs).toFixed(0)} ms after the last response; ` +
      `Redis CPU ${paced.redisUs.toFixed(0)} µs/event`,
  );
}

const length = await log.length();
const info = await log.groupInfo('online-state');
const rewrites = /^aof_rewrites:(\d+)/m.exec(await admin.info('persistence'))?.[1] ?? '?';
console.log(
  `check: stream length ${length}, group pending ${info?.pending}, lag ${info?.lag}; AOF rewrites during the run ${rewrites}; ` +
    `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (this process: subgraph + consumer + producer thread)`,
);
await worker.terminate();
admin.disconnect();
await app.close();
await Promise.all([store.close(), live.close()]);
if (redis) await redis.stop();
else {
  const cleaner = new Redis(url);
  await unlinkPrefix(cleaner, keyPrefix);
  await cleaner.quit();
}
