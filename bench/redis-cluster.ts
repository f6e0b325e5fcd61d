/**
 * Benchmark: the engine's Redis paths on one Redis server against a local Redis Cluster (3 masters),
 * both started here from the installed redis-server on free ports (AOF and RDB off) and stopped at the
 * end:
 *   - feature reads: `getMany` of a batch of random product ids from the offline namespace (`bench`:
 *     one MGET on a server, one MGET per slot pipelined per node on a cluster), from the live namespace
 *     (`{bench}-live` on a cluster: one slot, so one MGET; what the recommendations' business rules
 *     read) and of one user id;
 *   - event appends (idempotent XADD script, batches of 100) and the consumer's apply-and-ack
 *     (read 500, one apply script) on the event stream;
 *   - rate-limit takes (one script per call).
 *   node --import tsx bench/redis-cluster.ts [--products 20000] [--batch 500] [--requests 1000]
 *        [--concurrency 1,8] [--events 20000]
 * Prints the setup and one line per measurement and backend. Results go to docs/scaling.md.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { seededRandom } from '@recs/core';
import {
  createRedisEventLog,
  createRedisRateLimiter,
  effectsOf,
  liveKeyPrefixFor,
  type RecsEvent,
} from '@recs/events';
import { createRedisFeatureStore } from '@recs/feature-store';
import { startRedis, startRedisCluster } from '@recs/testkit/services';

const { values } = parseArgs({
  options: {
    products: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '500' },
    requests: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '1,8' },
    events: { type: 'string', default: '20000' },
    masters: { type: 'string', default: '3' },
  },
});
const PRODUCTS = Number(values.products);
const BATCH = Number(values.batch);
const REQUESTS = Number(values.requests);
const LEVELS = values.concurrency!.split(',').map(Number);
const EVENTS = Number(values.events);
const MASTERS = Number(values.masters);
if (![PRODUCTS, BATCH, REQUESTS, EVENTS, MASTERS, ...LEVELS].every((n) => Number.isInteger(n) && n > 0)) {
  console.error(
    'usage: bench/redis-cluster.ts [--products N] [--batch N] [--requests N] [--concurrency C1,C2] [--events N] [--masters N]',
  );
  process.exit(2);
}

const quantile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

/** Runs `op` `total` times with `level` in flight; per-call latency quantiles and calls per second. */
async function measure(total: number, level: number, op: (i: number) => Promise<unknown>) {
  const ms: number[] = [];
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: level }, async () => {
      for (let i = next++; i < total; i = next++) {
        const s = process.hrtime.bigint();
        await op(i);
        ms.push(Number(process.hrtime.bigint() - s) / 1e6);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  ms.sort((a, b) => a - b);
  return { perSecond: ms.length / seconds, p50: quantile(ms, 0.5), p99: quantile(ms, 0.99), seconds };
}

const row = (what: string, backend: string, r: { perSecond: number; p50: number; p99: number }, unit = '') =>
  console.log(
    `${what.padEnd(44)} ${backend.padEnd(8)} ${r.perSecond.toFixed(0).padStart(9)}${unit.padEnd(10)} p50 ${r.p50
      .toFixed(2)
      .padStart(6)} ms  p99 ${r.p99.toFixed(2).padStart(6)} ms`,
  );

async function run(backend: string, url: string): Promise<void> {
  const store = createRedisFeatureStore({ url, keyPrefix: 'bench' });
  const log = createRedisEventLog({ url, keyPrefix: 'bench' });
  // `bench-live` on one server, `{bench}-live` on a cluster: the event log's slot (as `{recs}-live`).
  const livePrefix = liveKeyPrefixFor(url).replace('recs', 'bench');
  const live = createRedisFeatureStore({ url, keyPrefix: livePrefix });
  const limiter = createRedisRateLimiter({ url, keyPrefix: 'bench' });
  try {
    const random = seededRandom(1);
    const ids = Array.from({ length: PRODUCTS }, (_, i) => `P${String(i).padStart(6, '0')}`);
    // ~400-byte records, about the size of the pipeline's product records
    await store.setMany(
      'product',
      ids.map((id, i) => ({
        id,
        values: {
          popularity: random(),
          price: Math.round(random() * 2000) / 100,
          category: `cat-${i % 24}`,
          title: `SYNTHETIC PRODUCT ${id} WITH A TITLE OF TYPICAL LENGTH`,
          embedding: Array.from({ length: 16 }, () => Math.round(random() * 1000) / 1000),
        },
      })),
    );
    await store.setMany(
      'user',
      Array.from({ length: 1000 }, (_, i) => ({ id: String(10000 + i), values: { orders: i } })),
    );
    const batch = () => Array.from({ length: BATCH }, () => ids[Math.floor(random() * ids.length)]!);
    for (let i = 0; i < 50; i++) await store.getMany('product', batch());
    for (const level of LEVELS) {
      const r = await measure(REQUESTS, level, () => store.getMany('product', batch()));
      row(`feature read, ${BATCH} products, concurrency ${level}`, backend, r, ' batch/s');
    }
    // The live namespace (`{recs}-live` on a cluster: one hash slot, so one MGET on one node).
    await live.setMany(
      'product',
      ids.map((id) => ({ id, values: { stock: 5, price: 1.25, views: 10, viewsByDay: ['20454:10'] } })),
    );
    for (const level of LEVELS) {
      const r = await measure(REQUESTS, level, () => live.getMany('product', batch()));
      row(`live read, ${BATCH} products, concurrency ${level}`, backend, r, ' batch/s');
    }
    const one = await measure(REQUESTS * 10, 16, (i) => store.getMany('user', [String(10000 + (i % 1000))]));
    row('feature read, 1 user, concurrency 16', backend, one, ' reads/s');

    const events: RecsEvent[] = Array.from({ length: EVENTS }, (_, i) => ({
      eventId: `b${i}`,
      type: 'view',
      userId: String(10000 + (i % 1000)),
      productId: ids[i % ids.length]!,
      timestamp: new Date(Date.UTC(2030, 0, 1) + i).toISOString(),
    }));
    const appendBatches = Math.ceil(EVENTS / 100);
    const appended = await measure(appendBatches, 4, (i) => log.append(events.slice(i * 100, i * 100 + 100)));
    row(
      'event append, batches of 100, 4 in flight',
      backend,
      { ...appended, perSecond: EVENTS / appended.seconds },
      ' events/s',
    );
    await log.createGroup('bench', '0');
    const byId = new Map(events.map((e) => [e.eventId, e]));
    let applied = 0;
    const t0 = process.hrtime.bigint();
    const ms: number[] = [];
    for (;;) {
      const entries = await log.read('bench', 'c1', { count: 500 });
      if (entries.length === 0) break;
      const s = process.hrtime.bigint();
      await log.applyAndAck(
        'bench',
        entries.map((e) => ({
          id: e.id,
          effects: effectsOf(byId.get((JSON.parse(e.raw!) as RecsEvent).eventId)!),
        })),
        { store: live, keyPrefix: livePrefix },
      );
      ms.push(Number(process.hrtime.bigint() - s) / 1e6);
      applied += entries.length;
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    ms.sort((a, b) => a - b);
    row(
      'event apply + ack, 500 per script (read incl.)',
      backend,
      {
        perSecond: applied / seconds,
        p50: quantile(ms, 0.5),
        p99: quantile(ms, 0.99),
      },
      ' events/s',
    );

    const limit = { perSecond: 1e6, burst: 1e6 };
    const takes = await measure(REQUESTS * 10, 16, (i) => limiter.take(`k${i % 1000}`, 1, limit));
    row('rate-limit take, concurrency 16', backend, takes, ' takes/s');
  } finally {
    await Promise.all([store.close(), log.close(), live.close(), limiter.close()]);
  }
}

const single = await startRedis({});
const cluster = await startRedisCluster({ masters: MASTERS }).catch(async (err: unknown) => {
  await single.stop();
  throw err;
});
try {
  const redisVersion = execFileSync('redis-server', ['--version']).toString().trim().split(' ')[2];
  console.log(
    `# redis-cluster bench: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, redis ${redisVersion}, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(
    `# single: 1 redis-server; cluster: ${MASTERS} masters, no replicas, all on this machine; ${PRODUCTS} product records, batches of ${BATCH}, ${REQUESTS} batches per level, ${EVENTS} events`,
  );
  await run('single', single.url);
  await run('cluster', cluster.url);
  console.log(
    `# load after: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
} finally {
  await cluster.stop();
  await single.stop();
}
