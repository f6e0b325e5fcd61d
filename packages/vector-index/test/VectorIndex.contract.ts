import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { describe, it } from 'node:test';
import { loadVectorIndex, type SearchHit, type VectorIndex } from '../src/index';
import { recallAtK, recallDataset } from './fixtures';

/** What a backend promises beyond the common contract. */
export interface ContractOptions {
  /** The `kind` the backend reports. */
  kind: string;
  /** Exact backends must reproduce the true top-k; approximate ones only need recall@10 >= 0.95. */
  exact: boolean;
}

// Tiny hand-made set: every score below is exact in float32, so all backends must agree to the bit.
const TINY_IDS = ['a', 'b', 'c', 'd', 'e'];
// prettier-ignore
const TINY = new Float32Array([
  1, 0, 0,       // a: score 1     for QUERY
  0, 1, 0,       // b: score 0.5
  0.5, 0.5, 0,   // c: score 0.75
  0, 0, 1,       // d: score 0
  0.75, 0.25, 0, // e: score 0.875
]);
const QUERY = new Float32Array([1, 0.5, 0]);

function tiny(factory: (dim: number) => VectorIndex): VectorIndex {
  const index = factory(3);
  index.add(TINY_IDS, TINY);
  return index;
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vector-index-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function ids(hits: SearchHit[]): string[] {
  return hits.map((h) => h.id);
}

/**
 * The behaviour every {@link VectorIndex} backend must share. `factory(dim)` returns a new, empty
 * index of the backend under test.
 */
export function runVectorIndexContract(
  name: string,
  factory: (dim: number) => VectorIndex,
  options: ContractOptions,
): void {
  describe(`VectorIndex contract: ${name}`, () => {
    it('starts empty with the requested dimension and kind', () => {
      const index = factory(3);
      assert.equal(index.kind, options.kind);
      assert.equal(index.dim, 3);
      assert.equal(index.size, 0);
      assert.deepEqual(index.search(QUERY, 5), []);
      assert.deepEqual(index.searchBatch(new Float32Array([...QUERY, ...QUERY]), 5), [[], []]);
    });

    it('finds the exact top-k with exact scores on tiny vectors', () => {
      const index = tiny(factory);
      assert.equal(index.size, 5);
      assert.deepEqual(index.search(QUERY, 3), [
        { id: 'a', score: 1 },
        { id: 'e', score: 0.875 },
        { id: 'c', score: 0.75 },
      ]);
      // k beyond the size returns everything, best first.
      assert.deepEqual(ids(index.search(QUERY, 10)), ['a', 'e', 'c', 'b', 'd']);
      assert.deepEqual(ids(index.search(new Float32Array([0, 0, 2]), 1)), ['d']);
    });

    it('keeps ids stable across several add() calls', () => {
      const index = factory(3);
      index.add(TINY_IDS.slice(0, 2), TINY.subarray(0, 6));
      index.add(TINY_IDS.slice(2), TINY.subarray(6));
      assert.equal(index.size, 5);
      assert.deepEqual(ids(index.search(QUERY, 5)), ['a', 'e', 'c', 'b', 'd']);
    });

    it('excludes the given ids and still returns k hits', () => {
      const index = tiny(factory);
      assert.deepEqual(ids(index.search(QUERY, 3, { exclude: new Set(['a', 'not-indexed']) })), [
        'e',
        'c',
        'b',
      ]);
      assert.deepEqual(ids(index.search(QUERY, 2, { exclude: new Set(['e', 'c']) })), ['a', 'b']);
      assert.deepEqual(index.search(QUERY, 3, { exclude: new Set(TINY_IDS) }), []);
      assert.deepEqual(ids(index.search(QUERY, 2, { exclude: new Set() })), ['a', 'e']);
    });

    it('returns copies of stored vectors', () => {
      const index = tiny(factory);
      const e = index.vector('e');
      assert.deepEqual(e, new Float32Array([0.75, 0.25, 0]));
      e![0] = 42;
      assert.deepEqual(index.vector('e'), new Float32Array([0.75, 0.25, 0]));
      assert.equal(index.vector('missing'), undefined);
    });

    it('refuses bad input with errors naming the problem and the received value', () => {
      const index = tiny(factory);
      assert.throws(
        () => index.add(['x'], new Float32Array(4)),
        /3 = 3 values \(dimension 3\); received length 4/,
      );
      assert.throws(() => index.add(['x', 'y'], new Float32Array(3)), /received length 3/);
      assert.throws(() => index.add(['a'], new Float32Array(3)), /duplicate id "a": already in the index/);
      assert.throws(() => index.add(['x', 'x'], new Float32Array(6)), /duplicate id "x": appears twice/);
      assert.throws(
        () => index.add(['x'], new Float32Array([0, NaN, 0])),
        /finite.*received NaN at position 1/,
      );
      assert.throws(() => index.add([''], new Float32Array(3)), /ids\[0\] must be a non-empty string/);
      // A refused batch adds nothing, not even its valid rows.
      assert.throws(() => index.add(['ok', 'bad'], new Float32Array([1, 0, 0, Infinity, 0, 0])), /Infinity/);
      assert.equal(index.size, 5);
      assert.equal(index.vector('ok'), undefined);

      assert.throws(() => index.search(new Float32Array(2), 1), /query.*dimension 3.*received length 2/);
      assert.throws(() => index.search(new Float32Array([1, -Infinity, 0]), 1), /received -Infinity/);
      assert.throws(() => index.search(QUERY, 0), /k must be an integer >= 1; received 0/);
      assert.throws(() => index.search(QUERY, 1.5), /received 1\.5/);
      assert.throws(
        () => index.search(QUERY, 1, { exclude: ['a'] as unknown as Set<string> }),
        /exclude must be a Set/,
      );
      assert.throws(
        () => index.searchBatch(new Float32Array(4), 1),
        /multiple of the index dimension 3; received length 4/,
      );
      assert.throws(() => index.searchBatch(new Float32Array(3), -1), /received -1/);
      assert.throws(
        () => index.search([1, 0, 0] as unknown as Float32Array, 1),
        /Float32Array; received Array\(3\)/,
      );
    });

    it('reaches recall@10 >= 0.95 on 10k random vectors, before and after save/load', async (t) => {
      const data = recallDataset();
      const index = factory(data.dim);
      // Several batches, so row numbers of later batches must map back to the right ids.
      for (let start = 0; start < data.ids.length; start += 2500) {
        index.add(
          data.ids.slice(start, start + 2500),
          data.base.subarray(start * data.dim, (start + 2500) * data.dim),
        );
      }
      assert.equal(index.size, 10_000);

      const before = index.searchBatch(data.queries, 10);
      assert.equal(before.length, 200);
      assert.ok(before.every((hits) => hits.length === 10));
      const recall = recallAtK(before, data.truth);
      assert.ok(recall >= (options.exact ? 0.995 : 0.95), `recall@10 ${recall}`);

      // searchBatch answers exactly like one search() per query.
      for (let q = 0; q < 50; q++) {
        const single = index.search(data.queries.subarray(q * data.dim, (q + 1) * data.dim), 10);
        assert.deepEqual(ids(single), ids(before[q]!), `query ${q}`);
        single.forEach((hit, i) =>
          assert.ok(Math.abs(hit.score - before[q]![i]!.score) < 1e-5, `query ${q} rank ${i}`),
        );
      }

      const dir = await tempDir(t);
      await index.save(dir);
      const loaded = await loadVectorIndex(dir);
      assert.equal(loaded.kind, options.kind);
      assert.equal(loaded.dim, data.dim);
      assert.equal(loaded.size, 10_000);
      assert.deepEqual(loaded.searchBatch(data.queries, 10), before);
      assert.ok(
        recallAtK(loaded.searchBatch(data.queries, 10), data.truth) >= (options.exact ? 0.995 : 0.95),
      );
      assert.deepEqual(loaded.vector('item-9999'), data.base.slice(9999 * data.dim, 10_000 * data.dim));

      // A loaded index keeps accepting vectors.
      const extra = data.queries.slice(0, data.dim);
      loaded.add(['extra'], extra);
      assert.equal(loaded.size, 10_001);
      assert.deepEqual(ids(loaded.search(extra, 1)), ['extra']);
    });

    it('saves and loads an empty and a tiny index', async (t) => {
      const emptyDir = await tempDir(t);
      await factory(3).save(emptyDir);
      const empty = await loadVectorIndex(emptyDir);
      assert.equal(empty.size, 0);
      assert.deepEqual(empty.search(QUERY, 3), []);

      const dir = join(await tempDir(t), 'nested', 'dir');
      await tiny(factory).save(dir);
      const loaded = await loadVectorIndex(dir);
      assert.deepEqual(loaded.search(QUERY, 5, { exclude: new Set(['b']) }), [
        { id: 'a', score: 1 },
        { id: 'e', score: 0.875 },
        { id: 'c', score: 0.75 },
        { id: 'd', score: 0 },
      ]);
      assert.throws(() => loaded.add(['c'], new Float32Array(3)), /duplicate id "c"/);
    });
  });
}
