/**
 * FAISS shards merged per query (issue 7, part 5): one exact index against the same vectors split over
 * S shards (`ShardedIndex`), single queries in sequence.
 *
 *   node --import tsx bench/faiss-shards.ts [--size 200000] [--dim 64] [--shards 2,4,8] [--queries 300] [--k 100]
 *
 * Per query it reports the time of the whole sharded search in this process (shards one after the
 * other), the slowest shard's own search (what a query costs when each shard is a server searched in
 * parallel, plus the network) and the merge. Recall@k of the sharded result against the single index
 * must be 1: exact shards lose nothing.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { seededRandom } from '@recs/core';
import { ShardedIndex, createVectorIndex, mergeTopK, type VectorIndex } from '@recs/vector-index';
import { randomUnitVectors } from '../packages/vector-index/test/fixtures';

const { values } = parseArgs({
  options: Object.fromEntries(
    ['size', 'dim', 'shards', 'queries', 'k'].map((k) => [k, { type: 'string' as const }]),
  ),
});
const size = Number(values.size ?? 200_000);
const dim = Number(values.dim ?? 64);
const shardCounts = (values.shards ?? '2,4,8').split(',').map(Number);
const nq = Number(values.queries ?? 300);
const k = Number(values.k ?? 100);
if (![size, dim, nq, k].every((v) => Number.isInteger(v) && v > 0) || shardCounts.some((s) => !(s >= 1))) {
  console.error('usage: bench/faiss-shards.ts [--size N] [--dim D] [--shards 2,4,8] [--queries N] [--k K]');
  process.exit(2);
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
const fmt = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `p50 ${pct(s, 0.5).toFixed(2)} / p99 ${pct(s, 0.99).toFixed(2)} ms`;
};

console.log(
  `setup: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ` +
    `OMP_NUM_THREADS=${process.env.OMP_NUM_THREADS ?? 'unset'}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
);
console.log(`data: ${size} random unit vectors x ${dim}, ${nq} queries, k = ${k}, faiss flat (exact) shards`);
const random = seededRandom(11);
const base = randomUnitVectors(size, dim, random);
const queries = randomUnitVectors(nq, dim, random);
const ids = Array.from({ length: size }, (_, i) => `p${i}`);
const flat = () => createVectorIndex({ backend: 'faiss', type: 'flat', dim });

const single = flat();
single.add(ids, base);
const truth: string[][] = [];
const singleMs: number[] = [];
for (let q = 0; q < nq; q++) {
  const t = performance.now();
  truth.push(single.search(queries.subarray(q * dim, (q + 1) * dim), k).map((h) => h.id));
  singleMs.push(performance.now() - t);
}
console.log(`1 index: ${fmt(singleMs)}`);

for (const s of shardCounts) {
  const shards: VectorIndex[] = Array.from({ length: s }, flat);
  const index = new ShardedIndex(shards);
  index.add(ids, base);
  const whole: number[] = [];
  const slowest: number[] = [];
  const merge: number[] = [];
  let found = 0;
  for (let q = 0; q < nq; q++) {
    const query = queries.subarray(q * dim, (q + 1) * dim);
    const t0 = performance.now();
    const hits = index.search(query, k);
    whole.push(performance.now() - t0);
    // the same search taken apart: each shard alone, then the merge
    const lists = shards.map((shard) => {
      const t = performance.now();
      const list = shard.search(query, k);
      return { list, ms: performance.now() - t };
    });
    slowest.push(Math.max(...lists.map((l) => l.ms)));
    const tm = performance.now();
    mergeTopK(
      lists.map((l) => l.list),
      k,
    );
    merge.push(performance.now() - tm);
    const want = new Set(truth[q]);
    found += hits.filter((h) => want.has(h.id)).length;
  }
  console.log(
    `${s} shards of ~${Math.round(size / s)}: in one process ${fmt(whole)}; slowest shard ${fmt(slowest)}; ` +
      `merge ${fmt(merge)}; recall@${k} vs 1 index ${(found / (nq * k)).toFixed(3)}`,
  );
}
console.log(
  `load average at end ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
