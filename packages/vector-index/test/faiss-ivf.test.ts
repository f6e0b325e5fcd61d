import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { createVectorIndex, faissAvailable, loadVectorIndex, type FaissIndex } from '../src/index';
import { readIvfParams, withIvfNprobe } from '../src/ivfParams';
import { recallAtK, recallDataset } from './fixtures';
import { runVectorIndexContract } from './VectorIndex.contract';

it('faiss-node loads (build it with packages/vector-index/scripts/build-faiss.sh)', () => {
  assert.equal(faissAvailable(), true);
});

// One inverted list probed: IVF-Flat is then an exact scan, so it must pass the exact contract,
// including training on a first add() of only two vectors.
runVectorIndexContract(
  'faiss-ivf-flat',
  (dim) => createVectorIndex({ backend: 'faiss', type: 'ivf-flat', dim, nlist: 1, nprobe: 1 }),
  { kind: 'faiss-ivf-flat', exact: true },
);

function build(opts: {
  type: 'ivf-flat' | 'ivf-pq' | 'ivf-sq8';
  nlist: number;
  nprobe: number;
  pqM?: number;
  pqBits?: number;
}) {
  const data = recallDataset();
  const index = createVectorIndex({ backend: 'faiss', dim: data.dim, ...opts }) as FaissIndex;
  index.add(data.ids, data.base);
  return { data, index };
}

