import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import {
  ShardedIndex,
  createVectorIndex,
  loadVectorIndex,
  mergeTopK,
  shardOf,
  type SearchHit,
} from '../src/index';
import { randomUnitVectors, seededRandom } from './fixtures';
import { runVectorIndexContract } from './VectorIndex.contract';

// Four exact shards behave exactly like one exact index, through the same contract as every backend.
runVectorIndexContract(
  'sharded faiss-flat x4',
  (dim) => ShardedIndex.create(4, () => createVectorIndex({ backend: 'faiss', type: 'flat', dim })),
  { kind: 'sharded-faiss-flat', exact: true },
);
runVectorIndexContract(
  'sharded brute-force x3',
  (dim) => ShardedIndex.create(3, () => createVectorIndex({ backend: 'brute-force', dim })),
  { kind: 'sharded-brute-force', exact: true },
);

it('mergeTopK keeps the global best k of per-shard lists, best first', () => {
  const h = (id: string, score: number): SearchHit => ({ id, score });
  assert.deepEqual(mergeTopK([[h('a', 0.9), h('b', 0.2)], [], [h('c', 0.95), h('d', 0.5), h('e', 0.1)]], 3), [
    h('c', 0.95),
    h('a', 0.9),
    h('d', 0.5),
  ]);
  assert.deepEqual(
    mergeTopK([[h('a', 1)], [h('b', 1)]], 5),
    [h('a', 1), h('b', 1)],
    'ties: lower shard first',
  );
  assert.deepEqual(mergeTopK([], 3), []);
});

it('ids spread evenly over shards, stably', () => {
  const counts = [0, 0, 0, 0, 0, 0, 0, 0];
  for (let i = 0; i < 80_000; i++) counts[shardOf(`P${i}`, 8)]!++;
  for (const c of counts) assert.ok(Math.abs(c - 10_000) < 500, `shard sizes ${counts.join(', ')}`);
  assert.equal(shardOf('85123A', 8), shardOf('85123A', 8));
});

it('8 flat shards return exactly the top 100 of one flat index over 20k vectors, also after save/load', async (t) => {
  const dim = 32;
  const rng = seededRandom(7);
  const n = 20_000;
  const base = randomUnitVectors(n, dim, rng);
  const queries = randomUnitVectors(50, dim, rng);
  const ids = Array.from({ length: n }, (_, i) => `item-${i}`);
  const one = createVectorIndex({ backend: 'faiss', type: 'flat', dim });
  one.add(ids, base);
  const sharded = ShardedIndex.create(8, () => createVectorIndex({ backend: 'faiss', type: 'flat', dim }));
  sharded.add(ids, base);
  assert.equal(sharded.size, n);
  const expected = one.searchBatch(queries, 100);
  const sameIds = (a: SearchHit[][], b: SearchHit[][]) =>
    assert.deepEqual(
      a.map((l) => l.map((x) => x.id)),
      b.map((l) => l.map((x) => x.id)),
    );
  sameIds(sharded.searchBatch(queries, 100), expected);
  const exclude = new Set(expected[0]!.slice(0, 10).map((x) => x.id));
  assert.deepEqual(
    sharded.search(queries.subarray(0, dim), 20, { exclude }).map((x) => x.id),
    one.search(queries.subarray(0, dim), 20, { exclude }).map((x) => x.id),
  );
  const dir = await mkdtemp(join(tmpdir(), 'sharded-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await sharded.save(dir);
  const loaded = await loadVectorIndex(dir);
  assert.equal(loaded.kind, 'sharded-faiss-flat');
  assert.equal(loaded.size, n);
  sameIds(loaded.searchBatch(queries, 100), expected);
  assert.deepEqual(loaded.vector('item-123'), one.vector('item-123'));
});

it('refuses shards of different kinds or dimensions, and a refused batch adds to no shard', () => {
  assert.throws(
    () =>
      new ShardedIndex([
        createVectorIndex({ backend: 'brute-force', dim: 3 }),
        createVectorIndex({ backend: 'brute-force', dim: 4 }),
      ]),
    /share kind and dimension/,
  );
  assert.throws(
    () => ShardedIndex.create(0, () => createVectorIndex({ backend: 'brute-force', dim: 3 })),
    /shards/,
  );
  const index = ShardedIndex.create(4, () => createVectorIndex({ backend: 'brute-force', dim: 2 }));
  index.add(['a', 'b'], new Float32Array([1, 0, 0, 1]));
  // 'a' lives in one shard; the batch's other ids would go to others: nothing may be added
  assert.throws(
    () => index.add(['x', 'y', 'z', 'a'], new Float32Array(8)),
    /duplicate id "a": already in the index/,
  );
  assert.equal(index.size, 2);
  assert.equal(index.vector('x'), undefined);
});
