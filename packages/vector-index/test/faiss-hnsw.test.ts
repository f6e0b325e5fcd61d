import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { createVectorIndex, faissAvailable, HNSW_DEFAULTS, loadVectorIndex } from '../src/index';
import { readHnswParams } from '../src/hnswParams';
import { runVectorIndexContract } from './VectorIndex.contract';

it('faiss-node loads (build it with packages/vector-index/scripts/build-faiss.sh)', () => {
  assert.equal(faissAvailable(), true);
});

runVectorIndexContract('faiss-hnsw', (dim) => createVectorIndex({ backend: 'faiss', type: 'hnsw', dim }), {
  kind: 'faiss-hnsw',
  exact: false,
});

it('stores efConstruction/efSearch in the faiss index and keeps them across save/load', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vector-index-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const index = createVectorIndex({
    backend: 'faiss',
    type: 'hnsw',
    dim: 2,
    hnswM: 8,
    efConstruction: 60,
    efSearch: 200,
  });
  index.add(['a', 'b'], new Float32Array([1, 0, 0, 1]));
  await index.save(join(dir, 'one'));
  assert.deepEqual(readHnswParams(await readFile(join(dir, 'one', 'index.faiss'))), {
    efConstruction: 60,
    efSearch: 200,
  });
  const meta = JSON.parse(await readFile(join(dir, 'one', 'meta.json'), 'utf8'));
  assert.deepEqual(meta.params, { hnswM: 8, efConstruction: 60, efSearch: 200 });

  // Saving the loaded index again writes the same parameters.
  await (await loadVectorIndex(join(dir, 'one'))).save(join(dir, 'two'));
  assert.deepEqual(JSON.parse(await readFile(join(dir, 'two', 'meta.json'), 'utf8')).params, meta.params);

  const defaults = createVectorIndex({ backend: 'faiss', type: 'hnsw', dim: 2 });
  await defaults.save(join(dir, 'defaults'));
  assert.deepEqual(readHnswParams(await readFile(join(dir, 'defaults', 'index.faiss'))), {
    efConstruction: HNSW_DEFAULTS.efConstruction,
    efSearch: HNSW_DEFAULTS.efSearch,
  });
});

it('refuses invalid HNSW options', () => {
  assert.throws(
    () => createVectorIndex({ backend: 'faiss', type: 'hnsw', dim: 4, efSearch: 0 }),
    /efSearch must be an integer in \[1, 1048576\]; received 0/,
  );
  assert.throws(
    () => createVectorIndex({ backend: 'faiss', type: 'hnsw', dim: 4, hnswM: 1 }),
    /hnswM .*received 1/,
  );
});
