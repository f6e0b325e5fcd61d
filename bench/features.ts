/**
 * Benchmark: feature reads for a 500-candidate batch, the way the serving path reads them (one
 * `getMany` = one MGET of JSON records), from the Redis online store the pipeline publishes.
 *   node --import tsx bench/features.ts [--batch 500] [--requests 2000] [--concurrency 1,8] [--registry DIR]
 * Publishes the promoted model version's product and user features to a private Redis (AOF off), then
 * reads `--requests` batches of `--batch` random product ids at each concurrency and prints p50 / p95 /
 * p99 per batch and batches per second, with the setup. Results go to docs/benchmarks.md.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { seededRandom } from '@recs/core';
import { createRedisFeatureStore } from '@recs/feature-store';
import { ModelRegistry, promotedVersion, publishFeatures, type ModelArtefacts } from '@recs/pipeline';
import { startRedis } from '@recs/testkit/services';

const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '500' },
    requests: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '1,8' },
    registry: { type: 'string', default: process.env.MODEL_REGISTRY_DIR ?? 'var/models' },
  },
});
const BATCH = Number(values.batch);
const REQUESTS = Number(values.requests);
const LEVELS = values.concurrency!.split(',').map(Number);
if (![BATCH, REQUESTS, ...LEVELS].every((n) => Number.isInteger(n) && n > 0)) {
  console.error('usage: bench/features.ts [--batch N] [--requests N] [--concurrency C1,C2] [--registry DIR]');
  process.exit(2);
}

const redis = await startRedis({});
const store = createRedisFeatureStore({ url: redis.url });
try {
  const registry = new ModelRegistry(values.registry!);
  const version = await promotedVersion(registry);
  const started = Date.now();
  const written = await publishFeatures(store, registry, version);
  const products = Object.keys(
    await registry.read<ModelArtefacts['productFeatures']>(version, 'productFeatures'),
  );
  const redisVersion = execFileSync('redis-server', ['--version']).toString().trim().split(' ')[2];
  console.log(
    `# feature-read bench: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, redis ${redisVersion}, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(
    `# model ${version}: ${written} records published in ${Date.now() - started} ms; ${products.length} products; batches of ${BATCH} random product ids, ${REQUESTS} batches per level`,
  );
  const random = seededRandom(1);
  const batch = () => Array.from({ length: BATCH }, () => products[Math.floor(random() * products.length)]!);
  // warm-up: connection, scripts, allocator
  for (let i = 0; i < 50; i++) await store.getMany('product', batch());
  console.log('concurrency  batches/s   p50 ms   p95 ms   p99 ms   max ms   found/batch');
  for (const level of LEVELS) {
    const ms: number[] = [];
    let found = 0;
    let next = 0;
    const t0 = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: level }, async () => {
        while (next++ < REQUESTS) {
          const ids = batch();
          const s = process.hrtime.bigint();
          const records = await store.getMany('product', ids);
          ms.push(Number(process.hrtime.bigint() - s) / 1e6);
          found += records.filter(Boolean).length;
        }
      }),
    );
    const total = Number(process.hrtime.bigint() - t0) / 1e9;
    ms.sort((a, b) => a - b);
    const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!.toFixed(2);
    console.log(
      `${String(level).padStart(11)}  ${(ms.length / total).toFixed(0).padStart(9)}  ${q(0.5).padStart(7)}  ${q(0.95).padStart(7)}  ${q(0.99).padStart(7)}  ${ms[ms.length - 1]!.toFixed(2).padStart(7)}   ${(found / ms.length).toFixed(0)}`,
    );
  }
} finally {
  await store.close();
  await redis.stop();
}
