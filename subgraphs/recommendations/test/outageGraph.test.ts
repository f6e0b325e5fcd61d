import assert from 'node:assert/strict';
import { it } from 'node:test';
import { MemoryCoPurchaseGraph } from '@recs/graph';
import { loadPromotedBundle } from '@recs/pipeline';
import { trainedRegistry } from '@recs/testkit/registry';
import { outageGraphOf } from '../src/outageGraph';
import { syncGraph } from '../src/syncGraph';

it("the outage graph takes the bundle's pairs off it and answers as the in-process graph", async () => {
  const registry = await trainedRegistry();
  const reference = new MemoryCoPurchaseGraph();
  await syncGraph(reference, await loadPromotedBundle(registry));
  const bundle = await loadPromotedBundle(registry);
  const pairs = bundle.coPurchase;
  const total = pairs.length;
  const outage = await outageGraphOf(bundle);
  assert.equal(outage.edges, total);
  assert.equal(pairs.length, 0, 'the array itself is emptied');
  const top = bundle.popularity.global.map((p) => p.productId);
  for (let q = 0; q < 60; q++) {
    const cart = top.slice(q, q + 1 + (q % 12));
    const opts = { exclude: cart, minCount: 2 };
    assert.deepEqual(await outage.topK(cart, 30, opts), await reference.topK(cart, 30, opts), `cart ${q}`);
  }
});
