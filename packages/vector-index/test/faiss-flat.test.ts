import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createVectorIndex, faissAvailable } from '../src/index';
import { runVectorIndexContract } from './VectorIndex.contract';

// No skip when faiss is missing: these tests exist to prove the native build works here.
it('faiss-node loads (build it with packages/vector-index/scripts/build-faiss.sh)', () => {
  assert.equal(faissAvailable(), true);
});

runVectorIndexContract('faiss-flat', (dim) => createVectorIndex({ backend: 'faiss', type: 'flat', dim }), {
  kind: 'faiss-flat',
  exact: true,
});
