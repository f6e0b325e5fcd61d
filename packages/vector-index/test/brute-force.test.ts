import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { createVectorIndex, loadVectorIndex } from '../src/index';
import { runVectorIndexContract } from './VectorIndex.contract';

runVectorIndexContract('brute-force', (dim) => createVectorIndex({ backend: 'brute-force', dim }), {
  kind: 'brute-force',
  exact: true,
});

it('createVectorIndex refuses invalid options', () => {
  assert.throws(
    () => createVectorIndex({ backend: 'brute-force', dim: 0 }),
    /dim must be an integer in \[1, 65536\]; received 0/,
  );
  assert.throws(() => createVectorIndex({ backend: 'brute-force', dim: 2.5 }), /received 2\.5/);
  assert.throws(
    () => createVectorIndex({ backend: 'brute-force', dim: 4, type: 'hnsw' }),
    /only supports type 'flat'/,
  );
  assert.throws(
    () => createVectorIndex({ backend: 'annoy' as 'faiss', dim: 4 }),
    /backend must be 'faiss' or 'brute-force'; received "annoy"/,
  );
});

it('loadVectorIndex refuses directories that are not complete saved indexes', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vector-index-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await assert.rejects(
    loadVectorIndex(join(dir, 'missing')),
    /not a saved vector index: cannot read .*meta\.json/,
  );

  const index = createVectorIndex({ backend: 'brute-force', dim: 2 });
  index.add(['a', 'b'], new Float32Array([1, 0, 0, 1]));
  const saved = join(dir, 'saved');
  await index.save(saved);
  await writeFile(join(saved, 'vectors.f32'), new Uint8Array(12));
  await assert.rejects(loadVectorIndex(saved), /must hold 2 x 2 float32 \(16 bytes\); received 12 bytes/);

  const foreign = join(dir, 'foreign');
  await mkdir(foreign);
  await writeFile(join(foreign, 'meta.json'), JSON.stringify({ format: 'other', version: 3 }));
  await assert.rejects(loadVectorIndex(foreign), /received format "other" version 3/);
});
