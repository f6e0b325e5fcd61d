import assert from 'node:assert/strict';
import { it } from 'node:test';
import { referenceRuntime } from '../src/referenceRuntime';
import type { Model } from '../src/Model';
import { runModelRuntimeContract } from './ModelRuntime.contract';

runModelRuntimeContract('reference', async (model) => referenceRuntime(model), 'reference');

it('referenceRuntime rejects an invalid model up front', () => {
  assert.throws(
    () => referenceRuntime({ kind: 'forest' } as unknown as Model),
    /model.kind must be 'mlp', 'treeEnsemble' or 'dotProduct'; received "forest"/,
  );
});