it('IVF-Flat: recall grows with nprobe, which persists across save/load', async (t) => {
  const { data, index } = build({ type: 'ivf-flat', nlist: 32, nprobe: 8 });
  const low = recallAtK(index.searchBatch(data.queries, 10), data.truth);
  const tuned = index.withSearchParams({ nprobe: 28 });
  const high = recallAtK(tuned.searchBatch(data.queries, 10), data.truth);
  // Random 64-d vectors are the hardest case for IVF: most lists are needed for recall 0.95.
  assert.ok(low < high, `nprobe 8 recall ${low}, nprobe 28 recall ${high}`);
  assert.ok(high >= 0.95, `recall@10 at nprobe 28: ${high}`);
  assert.deepEqual(tuned.settings, { type: 'ivf-flat', nlist: 32, nprobe: 28 });
  // The original index keeps its own setting.
  assert.equal(recallAtK(index.searchBatch(data.queries, 10), data.truth), low);

  const dir = await mkdtemp(join(tmpdir(), 'vector-index-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await tuned.save(dir);
  assert.deepEqual(readIvfParams(await readFile(join(dir, 'index.faiss'))), { nlist: 32, nprobe: 28 });
  const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8'));
  assert.equal(meta.kind, 'faiss-ivf-flat');
  assert.deepEqual(meta.params, { nlist: 32, nprobe: 28 });
  const loaded = (await loadVectorIndex(dir)) as FaissIndex;
  assert.deepEqual(loaded.settings, tuned.settings);
  assert.deepEqual(loaded.searchBatch(data.queries, 10), tuned.searchBatch(data.queries, 10));
});

it('IVF-PQ: compressed codes, approximate scores, settings kept across save/load', async (t) => {
  const { data, index } = build({ type: 'ivf-pq', nlist: 16, nprobe: 16, pqM: 8 });
  assert.equal(index.kind, 'faiss-ivf-pq');
  const results = index.searchBatch(data.queries, 10);
  // 8 dimensions per 8-bit code on random vectors: far from exact (about 0.3), far above chance (0.001).
  const recall = recallAtK(results, data.truth);
  assert.ok(recall > 0.15, `recall@10 ${recall}`);
  const dir = await mkdtemp(join(tmpdir(), 'vector-index-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await index.save(dir);
  const loaded = (await loadVectorIndex(dir)) as FaissIndex;
  assert.deepEqual(loaded.settings, { type: 'ivf-pq', nlist: 16, nprobe: 16, pqM: 8 });
  assert.deepEqual(loaded.searchBatch(data.queries, 10), results);
  // The id map is exact even though the codes are lossy.
  assert.deepEqual(loaded.vector('item-7'), data.base.slice(7 * data.dim, 8 * data.dim));

  // Exact re-ranking of 8 x k PQ candidates from the stored vectors: exact scores, far better recall.
  const refined = index.withSearchParams({ refine: 8 });
  const better = refined.searchBatch(data.queries, 10);
  const refinedRecall = recallAtK(better, data.truth);
  assert.ok(refinedRecall > recall + 0.2, `recall@10 ${recall} -> ${refinedRecall} with refine 8`);
  const top = better[0]![0]!;
  const vector = index.vector(top.id)!;
  const dot = vector.reduce((sum, x, j) => sum + x * data.queries[j]!, 0);
  assert.ok(Math.abs(dot - top.score) < 1e-5, `exact score ${dot}, returned ${top.score}`);
  assert.ok(better.every((hits) => hits.every((h, i) => i === 0 || hits[i - 1]!.score >= h.score)));
  await refined.save(join(dir, 'refined'));
  const reloaded = (await loadVectorIndex(join(dir, 'refined'))) as FaissIndex;
  assert.deepEqual(reloaded.settings, { type: 'ivf-pq', nlist: 16, nprobe: 16, pqM: 8, refine: 8 });
  assert.deepEqual(reloaded.searchBatch(data.queries, 10), better);
});

it('IVF-SQ8 and 4-bit fast-scan IVF-PQ: approximate, exact after re-ranking, kept across save/load', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vector-index-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const opts of [
    { type: 'ivf-sq8' as const, nlist: 16, nprobe: 16 },
    { type: 'ivf-pq' as const, nlist: 16, nprobe: 16, pqM: 32, pqBits: 4 },
  ]) {
    const { data, index } = build(opts);
    assert.equal(index.kind, `faiss-${opts.type}`);
    const recall = recallAtK(index.searchBatch(data.queries, 10), data.truth);
    assert.ok(recall > 0.15, `${JSON.stringify(opts)}: recall@10 ${recall}`);
    // All lists probed and 16 x k re-ranked exactly: close to the exact top 10 (4-bit codes on random
    // vectors are coarse, so not all of it).
    const refined = index.withSearchParams({ refine: 16 });
    const better = refined.searchBatch(data.queries, 10);
    const refinedRecall = recallAtK(better, data.truth);
    assert.ok(refinedRecall >= 0.9 && refinedRecall > recall, `${JSON.stringify(opts)}: ${refinedRecall}`);
    const tuned = refined.withSearchParams({ nprobe: 4 });
    const saved = join(dir, opts.type + (opts.pqBits ?? ''));
    await tuned.save(saved);
    assert.deepEqual(readIvfParams(await readFile(join(saved, 'index.faiss'))), { nlist: 16, nprobe: 4 });
    const loaded = (await loadVectorIndex(saved)) as FaissIndex;
    assert.deepEqual(loaded.settings, { ...opts, nprobe: 4, refine: 16 });
    assert.deepEqual(loaded.searchBatch(data.queries, 10), tuned.searchBatch(data.queries, 10));
  }
  assert.throws(
    () => createVectorIndex({ backend: 'faiss', type: 'ivf-pq', dim: 64, pqM: 16, pqBits: 6 }),
    /pqBits must be 8 or 4; received 6/,
  );
  assert.throws(
    () => createVectorIndex({ backend: 'faiss', type: 'ivf-pq', dim: 64, pqM: 1, pqBits: 4 }),
    /pqM must be even with pqBits 4; received 1/,
  );
});

it('refuses IVF options and first batches it cannot train on', () => {
  const tooFew = createVectorIndex({ backend: 'faiss', type: 'ivf-flat', dim: 2, nlist: 4 });
  assert.throws(
    () => tooFew.add(['a', 'b'], new Float32Array([1, 0, 0, 1])),
    /faiss-ivf-flat trains on its first add\(\), which needs at least 4 vectors \(nlist 4\); received 2/,
  );
  assert.equal(tooFew.size, 0);
  const pq = createVectorIndex({ backend: 'faiss', type: 'ivf-pq', dim: 4, nlist: 2, pqM: 2 });
  assert.throws(() => pq.add(['a', 'b'], new Float32Array(8).fill(1)), /at least 256 vectors/);
  assert.throws(
    () => createVectorIndex({ backend: 'faiss', type: 'ivf-pq', dim: 64, pqM: 24 }),
    /pqM must divide dim 64; received 24/,
  );
  assert.throws(
    () => createVectorIndex({ backend: 'faiss', type: 'ivf-flat', dim: 8, nlist: 16, nprobe: 17 }),
    /nprobe must be an integer in \[1, 16\]; received 17/,
  );
  assert.throws(
    () => createVectorIndex({ backend: 'faiss', type: 'ivf-sq' as 'ivf-flat', dim: 8 }),
    /type must be one of flat, hnsw, ivf-flat, ivf-pq, ivf-sq8; received "ivf-sq"/,
  );
  const flat = createVectorIndex({ backend: 'faiss', type: 'flat', dim: 2 }) as FaissIndex;
  assert.throws(() => flat.withSearchParams({ nprobe: 2 }), /faiss-flat has no search setting/);
  const ivf = createVectorIndex({ backend: 'faiss', type: 'ivf-flat', dim: 2, nlist: 1 }) as FaissIndex;
  assert.throws(() => ivf.withSearchParams({ refine: 2 }), /refine for faiss-ivf-pq/);
  assert.throws(
    () => createVectorIndex({ backend: 'faiss', type: 'ivf-pq', dim: 8, nlist: 2, pqM: 2, refine: 0 }),
    /refine must be an integer in \[1, 1024\]; received 0/,
  );
  const hnsw = createVectorIndex({ backend: 'faiss', type: 'hnsw', dim: 2 }) as FaissIndex;
  assert.throws(() => hnsw.withSearchParams({ nprobe: 2 }), /efSearch is for faiss-hnsw/);
  assert.equal(hnsw.withSearchParams({ efSearch: 300 }).settings.type, 'hnsw');
});

it('the nprobe rewriter refuses buffers that are not IVF indexes', () => {
  assert.throws(
    () => readIvfParams(Buffer.from('IHNf0000')),
    /expected fourcc IwFl\/IwPQ\/IwPf\/IwSq, found "IHNf"/,
  );
  assert.throws(() => withIvfNprobe(Buffer.from('IwFl'), 3), /truncated header/);
});
