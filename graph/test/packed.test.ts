import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryCoPurchaseGraph } from '../src/MemoryCoPurchaseGraph';
import { PackedCoPurchaseGraph } from '../src/PackedCoPurchaseGraph';
import type { CoPurchaseEdge } from '../src/CoPurchaseGraph';

/** Random unique pairs over `n` products with skewed degrees, seeded. */
function randomEdges(n: number, m: number, seed: number): CoPurchaseEdge[] {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const seen = new Set<string>();
  const edges: CoPurchaseEdge[] = [];
  while (edges.length < m) {
    const i = Math.floor(n * rnd() ** 2);
    const j = Math.floor(n * rnd());
    if (i === j) continue;
    const [a, b] = [`P${Math.min(i, j)}`, `P${Math.max(i, j)}`];
    if (seen.has(`${a}|${b}`)) continue;
    seen.add(`${a}|${b}`);
    edges.push({ a, b, count: 1 + Math.floor(20 * rnd()), confidence: rnd(), lift: 0.1 + 50 * rnd() });
  }
  return edges;
}

describe('PackedCoPurchaseGraph', () => {
  it('answers topK exactly as the in-process graph, for carts of 1 to 20 items and every option', async () => {
    const edges = randomEdges(500, 6_000, 7);
    const memory = new MemoryCoPurchaseGraph();
    await memory.loadEdges(edges);
    const packed = await PackedCoPurchaseGraph.build(edges, 1_000);
    assert.equal(packed.edges, 6_000);
    let s = 3;
    const pick = () => `P${(s = (s * 48271) % 2147483647) % 520}`; // some ids have no edge
    for (let q = 0; q < 200; q++) {
      const cart = Array.from({ length: 1 + (q % 20) }, pick);
      const opts = { exclude: q % 3 === 0 ? [pick(), pick()] : [], minCount: 1 + (q % 4) };
      const k = q % 7 === 0 ? 0 : 5 + (q % 40);
      assert.deepEqual(await packed.topK(cart, k, opts), await memory.topK(cart, k, opts), `query ${q}`);
    }
  });

  it('validates like every backend and knows nothing of products without edges', async () => {
    const packed = await PackedCoPurchaseGraph.build([
      { a: 'A', b: 'B', count: 3, confidence: 0.5, lift: 2 },
    ]);
    await assert.rejects(packed.topK(['A'], -1), RangeError);
    await assert.rejects(packed.topK([''], 5), /seeds\[0\]/);
    assert.deepEqual(await packed.topK(['Z'], 5), []);
    assert.deepEqual(await packed.topK(['B'], 5), [
      { productId: 'A', score: Math.sqrt(6), count: 3, lift: 2, seeds: ['B'] },
    ]);
    assert.deepEqual(await (await PackedCoPurchaseGraph.build([])).topK(['A'], 5), []);
  });
});
