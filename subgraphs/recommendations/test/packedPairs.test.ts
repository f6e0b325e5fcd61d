import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadPromotedBundle } from '@recs/pipeline';
import { trainedRegistry } from '@recs/testkit/registry';
import { packBundlePairs, packPairs, unpackPairs } from '../src/packedPairs';

describe('packed co-purchase pairs', () => {
  it('unpack gives back exactly the pairs packed, in order', () => {
    const pairs = [
      { a: 'A', b: 'B', count: 12, confidence: 0.1 + 0.2, lift: 1 / 3 },
      { a: 'B', b: 'C', count: 2, confidence: 1e-9, lift: 12345.678901234 },
      { a: 'A', b: 'C', count: 3, confidence: 1, lift: 0.5 },
    ];
    const packed = packPairs(pairs);
    assert.deepEqual(packed.ids, ['A', 'B', 'C']);
    assert.deepEqual(unpackPairs(packed), pairs);
    assert.deepEqual(unpackPairs(packPairs([])), []);
  });

  it("a bundle's pairs leave the bundle and come back equal", async () => {
    const bundle = await loadPromotedBundle(await trainedRegistry());
    const before = structuredClone(bundle.coPurchase);
    assert.ok(before.length > 1000);
    const pairs = packBundlePairs(bundle);
    assert.equal(bundle.coPurchase.length, 0);
    assert.deepEqual(pairs(), before);
  });
});
